// S3Service: the http::HttpHandler behind the S3 port. A request goes through
// a pipeline of stages, in the order Handle() lists them: route (its row of
// the S3 operation table), authenticate, authorize, check the payload's
// headers, call the operation's handler; then the answer is recorded (metrics,
// one access-log line).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "http/http_message.h"

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
struct S3Context;

// AWS's largest object a single PUT may write, and its largest part: 5 GiB.
inline constexpr uint64_t kMaxObjectSize = 5ull << 30;

struct S3ServiceOptions {
  std::string domain;  // virtual-hosted style: "<bucket>.<domain>"
  std::string region = "us-east-1";
  uint64_t max_object_size = kMaxObjectSize;  // smaller only in tests
  bool tls = false;                           // served over HTTPS (aws:SecureTransport)
};

class S3Service {
 public:
  S3Service(store::ObjectStore& store, const auth::CredentialStore& users,
            metrics::Metrics& metrics, AccessLog& access_log, S3ServiceOptions options);

  void Handle(http::HttpRequest& request, http::BodyReader& body, http::ResponseWriter& response);
  // A request the HTTP layer could not parse or frame, by HTTP `status`
  // (http::ProtocolErrorHandler): S3's BadRequest, RequestTimeout (408),
  // RequestHeaderSectionTooLarge (431) or NotImplemented (501), with a request id.
  void ProtocolError(int status, std::string_view remote, http::ResponseWriter& response);

 private:
  // The stages; each returns false once it has answered.
  bool Route(S3Context& ctx);
  bool Cors(S3Context& ctx);
  bool Authenticate(S3Context& ctx);
  bool Authorize(S3Context& ctx);
  bool CheckPayload(S3Context& ctx);
  bool CallHandler(S3Context& ctx);
  // InternalError if nothing answered; metrics and the access log.
  void Answer(S3Context& ctx, std::chrono::steady_clock::time_point start);

  store::ObjectStore& store_;
  const auth::CredentialStore& users_;
  metrics::Metrics& metrics_;
  AccessLog& access_log_;
  S3ServiceOptions options_;
};

}  // namespace fsgate::gateway
