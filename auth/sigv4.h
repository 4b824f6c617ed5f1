// SigV4 verification of S3 requests: the Authorization header and presigned
// query strings, as AWS specifies them (canonical request, string to sign,
// derived signing key). Signatures are compared in constant time.
//
// No HTTP library types here: the gateway passes a RequestView.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/credentials.h"

namespace fsgate::auth {

struct RequestView {
  std::string_view method;  // "GET", "PUT", ...
  std::string_view target;  // as received: percent-encoded path, then '?' and the raw query
  // Header name (any case) and value as received; a repeated header appears repeatedly.
  std::vector<std::pair<std::string_view, std::string_view>> headers;
};

// How the body is protected, from x-amz-content-sha256.
enum class PayloadMode {
  kUnsigned,                  // UNSIGNED-PAYLOAD (and every presigned request)
  kSha256,                    // hex SHA-256 of the body, to check once it is read
  kStreamingSigned,           // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
  kStreamingUnsignedTrailer,  // STREAMING-UNSIGNED-PAYLOAD-TRAILER
  kStreamingSignedTrailer,    // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
};

// What a streaming body's chunk signatures chain from.
struct SigningContext {
  std::string signing_key;     // raw derived key: HMAC chain over date/region/"s3"/"aws4_request"
  std::string scope;           // "20130524/us-east-1/s3/aws4_request"
  std::string amz_date;        // "20130524T000000Z"
  std::string seed_signature;  // hex signature of the request itself
};

struct AuthResult {
  bool ok = false;
  // On failure: the S3 error code and message, e.g. "SignatureDoesNotMatch",
  // "AccessDenied" / "Request has expired", "RequestTimeTooSkewed",
  // "InvalidAccessKeyId", "AuthorizationHeaderMalformed", "AuthorizationQueryParametersError".
  std::string error_code;
  std::string error_message;
  // Further elements of the S3 error body, in order: HeadersNotSigned (the
  // unsigned headers, ", "-separated) or Region (the one expected).
  std::vector<std::pair<std::string, std::string>> error_details;

  const Credentials* credentials = nullptr;
  PayloadMode payload = PayloadMode::kUnsigned;
  std::string payload_sha256;  // lower-case hex, for kSha256
  SigningContext signing;      // for the streaming modes
};

// Verifies `request` against `users` at time `now`; the credential scope must
// name `region` and the service s3. Requests with neither an Authorization
// header nor X-Amz-Signature fail with AccessDenied.
AuthResult Authenticate(const RequestView& request, const CredentialStore& users,
                        std::chrono::system_clock::time_point now, std::string_view region);

// Client side, for the load generator and tests: adds x-amz-date,
// x-amz-content-sha256 and Authorization to `headers` (host must be present).
// `target` is the percent-encoded path and query as it will be sent.
void SignRequest(std::string_view method, std::string_view target,
                 std::vector<std::pair<std::string, std::string>>& headers,
                 std::string_view payload_sha256_hex, const Credentials& credentials,
                 std::string_view region, std::chrono::system_clock::time_point now);

}  // namespace fsgate::auth
