// S3Context: one S3 request as its handler sees it — the parsed request, the
// resolved bucket and key, the payload (decoded and verified as it streams),
// and the ways to answer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "gateway/s3_error.h"
#include "gateway/s3_operation_table.h"
#include "http/http_message.h"
#include "store/object_store.h"

namespace fsgate::auth {
struct Credentials;
class CredentialStore;
}  // namespace fsgate::auth

namespace fsgate::gateway {

class XmlResponse;
class PayloadReader;

// x-amz-request-id, x-amz-id-2, Date, Server: on every S3 answer.
http::Headers S3BaseHeaders(std::string_view request_id, std::string_view host_id);

struct S3Context {
  http::HttpRequest& request;
  PayloadReader& payload;
  http::ResponseWriter& response;
  store::ObjectStore& store;

  std::string bucket;  // empty for service-level requests
  std::string key;     // empty for bucket-level requests
  std::string request_id;
  std::string host_id;
  S3Operation operation = S3Operation::kUnknown;  // names it in metrics and the access log
  const S3OperationRow* row = nullptr;            // its table row; nullptr for kUnknown
  const auth::Credentials* user = nullptr;
  // Every user: ACL grants name them; a POST form carries its credentials.
  const auth::CredentialStore* users = nullptr;
  std::string_view region;        // this endpoint's (--region)
  bool secure_transport = false;  // over TLS: aws:SecureTransport of a bucket policy
  // The addressed bucket's stored attributes (owner, region), filled in by
  // Authorize when the bucket exists.
  store::BucketAttributes bucket_attributes;
  bool bucket_found = false;  // Authorize found the addressed bucket
  // Access-Control-* and Vary for a browser's request that a CORS rule of the
  // bucket allows (ApplyCorsRules); on every answer, errors included.
  http::Headers cors_headers;

  // Filled in as the answer goes out, for metrics and the access log.
  int status = 0;
  uint64_t bytes_out = 0;
  std::string error_code;

  // x-amz-request-id, x-amz-id-2, Date, Server.
  http::Headers BaseHeaders() const;
  // An S3 error (message defaults to AWS's text for the code), with the
  // elements it carries after Message (see ErrorDetails).
  // `extra` headers go with it (x-amz-delete-marker of a read that found one).
  void Error(std::string_view code, std::string_view message = {}, const ErrorDetails& details = {},
             http::Headers extra = {});
  // NotImplemented, naming the operation fsgate does not serve.
  void NotImplemented();
  // A failed store call: S3 errors as they are, system errors as
  // InternalError/SlowDown without internals.
  void Error(const Status& status);
  void SendXml(int http_status, const XmlResponse& xml, http::Headers extra = {});
  void SendEmpty(int http_status, http::Headers extra = {});
  // "/bucket/key" for the Resource element.
  std::string Resource() const;
  // x-fsgate-dirops: sync on this request.
  bool SyncDiropsRequested() const;
};

}  // namespace fsgate::gateway
