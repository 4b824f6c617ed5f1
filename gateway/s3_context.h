// S3Context: one S3 request as its handler sees it — the parsed request, the
// resolved bucket and key, the payload (decoded and verified as it streams),
// and the ways to answer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "fsclient/object_store.h"
#include "gateway/http_message.h"
#include "gateway/s3_error.h"

namespace fsgate::auth {
struct Credentials;
}

namespace fsgate::gateway {

class XmlResponse;
class PayloadReader;

// x-amz-request-id, x-amz-id-2, Date, Server: on every S3 answer.
Headers S3BaseHeaders(std::string_view request_id, std::string_view host_id);

struct S3Context {
  HttpRequest& request;
  PayloadReader& payload;
  ResponseWriter& response;
  fsclient::ObjectStore& store;

  std::string bucket;  // empty for service-level requests
  std::string key;     // empty for bucket-level requests
  std::string request_id;
  std::string host_id;
  std::string api;  // S3 operation name, for metrics and the access log
  const auth::Credentials* user = nullptr;
  std::string_view region;  // this endpoint's (--region)
  // The addressed bucket's stored attributes (owner, region), filled in by
  // Authorize when the bucket exists.
  fsclient::BucketAttributes bucket_attributes;

  // Filled in as the answer goes out, for metrics and the access log.
  int status = 0;
  uint64_t bytes_out = 0;
  std::string error_code;

  // x-amz-request-id, x-amz-id-2, Date, Server.
  Headers BaseHeaders() const;
  // An S3 error (message defaults to AWS's text for the code), with the
  // elements it carries after Message (see ErrorDetails).
  void Error(std::string_view code, std::string_view message = {},
             const ErrorDetails& details = {});
  // A failed fsclient call: S3 errors as they are, system errors as
  // InternalError/SlowDown without internals.
  void Error(const Status& status);
  void SendXml(int http_status, const XmlResponse& xml, Headers extra = {});
  void SendEmpty(int http_status, Headers extra = {});
  // "/bucket/key" for the Resource element.
  std::string Resource() const;
  // x-fsgate-dirops: sync on this request.
  bool SyncDiropsRequested() const;
};

}  // namespace fsgate::gateway
