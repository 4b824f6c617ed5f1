// The POST policy of a browser form upload (POST object): the base64 JSON
// document a form carries in its `policy` field, its signature, and the check
// of the form's fields against its conditions, as S3 does them.
//
//   {"expiration": "2026-12-06T12:00:00.000Z",
//    "conditions": [{"bucket": "photos"}, ["starts-with", "$key", "user/"],
//                   ["eq", "$acl", "private"], ["content-length-range", 1, 10485760], ...]}
//
// - A condition object {"field": "value"} is an exact match, as ["eq", ...];
//   field names compare case-insensitively, values exactly; ["starts-with",
//   "$field", ""] allows any value.
// - Every form field but x-amz-signature, file, policy, x-ignore-* (and
//   SigV2's AWSAccessKeyId and signature) must be named by a condition: a
//   field the signer did not foresee is refused ("Extra input fields").
// - content-length-range bounds the file's size; the handler checks it as
//   the file streams (EntityTooLarge / EntityTooSmall).
//
// Signatures: SigV4 (x-amz-algorithm AWS4-HMAC-SHA256, x-amz-credential,
// x-amz-date, x-amz-signature = hex HMAC of the policy with the derived key)
// or SigV2 (AWSAccessKeyId, signature = base64 HMAC-SHA1 of the policy).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/sigv4.h"
#include "base/status.h"

namespace fsgate::auth {

// A form's fields before its file, names lower-cased, in form order.
using FormFields = std::vector<std::pair<std::string, std::string>>;

struct PostCondition {
  enum class Kind { kEq, kStartsWith, kLengthRange };
  Kind kind = Kind::kEq;
  std::string field;  // lower case, without '$'
  std::string value;
  int64_t min = 0;
  int64_t max = 0;
};

struct PostPolicy {
  std::chrono::system_clock::time_point expiration;
  std::vector<PostCondition> conditions;
  // The content-length-range, when one is given.
  std::optional<std::pair<int64_t, int64_t>> length_range;
};

// The policy field's base64 text, decoded and parsed; InvalidPolicyDocument
// (as an S3 error Status) with AWS's message when it is not a policy.
Result<PostPolicy> ParsePostPolicy(std::string_view policy_base64);

// Empty when `fields` (and the request's `bucket`) satisfy every condition
// and name no field the policy does not cover; otherwise AWS's AccessDenied
// message ("Invalid according to Policy: ...").
std::string CheckPostPolicy(const PostPolicy& policy, const FormFields& fields,
                            std::string_view bucket, std::chrono::system_clock::time_point now);

// The first value of `name` (lower case) in `fields`, or nullptr.
const std::string* FormField(const FormFields& fields, std::string_view name);

// Verifies the form's signature of its policy (SigV4 or SigV2 fields), for a
// credential scope in `region`. The S3 errors are those of a query-string
// signature: InvalidAccessKeyId, SignatureDoesNotMatch, InvalidArgument for
// a missing field.
AuthResult AuthenticatePostForm(const FormFields& fields, const CredentialStore& users,
                                std::string_view region);

}  // namespace fsgate::auth
