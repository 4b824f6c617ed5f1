// The one table of S3 operations. A row says, for one operation, what selects
// it from a request (method, what the path addresses, the sub-resources and
// headers it needs), the handler that serves it, how its caller may
// authenticate, what Authorize checks, and how large a body the handler reads.
//
// Routing walks the rows in order and takes the first that matches, so a row
// needing more (PUT ?partNumber&uploadId with x-amz-copy-source) comes before
// one needing less (PUT ?partNumber&uploadId, then PUT). A request naming two
// sub-resources of a bucket is the earlier row's. A request no row matches is
// S3Operation::kUnknown, answered MethodNotAllowed once authenticated.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "gateway/s3_operation.h"
#include "http/http_message.h"

namespace fsgate::gateway {

struct S3Context;
using S3Handler = void (*)(S3Context&);

// What the request's path (or virtual host) names.
enum class Addressed : uint8_t { kService, kBucket, kObject };

// Query parameters a request may carry beside those that select its row.
// Request parameters (x-id, X-Amz-* of presigned URLs) are always allowed.
enum class OtherParameters : uint8_t {
  kAny,      // ignored: objects, and a bucket's sub-resource operations
  kNone,     // PUT or DELETE of a bucket: "?foo" is no CreateBucket
  kListing,  // the listings' (prefix, delimiter, ...) and names S3 gives nothing ("?foo");
             // a sub-resource's name ("?abac") makes a GET no listing
};

struct S3Match {
  std::string_view method;  // upper case
  Addressed addressed;
  std::array<std::string_view, 2> query = {};  // parameters that must be present
  std::string_view query_value = {};           // the value query[0] must have; empty: any
  std::string_view header = {};                // a header that must be present (lower case)
  std::string_view header_prefix = {};         // ... starting with this (ASCII case ignored)
  OtherParameters others = OtherParameters::kAny;
};

// How a caller may prove who it is; a row allows a set of them.
enum AuthMode : uint8_t {
  kAuthHeader = 1,     // Authorization header (SigV4 or SigV2)
  kAuthPresigned = 2,  // SigV4 or SigV2 in the query string (presigned URL)
  kAuthPostForm = 4,   // policy and signature as fields of a multipart/form-data body
  kAuthAnonymous = 8,  // none: allowed only where an ACL or a bucket policy may allow it
};
using AuthModes = uint8_t;
// No authentication at all, not even of credentials sent: the CORS preflight.
inline constexpr AuthModes kAuthNone = 0;
inline constexpr AuthModes kAuthSigV4 = kAuthHeader | kAuthPresigned;

// What Authorize checks before the handler runs (an admin passes every check).
enum class Access : uint8_t {
  // Any authenticated caller: ListBuckets lists the caller's own buckets, and
  // CreateBucket of a taken name is answered by its handler (BucketAlreadyExists).
  kCaller,
  kBucketOwner,
  // The owner of the bucket written to and of the x-amz-copy-source bucket.
  kBucketOwnerAndCopySource,
  // No one is checked: the CORS preflight, which the bucket's CORS rules decide.
  kAnyone,
  // Checked by the handler once the body names the caller and the key: POST
  // object's form (AuthorizeFormUpload).
  kByHandler,
};

// body_limit of the rows whose body becomes an object or a part: the
// configured object size (AWS's 5 GiB), enforced by LimitObjectPayload.
inline constexpr uint64_t kObjectSizeLimit = UINT64_MAX;

struct S3OperationRow {
  S3Operation operation;
  S3Match match;
  S3Handler handler;  // nullptr: NotImplemented
  AuthModes auth;
  std::string_view action;  // the IAM action a policy names ("s3:PutObject")
  Access access;
  uint64_t body_limit;  // bytes the handler reads at most; 0 when it reads none
};

// Every row, in matching order.
std::span<const S3OperationRow> S3OperationTable();

// The row of `operation`; nullptr for kUnknown.
const S3OperationRow* FindS3Operation(S3Operation operation);

// The first row matching a request that addresses `addressed`; nullptr when none does.
const S3OperationRow* MatchS3Operation(const http::HttpRequest& request, Addressed addressed);

// The first query parameter of a bucket request that no operation on a
// bucket takes (neither a request nor a listing parameter), for the error
// message of UnknownSubresource; empty when there is none.
std::string_view UnknownBucketParameter(const http::HttpRequest& request);

}  // namespace fsgate::gateway
