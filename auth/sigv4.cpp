#include "auth/sigv4.h"

#include <algorithm>
#include <array>
#include <set>

#include "auth/signing_key_cache.h"
#include "auth/sigv4_canonical.h"
#include "base/hash.h"

namespace fsgate::auth {
namespace {

using sigv4::kMaxSkew;
constexpr long kMaxPresignedExpires = 604800;  // seven days
constexpr std::string_view kService = "s3";
constexpr std::string_view kTerminator = "aws4_request";

constexpr std::string_view kHeaderMalformed = "AuthorizationHeaderMalformed";
constexpr std::string_view kQueryError = "AuthorizationQueryParametersError";

AuthResult Fail(std::string_view code, std::string message) {
  AuthResult result;
  result.error_code = code;
  result.error_message = std::move(message);
  return result;
}

using sigv4::EqualsIgnoreCase;
using sigv4::ToLower;
using sigv4::Trim;

std::optional<std::string_view> FindHeader(const RequestView& request, std::string_view name) {
  return sigv4::FindHeader(request.headers, name);
}

// "AKID/20130524/us-east-1/s3/aws4_request": the key id is everything before
// the last four components.
struct CredentialScope {
  std::string_view access_key;
  std::string_view date;
  std::string_view region;
  std::string_view service;
  std::string_view terminator;
  std::string_view scope;  // date/region/service/terminator
};

std::optional<CredentialScope> ParseCredential(std::string_view text) {
  std::array<size_t, 4> slashes{};
  size_t end = text.size();
  for (size_t i = 0; i < 4; ++i) {
    if (end == 0) return std::nullopt;
    const size_t slash = text.rfind('/', end - 1);
    if (slash == std::string_view::npos) return std::nullopt;
    slashes[3 - i] = slash;
    end = slash;
  }
  CredentialScope c;
  c.access_key = text.substr(0, slashes[0]);
  c.date = text.substr(slashes[0] + 1, slashes[1] - slashes[0] - 1);
  c.region = text.substr(slashes[1] + 1, slashes[2] - slashes[1] - 1);
  c.service = text.substr(slashes[2] + 1, slashes[3] - slashes[2] - 1);
  c.terminator = text.substr(slashes[3] + 1);
  c.scope = text.substr(slashes[0] + 1);
  const bool date_ok = c.date.size() == 8 && std::all_of(c.date.begin(), c.date.end(), [](char ch) {
                         return ch >= '0' && ch <= '9';
                       });
  if (c.access_key.empty() || !date_ok || c.region.empty()) return std::nullopt;
  return c;
}

// A credential scope AWS refuses: the reason, to follow the form's own
// prefix, and for a wrong region the region expected (S3's <Region> element,
// which SDKs read to re-sign for the right region).
struct ScopeProblem {
  std::string reason;
  std::string expected_region;
};

std::optional<ScopeProblem> CheckScope(const CredentialScope& c, std::string_view amz_date,
                                       std::string_view region) {
  if (c.service != kService) {
    return ScopeProblem{
        "incorrect service \"" + std::string(c.service) + "\". This endpoint belongs to \"s3\".",
        {}};
  }
  if (c.terminator != kTerminator) {
    return ScopeProblem{"incorrect terminal \"" + std::string(c.terminator) +
                            "\". This endpoint uses \"aws4_request\".",
                        {}};
  }
  if (c.region != region) {
    return ScopeProblem{"the region '" + std::string(c.region) + "' is wrong; expecting '" +
                            std::string(region) + "'",
                        std::string(region)};
  }
  if (amz_date.substr(0, 8) != c.date) {
    return ScopeProblem{"Invalid credential date. Date is not the same as X-Amz-Date.", {}};
  }
  return std::nullopt;
}

AuthResult FailScope(std::string_view code, std::string_view prefix, ScopeProblem problem) {
  AuthResult result = Fail(code, std::string(prefix) + problem.reason);
  if (!problem.expected_region.empty()) {
    result.error_details.emplace_back("Region", std::move(problem.expected_region));
  }
  return result;
}

// Both forms: S3 refuses a request whose signature leaves out host (else a
// signature made for one endpoint is good for any) or an x-amz-* header (they
// change what a request does: copy source, metadata directive, user metadata,
// ACL). x-amz-content-sha256 may go unsigned, as on S3: its value is the last
// line of the canonical request, so the signature covers it either way.
// Whether the ';'-separated `signed_headers` names `name` (any case). A
// scan of the list per header, not a set of lowered copies: a request has a
// handful of each, and this runs on every request.
bool NamesSigned(std::string_view signed_headers, std::string_view name) {
  for (std::string_view list = signed_headers; !list.empty();) {
    const size_t semi = list.find(';');
    if (EqualsIgnoreCase(list.substr(0, semi), name)) return true;
    list = semi == std::string_view::npos ? std::string_view{} : list.substr(semi + 1);
  }
  return false;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

std::optional<AuthResult> RefuseUnsignedHeaders(const RequestView& request,
                                                std::string_view signed_headers) {
  std::vector<std::string> unsigned_names;
  auto add = [&](std::string name) {
    if (std::find(unsigned_names.begin(), unsigned_names.end(), name) == unsigned_names.end()) {
      unsigned_names.push_back(std::move(name));
    }
  };
  if (!NamesSigned(signed_headers, "host")) add("host");
  for (const auto& [name, value] : request.headers) {
    if (StartsWithIgnoreCase(name, "x-amz-") && !EqualsIgnoreCase(name, "x-amz-content-sha256") &&
        !NamesSigned(signed_headers, name)) {
      add(ToLower(name));
    }
  }
  if (unsigned_names.empty()) return std::nullopt;
  AuthResult result =
      Fail("AccessDenied", "There were headers present in the request which were not signed");
  std::string list;
  for (const auto& name : unsigned_names) {
    if (!list.empty()) list += ", ";
    list += name;
  }
  result.error_details.emplace_back("HeadersNotSigned", std::move(list));
  return result;
}

bool IsSha256Hex(std::string_view value) {
  return value.size() == 64 && std::all_of(value.begin(), value.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

// Sets result.payload (and payload_sha256) from x-amz-content-sha256.
bool ParsePayloadMode(std::string_view value, AuthResult& result) {
  if (value == sigv4::kUnsignedPayload) {
    result.payload = PayloadMode::kUnsigned;
  } else if (value == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") {
    result.payload = PayloadMode::kStreamingSigned;
  } else if (value == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") {
    result.payload = PayloadMode::kStreamingUnsignedTrailer;
  } else if (value == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") {
    result.payload = PayloadMode::kStreamingSignedTrailer;
  } else if (IsSha256Hex(value)) {
    result.payload = PayloadMode::kSha256;
    result.payload_sha256 = ToLower(value);
  } else {
    return false;
  }
  return true;
}

bool IsStreaming(PayloadMode mode) {
  return mode == PayloadMode::kStreamingSigned || mode == PayloadMode::kStreamingUnsignedTrailer ||
         mode == PayloadMode::kStreamingSignedTrailer;
}

// What both forms need once parsed: the last steps are common.
struct Claim {
  CredentialScope credential;
  std::string_view signed_headers;
  std::string_view signature;
  std::string amz_date;
  std::string_view payload_hash;
  std::string_view exclude_query_parameter;
  // Header form only: a signature over the target exactly as sent is also
  // good (see CanonicalRequestParts::target_as_sent). It binds the same bytes
  // the router decodes, so it proves as much as the canonical form does.
  bool accept_target_as_sent = false;
};

AuthResult Verify(const RequestView& request, const CredentialStore& users, const Claim& claim,
                  AuthResult result) {
  const Credentials* user = users.Find(claim.credential.access_key);
  if (user == nullptr) {
    return Fail("InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.");
  }
  // The request's own list: a copy of it was a malloc of every request.
  const sigv4::HeaderList& headers = request.headers;
  std::string key = SigningKeyCache::Shared().Get(
      user->secret_key, claim.credential.date, claim.credential.region, claim.credential.service);
  auto sign = [&](bool target_as_sent) {
    const std::string canonical = sigv4::CanonicalRequest({
        .method = request.method,
        .target = request.target,
        .headers = &headers,
        .signed_headers = claim.signed_headers,
        .payload_hash = claim.payload_hash,
        .exclude_query_parameter = claim.exclude_query_parameter,
        .target_as_sent = target_as_sent,
    });
    return sigv4::Signature(key,
                            sigv4::StringToSign(claim.amz_date, claim.credential.scope, canonical));
  };
  std::string signature = sign(false);
  bool match = ConstantTimeEqual(signature, claim.signature);
  if (!match && claim.accept_target_as_sent) {
    signature = sign(true);
    match = ConstantTimeEqual(signature, claim.signature);
  }
  if (!match) {
    return Fail("SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. "
                "Check your key and signing method.");
  }
  result.ok = true;
  result.credentials = user;
  if (IsStreaming(result.payload)) {
    result.signing = SigningContext{.signing_key = std::move(key),
                                    .scope = std::string(claim.credential.scope),
                                    .amz_date = claim.amz_date,
                                    .seed_signature = signature};
  }
  return result;
}

AuthResult AuthenticateHeader(const RequestView& request, std::string_view authorization,
                              const CredentialStore& users,
                              std::chrono::system_clock::time_point now, std::string_view region) {
  const size_t space = authorization.find(' ');
  if (authorization.substr(0, space) != sigv4::kAlgorithm) {
    return Fail("InvalidRequest",
                "The authorization mechanism you have provided is not supported. Please use "
                "AWS4-HMAC-SHA256.");
  }
  std::optional<std::string_view> credential, signed_headers, signature;
  std::string_view rest =
      space == std::string_view::npos ? std::string_view{} : authorization.substr(space + 1);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view field = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (field.empty()) continue;  // a stray or trailing comma
    const size_t eq = field.find('=');
    const std::string_view name = field.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : field.substr(eq + 1);
    auto* slot = name == "Credential"      ? &credential
                 : name == "SignedHeaders" ? &signed_headers
                 : name == "Signature"     ? &signature
                                           : nullptr;
    if (slot == nullptr || slot->has_value() || eq == std::string_view::npos) {
      return Fail(kHeaderMalformed, "The authorization header is malformed; unexpected field \"" +
                                        std::string(name) + "\".");
    }
    *slot = value;
  }
  if (!credential || !signed_headers || !signature || signed_headers->empty()) {
    return Fail(kHeaderMalformed,
                "The authorization header is malformed; it requires Credential, SignedHeaders and "
                "Signature.");
  }
  const auto scope = ParseCredential(*credential);
  if (!scope) {
    return Fail(kHeaderMalformed,
                "The authorization header is malformed; the Credential is mal-formed; expecting "
                "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
  }

  // The request time: x-amz-date, else Date (then re-spelt for the string to sign).
  std::optional<std::chrono::system_clock::time_point> time;
  std::string amz_date;
  if (auto x_amz_date = FindHeader(request, "x-amz-date")) {
    time = sigv4::ParseAmzDate(*x_amz_date);
    amz_date = *x_amz_date;
  } else if (auto date = FindHeader(request, "date")) {
    time = sigv4::ParseHttpDate(*date);
    if (time) amz_date = sigv4::FormatAmzDate(*time);
  }
  if (!time) {
    return Fail("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
  }
  if (auto problem = CheckScope(*scope, amz_date, region)) {
    return FailScope(kHeaderMalformed, "The authorization header is malformed; ",
                     std::move(*problem));
  }
  if (*time > now + kMaxSkew || *time < now - kMaxSkew) {
    return Fail("RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.");
  }

  AuthResult result;
  const auto content_sha256 = FindHeader(request, "x-amz-content-sha256");
  if (!content_sha256) {
    return Fail("InvalidRequest", "Missing required header for this request: x-amz-content-sha256");
  }
  if (!ParsePayloadMode(*content_sha256, result)) {
    return Fail(
        "InvalidArgument",
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or "
        "a valid sha256 value.");
  }

  if (auto refused = RefuseUnsignedHeaders(request, *signed_headers)) return std::move(*refused);

  return Verify(request, users,
                Claim{.credential = *scope,
                      .signed_headers = *signed_headers,
                      .signature = *signature,
                      .amz_date = std::move(amz_date),
                      .payload_hash = *content_sha256,
                      .exclude_query_parameter = {},
                      .accept_target_as_sent = true},
                std::move(result));
}

// Decoded query parameters, for reading the X-Amz-* values.
std::vector<std::pair<std::string, std::string>> QueryParameters(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const size_t eq = param.find('=');
    params.emplace_back(sigv4::PercentDecode(param.substr(0, eq)),
                        sigv4::PercentDecode(eq == std::string_view::npos ? std::string_view{}
                                                                          : param.substr(eq + 1)));
  }
  return params;
}

const std::string* FindParameter(const std::vector<std::pair<std::string, std::string>>& params,
                                 std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return &value;
  }
  return nullptr;
}

AuthResult AuthenticatePresigned(const RequestView& request,
                                 const std::vector<std::pair<std::string, std::string>>& params,
                                 const CredentialStore& users,
                                 std::chrono::system_clock::time_point now,
                                 std::string_view region) {
  const std::string* algorithm = FindParameter(params, "X-Amz-Algorithm");
  const std::string* credential = FindParameter(params, "X-Amz-Credential");
  const std::string* date = FindParameter(params, "X-Amz-Date");
  const std::string* expires = FindParameter(params, "X-Amz-Expires");
  const std::string* signed_headers = FindParameter(params, "X-Amz-SignedHeaders");
  const std::string* signature = FindParameter(params, "X-Amz-Signature");
  if (!algorithm || !credential || !date || !expires || !signed_headers || !signature) {
    return Fail(kQueryError,
                "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                "X-Amz-Expires parameters.");
  }
  if (*algorithm != sigv4::kAlgorithm) {
    return Fail(kQueryError, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  }
  const auto time = sigv4::ParseAmzDate(*date);
  if (!time) {
    return Fail(kQueryError,
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  }
  if (expires->empty() || expires->size() > 9 ||
      !std::all_of(expires->begin(), expires->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Fail(kQueryError, "X-Amz-Expires should be a number");
  }
  const long expires_seconds = std::stol(*expires);
  if (expires_seconds > kMaxPresignedExpires) {
    return Fail(kQueryError, "X-Amz-Expires must be less than a week (in seconds) that is 604800");
  }
  const auto scope = ParseCredential(*credential);
  if (!scope) {
    return Fail(kQueryError,
                "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
                "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
  }
  if (auto problem = CheckScope(*scope, *date, region)) {
    return FailScope(kQueryError, "Error parsing the X-Amz-Credential parameter; ",
                     std::move(*problem));
  }
  if (*time > now + kMaxSkew) {
    return Fail("AccessDenied", "Request is not valid yet");
  }
  // X-Amz-Expires=0 makes a URL that never works (valid through the last of
  // its seconds otherwise).
  if (expires_seconds == 0 || now > *time + std::chrono::seconds(expires_seconds)) {
    return Fail("AccessDenied", "Request has expired");
  }

  AuthResult result;
  std::string_view payload_hash = sigv4::kUnsignedPayload;
  if (auto content_sha256 = FindHeader(request, "x-amz-content-sha256")) {
    if (!ParsePayloadMode(*content_sha256, result)) {
      return Fail("InvalidArgument",
                  "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a streaming "
                  "mode or a valid sha256 value.");
    }
    payload_hash = *content_sha256;
  }
  if (auto refused = RefuseUnsignedHeaders(request, *signed_headers)) return std::move(*refused);
  return Verify(request, users,
                Claim{.credential = *scope,
                      .signed_headers = *signed_headers,
                      .signature = *signature,
                      .amz_date = *date,
                      .payload_hash = payload_hash,
                      .exclude_query_parameter = "X-Amz-Signature"},
                std::move(result));
}

}  // namespace

AuthResult Authenticate(const RequestView& request, const CredentialStore& users,
                        std::chrono::system_clock::time_point now, std::string_view region) {
  const size_t question = request.target.find('?');
  const auto params =
      QueryParameters(question == std::string_view::npos ? std::string_view{}
                                                         : request.target.substr(question + 1));
  const bool presigned = FindParameter(params, "X-Amz-Signature") != nullptr ||
                         FindParameter(params, "X-Amz-Algorithm") != nullptr ||
                         FindParameter(params, "X-Amz-Credential") != nullptr;
  const auto authorization = FindHeader(request, "authorization");
  if (authorization && presigned) {
    return Fail("InvalidArgument", std::string(sigv4::kOneAuthMechanism));
  }
  if (authorization) return AuthenticateHeader(request, *authorization, users, now, region);
  if (presigned) return AuthenticatePresigned(request, params, users, now, region);
  return Fail("AccessDenied", "Access Denied");
}

void SignRequest(std::string_view method, std::string_view target,
                 std::vector<std::pair<std::string, std::string>>& headers,
                 std::string_view payload_sha256_hex, const Credentials& credentials,
                 std::string_view region, std::chrono::system_clock::time_point now) {
  const std::string amz_date = sigv4::FormatAmzDate(now);
  const std::string date = amz_date.substr(0, 8);
  std::erase_if(headers, [](const auto& header) {
    return EqualsIgnoreCase(header.first, "authorization") ||
           EqualsIgnoreCase(header.first, "x-amz-date") ||
           EqualsIgnoreCase(header.first, "x-amz-content-sha256");
  });
  headers.emplace_back("x-amz-date", amz_date);
  headers.emplace_back("x-amz-content-sha256", payload_sha256_hex);

  std::set<std::string> names;
  for (const auto& header : headers) names.insert(ToLower(header.first));
  std::string signed_headers;
  for (const auto& name : names) {
    if (!signed_headers.empty()) signed_headers.push_back(';');
    signed_headers += name;
  }
  sigv4::HeaderList views;
  for (const auto& [name, value] : headers) views.emplace_back(name, value);
  const std::string canonical = sigv4::CanonicalRequest({.method = method,
                                                         .target = target,
                                                         .headers = &views,
                                                         .signed_headers = signed_headers,
                                                         .payload_hash = payload_sha256_hex,
                                                         .exclude_query_parameter = {}});
  const std::string scope = date + "/" + std::string(region) + "/" + std::string(kService) + "/" +
                            std::string(kTerminator);
  const std::string signature =
      sigv4::Signature(sigv4::SigningKey(credentials.secret_key, date, region, kService),
                       sigv4::StringToSign(amz_date, scope, canonical));
  headers.emplace_back("Authorization", std::string(sigv4::kAlgorithm) +
                                            " Credential=" + credentials.access_key + "/" + scope +
                                            ", SignedHeaders=" + signed_headers +
                                            ", Signature=" + signature);
}

}  // namespace fsgate::auth
