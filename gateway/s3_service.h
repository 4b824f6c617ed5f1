// S3Service: the HttpHandler behind the S3 port. Routes a request to its S3
// operation, authenticates it (SigV4), hands the operation a verified
// payload, and records metrics and one access-log line per request.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/http_message.h"

namespace fsgate::auth {
class CredentialStore;
}
namespace fsgate::store {
class ObjectStore;
}
namespace fsgate::metrics {
class Metrics;
}

namespace fsgate::gateway {

class AccessLog;

// AWS's largest object a single PUT may write, and its largest part: 5 GiB.
inline constexpr uint64_t kMaxObjectSize = 5ull << 30;

struct S3ServiceOptions {
  std::string domain;  // virtual-hosted style: "<bucket>.<domain>"
  std::string region = "us-east-1";
  uint64_t max_object_size = kMaxObjectSize;  // smaller only in tests
};

class S3Service {
 public:
  S3Service(store::ObjectStore& store, const auth::CredentialStore& users,
            metrics::Metrics& metrics, AccessLog& access_log, S3ServiceOptions options);

  void Handle(HttpRequest& request, BodyReader& body, ResponseWriter& response);
  // A request the HTTP layer could not parse or frame, by HTTP `status`
  // (ProtocolErrorHandler): S3's BadRequest, RequestTimeout (408),
  // RequestHeaderSectionTooLarge (431) or NotImplemented (501), with a request id.
  void ProtocolError(int status, std::string_view remote, ResponseWriter& response);

 private:
  store::ObjectStore& store_;
  const auth::CredentialStore& users_;
  metrics::Metrics& metrics_;
  AccessLog& access_log_;
  S3ServiceOptions options_;
};

}  // namespace fsgate::gateway
