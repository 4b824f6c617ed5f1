#include "auth/sigv2.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <string>

#include "auth/sigv4_canonical.h"
#include "base/hash.h"

namespace fsgate::auth {
namespace {

// The query parameters that are part of V2's CanonicalizedResource.
// botocore's HmacV1Auth signs the same set.
constexpr std::string_view kSubResources[] = {
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "replication",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
};

struct Query {
  std::string_view path;
  // Decoded name → decoded value; hasValue false for "?acl".
  std::multimap<std::string, std::pair<bool, std::string>> params;
};

Query SplitTarget(std::string_view target) {
  Query q;
  const size_t question = target.find('?');
  q.path = target.substr(0, question);
  if (question == std::string_view::npos) return q;
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view item = rest.substr(0, amp);
    const size_t eq = item.find('=');
    if (!item.empty()) {
      q.params.emplace(
          sigv4::PercentDecode(item.substr(0, eq)),
          std::pair{eq != std::string_view::npos, eq == std::string_view::npos
                                                      ? std::string()
                                                      : sigv4::PercentDecode(item.substr(eq + 1))});
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return q;
}

const std::string* Param(const Query& q, std::string_view name) {
  auto it = q.params.find(std::string(name));
  return it == q.params.end() ? nullptr : &it->second.second;
}

std::string HeaderValue(const RequestView& request, std::string_view name) {
  return std::string(sigv4::FindHeader(request.headers, name).value_or(""));
}

AuthResult Fail(std::string_view code, std::string_view message) {
  AuthResult result;
  result.error_code = code;
  result.error_message = message;
  return result;
}

// How a client may spell the CanonicalizedResource. AWS defines kCanonical;
// botocore (1.29 to today) signs a bucket-only path-style request as
// "/bucket/" (kBucketSlash, which S3 accepts), and an operation whose URI
// carries a fixed query ("?list-type=2", "?tagging", "?uploads") with that
// query appended to the path before the sub-resources, each after a '?'
// (kFixedQuery). Each form still names the bucket, key and sub-resources,
// so accepting it proves as much as the canonical one.
enum class ResourceForm { kCanonical, kBucketSlash, kFixedQuery };

// Both forms' string to sign; `time` is the header form's Date or the URL's
// Expires. Empty when `form` does not apply to the request.
std::string StringToSign(const RequestView& request, std::string_view time,
                         std::string_view host_bucket, ResourceForm form) {
  const Query q = SplitTarget(request.target);
  std::string resource = host_bucket.empty() ? "" : "/" + std::string(host_bucket);
  resource += q.path;
  if (form == ResourceForm::kBucketSlash) {
    if (resource.size() < 2 || resource.find('/', 1) != std::string::npos) return {};
    resource += '/';
  }
  char separator = '?';
  if (form == ResourceForm::kFixedQuery) {
    const std::string_view query = request.target.substr(request.target.find('?') + 1);
    if (request.target.find('?') == std::string_view::npos || query.empty()) return {};
    resource += "?" + std::string(query.substr(0, query.find('&')));
  }
  for (const auto& [name, value] : q.params) {  // a multimap: sorted by name
    if (std::find(std::begin(kSubResources), std::end(kSubResources), name) ==
        std::end(kSubResources)) {
      continue;
    }
    resource += separator + name;
    if (value.first) resource += "=" + value.second;
    separator = '&';
  }
  std::string text = std::string(request.method) + "\n" + HeaderValue(request, "content-md5") +
                     "\n" + HeaderValue(request, "content-type") + "\n" + std::string(time) + "\n";
  // x-amz-* headers: lower-case names, sorted, repeated ones joined by ','.
  std::map<std::string, std::string> amz;
  for (const auto& [header, value] : request.headers) {
    const std::string lower = sigv4::ToLower(header);
    if (!lower.starts_with("x-amz-")) continue;
    std::string& joined = amz[lower];
    joined += (joined.empty() ? "" : ",") + std::string(sigv4::Trim(value));
  }
  for (const auto& [name, value] : amz) text += name + ":" + value + "\n";
  return text + resource;
}

// Both forms' check of `signature` (base64) by `credentials`' secret.
AuthResult CheckSignature(const RequestView& request, std::string_view time,
                          std::string_view host_bucket, const Credentials* credentials,
                          std::string_view signature) {
  bool match = false;
  for (ResourceForm form :
       {ResourceForm::kCanonical, ResourceForm::kBucketSlash, ResourceForm::kFixedQuery}) {
    const std::string text = StringToSign(request, time, host_bucket, form);
    if (!text.empty() &&
        ConstantTimeEqual(Base64Encode(HmacSha1(credentials->secret_key, text)), signature)) {
      match = true;
      break;
    }
  }
  return SignatureChecked(credentials, match);
}

// The header form's Date line: empty when x-amz-date is sent.
std::string DateLine(const RequestView& request) {
  const bool amz_date = sigv4::FindHeader(request.headers, "x-amz-date").has_value();
  return amz_date ? "" : HeaderValue(request, "date");
}

constexpr std::string_view kMissingDate =
    "AWS authentication requires a valid Date or x-amz-date header";

}  // namespace

std::string PresignedV2StringToSign(const RequestView& request, std::string_view expires,
                                    std::string_view host_bucket) {
  return StringToSign(request, expires, host_bucket, ResourceForm::kCanonical);
}

std::string HeaderV2StringToSign(const RequestView& request, std::string_view host_bucket) {
  return StringToSign(request, DateLine(request), host_bucket, ResourceForm::kCanonical);
}

bool IsHeaderV2(std::string_view authorization) { return authorization.starts_with("AWS "); }

AuthResult AuthenticateHeaderV2(const RequestView& request, std::string_view authorization,
                                const CredentialStore& users,
                                std::chrono::system_clock::time_point now,
                                std::string_view host_bucket) {
  // "AWS AccessKeyId:Signature"; the key id holds no ':', a signature no ':'.
  const std::string_view credential = sigv4::Trim(authorization.substr(4));
  const size_t colon = credential.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == credential.size() ||
      credential.find(':', colon + 1) != std::string_view::npos) {
    return Fail("InvalidArgument",
                "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature");
  }
  if (const Query q = SplitTarget(request.target);
      Param(q, "Signature") != nullptr || Param(q, "AWSAccessKeyId") != nullptr) {
    return Fail("InvalidArgument", sigv4::kOneAuthMechanism);
  }
  // x-amz-date, when sent (even empty), is the request's time; else Date.
  // Before 1970 is no valid time (S3 answers AccessDenied, not a skew).
  const auto amz_date = sigv4::FindHeader(request.headers, "x-amz-date");
  const auto date = amz_date ? amz_date : sigv4::FindHeader(request.headers, "date");
  const auto time = date ? sigv4::ParseHttpDate(*date) : std::nullopt;
  if (!time || time->time_since_epoch().count() < 0) return Fail("AccessDenied", kMissingDate);
  if (*time > now + sigv4::kMaxSkew || *time < now - sigv4::kMaxSkew) {
    return Fail("RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.");
  }
  const Credentials* credentials = users.Find(credential.substr(0, colon));
  if (credentials == nullptr) {
    return Fail("InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.");
  }
  return CheckSignature(request, DateLine(request), host_bucket, credentials,
                        credential.substr(colon + 1));
}

constexpr int64_t kMaxPresignedV2Seconds = 604800;

AuthResult AuthenticatePresignedV2(const RequestView& request, const CredentialStore& users,
                                   std::chrono::system_clock::time_point now,
                                   std::string_view host_bucket) {
  const Query q = SplitTarget(request.target);
  const std::string* key = Param(q, "AWSAccessKeyId");
  const std::string* expires = Param(q, "Expires");
  const std::string* signature = Param(q, "Signature");
  if (key == nullptr || expires == nullptr || signature == nullptr) {
    return Fail("AccessDenied",
                "Query-string authentication requires the Signature, Expires and "
                "AWSAccessKeyId parameters");
  }
  int64_t expiry = 0;
  auto [end, ec] = std::from_chars(expires->data(), expires->data() + expires->size(), expiry);
  if (ec != std::errc() || end != expires->data() + expires->size()) {
    return Fail("AccessDenied",
                "Query-string authentication requires the Signature, Expires and "
                "AWSAccessKeyId parameters");
  }
  const int64_t seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  // Expires is the first second the URL no longer works (ExpiresIn=0 makes a
  // URL that never does); and, as SigV4's X-Amz-Expires, at most a week ahead.
  if (seconds >= expiry) return Fail("AccessDenied", "Request has expired");
  if (expiry - seconds > kMaxPresignedV2Seconds) {
    return Fail("AccessDenied", "Expires must be less than a week (in seconds) that is 604800");
  }
  const Credentials* credentials = users.Find(*key);
  if (credentials == nullptr) {
    return Fail("InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.");
  }
  return CheckSignature(request, *expires, host_bucket, credentials, *signature);
}

AuthResult SignatureChecked(const Credentials* credentials, bool signature_matches) {
  if (!signature_matches) {
    return Fail("SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you "
                "provided. Check your key and signing method.");
  }
  AuthResult result;
  result.ok = true;
  result.credentials = credentials;
  result.payload = PayloadMode::kUnsigned;
  return result;
}

}  // namespace fsgate::auth
