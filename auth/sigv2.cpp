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
constexpr std::string_view kSubResources[] = {
    "acl",
    "cors",
    "delete",
    "lifecycle",
    "location",
    "logging",
    "notification",
    "partNumber",
    "policy",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
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

}  // namespace

std::string PresignedV2StringToSign(const RequestView& request, std::string_view expires,
                                    std::string_view host_bucket) {
  const Query q = SplitTarget(request.target);
  std::string text = std::string(request.method) + "\n" + HeaderValue(request, "content-md5") +
                     "\n" + HeaderValue(request, "content-type") + "\n" + std::string(expires) +
                     "\n";
  // x-amz-* headers: lower-case names, sorted, repeated ones joined by ','.
  std::map<std::string, std::string> amz;
  for (const auto& [header, value] : request.headers) {
    const std::string lower = sigv4::ToLower(header);
    if (!lower.starts_with("x-amz-")) continue;
    std::string& joined = amz[lower];
    joined += (joined.empty() ? "" : ",") + std::string(sigv4::Trim(value));
  }
  for (const auto& [name, value] : amz) text += name + ":" + value + "\n";
  if (!host_bucket.empty()) text += "/" + std::string(host_bucket);
  text += q.path;
  char separator = '?';
  for (const auto& [name, value] : q.params) {  // a multimap: sorted by name
    if (std::find(std::begin(kSubResources), std::end(kSubResources), name) ==
        std::end(kSubResources)) {
      continue;
    }
    text += separator + name;
    if (value.first) text += "=" + value.second;
    separator = '&';
  }
  return text;
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
  const std::string expected = Base64Encode(
      HmacSha1(credentials->secret_key, PresignedV2StringToSign(request, *expires, host_bucket)));
  return SignatureChecked(credentials, ConstantTimeEqual(expected, *signature));
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
