#include "auth/post_policy.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <ctime>

#include "auth/signing_key_cache.h"
#include "auth/sigv2.h"
#include "auth/sigv4_canonical.h"
#include "base/hash.h"
#include "base/iso8601.h"

namespace fsgate::auth {
namespace {

Status InvalidPolicy(std::string_view why) {
  return Status::Error(StatusCode::kInvalidArgument, "Invalid Policy: " + std::string(why),
                       "InvalidPolicyDocument");
}

// "2026-12-06T12:00:00Z" or with milliseconds "…:00.000Z", as the SDKs write it.
std::optional<std::chrono::system_clock::time_point> ParseExpiration(std::string_view text) {
  const auto parsed = ParseIso8601Seconds(text);
  if (!parsed) return std::nullopt;
  // The clock counts nanoseconds in 64 bits, from 1677 to 2262: a later
  // expiration never comes, as it never does for S3 either, and one before
  // 1970 has passed.
  const time_t seconds = static_cast<time_t>(*parsed);
  constexpr time_t kLastSecond = 9'000'000'000;  // 2255
  if (seconds > kLastSecond) return std::chrono::system_clock::time_point::max();
  if (seconds < 0) return std::chrono::system_clock::time_point{};
  return std::chrono::system_clock::from_time_t(seconds);
}

std::string FieldName(std::string_view text) {
  if (text.starts_with('$')) text.remove_prefix(1);
  return sigv4::ToLower(text);
}

std::string String(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

std::optional<int64_t> Integer(const rapidjson::Value& v) {
  if (v.IsInt64()) return v.GetInt64();
  if (!v.IsString()) return std::nullopt;
  const std::string s = String(v);
  char* end = nullptr;
  const long long n = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0') return std::nullopt;
  return n;
}

Result<PostCondition> ParseCondition(const rapidjson::Value& v) {
  if (v.IsObject()) {
    if (v.MemberCount() != 1 || !v.MemberBegin()->value.IsString()) {
      return InvalidPolicy(
          "Invalid Simple-Condition: Simple-Conditions must have exactly one "
          "property specified.");
    }
    return PostCondition{.kind = PostCondition::Kind::kEq,
                         .field = FieldName(String(v.MemberBegin()->name)),
                         .value = String(v.MemberBegin()->value),
                         .min = 0,
                         .max = 0};
  }
  if (!v.IsArray() || v.Size() != 3 || !v[0].IsString()) {
    return InvalidPolicy("Invalid Condition: a condition must be an object or a 3-element array.");
  }
  const std::string op = sigv4::ToLower(String(v[0]));
  if (op == "content-length-range") {
    auto min = Integer(v[1]);
    auto max = Integer(v[2]);
    if (!min || !max || *min < 0 || *max < *min) {
      return InvalidPolicy("Invalid content-length-range.");
    }
    return PostCondition{.kind = PostCondition::Kind::kLengthRange,
                         .field = {},
                         .value = {},
                         .min = *min,
                         .max = *max};
  }
  if ((op != "eq" && op != "starts-with") || !v[1].IsString() || !v[2].IsString()) {
    return InvalidPolicy("Invalid Condition: unknown operation " + String(v[0]) + ".");
  }
  return PostCondition{
      .kind = op == "eq" ? PostCondition::Kind::kEq : PostCondition::Kind::kStartsWith,
      .field = FieldName(String(v[1])),
      .value = String(v[2])};
}

// AWS names a failed condition in its array form: ["eq", "$key", "value"].
std::string Describe(const PostCondition& c) {
  return std::string("[\"") + (c.kind == PostCondition::Kind::kEq ? "eq" : "starts-with") +
         "\", \"$" + c.field + "\", \"" + c.value + "\"]";
}

// Form fields no condition needs to name.
bool Exempt(std::string_view name) {
  return name == "x-amz-signature" || name == "file" || name == "policy" ||
         name.starts_with("x-ignore-") || name == "awsaccesskeyid" || name == "signature";
}

AuthResult Fail(std::string_view code, std::string message,
                std::vector<std::pair<std::string, std::string>> details = {}) {
  AuthResult result;
  result.error_code = code;
  result.error_message = std::move(message);
  result.error_details = std::move(details);
  return result;
}

AuthResult MissingField(std::string_view name) {
  return Fail("InvalidArgument",
              "Bucket POST must contain a field named '" + std::string(name) +
                  "'.  If it is specified, please check the order of the fields.",
              {{"ArgumentName", std::string(name)}, {"ArgumentValue", ""}});
}

}  // namespace

const std::string* FormField(const FormFields& fields, std::string_view name) {
  for (const auto& [n, v] : fields) {
    if (n == name) return &v;
  }
  return nullptr;
}

Result<PostPolicy> ParsePostPolicy(std::string_view policy_base64) {
  auto text = Base64Decode(policy_base64);
  if (!text) return InvalidPolicy("Invalid JSON.");
  rapidjson::Document doc;
  doc.Parse(text->data(), text->size());
  if (doc.HasParseError() || !doc.IsObject()) return InvalidPolicy("Invalid JSON.");
  if (!doc.HasMember("expiration")) return InvalidPolicy("Policy missing expiration.");
  const rapidjson::Value& expiration = doc["expiration"];
  if (!expiration.IsString()) return InvalidPolicy("Invalid 'expiration' value.");
  auto when = ParseExpiration(String(expiration));
  if (!when) return InvalidPolicy("Invalid 'expiration' value: '" + String(expiration) + "'");
  if (!doc.HasMember("conditions")) return InvalidPolicy("Policy missing conditions.");
  const rapidjson::Value& conditions = doc["conditions"];
  if (!conditions.IsArray()) return InvalidPolicy("Invalid 'conditions' value.");
  PostPolicy policy{.expiration = *when, .conditions = {}, .length_range = std::nullopt};
  for (const auto& v : conditions.GetArray()) {
    auto condition = ParseCondition(v);
    if (!condition.ok()) return condition.status();
    if (condition->kind == PostCondition::Kind::kLengthRange) {
      policy.length_range = std::pair{condition->min, condition->max};
    } else {
      policy.conditions.push_back(std::move(*condition));
    }
  }
  return policy;
}

std::string CheckPostPolicy(const PostPolicy& policy, const FormFields& fields,
                            std::string_view bucket, std::chrono::system_clock::time_point now) {
  constexpr std::string_view kPrefix = "Invalid according to Policy: ";
  if (now > policy.expiration) return std::string(kPrefix) + "Policy expired.";
  for (const PostCondition& c : policy.conditions) {
    const std::string* field = FormField(fields, c.field);
    const std::string_view value = c.field == "bucket" ? bucket
                                   : field != nullptr  ? std::string_view(*field)
                                                       : std::string_view{};
    const bool present = c.field == "bucket" || field != nullptr;
    const bool ok = present && (c.kind == PostCondition::Kind::kEq ? value == c.value
                                                                   : value.starts_with(c.value));
    if (!ok) return std::string(kPrefix) + "Policy Condition failed: " + Describe(c);
  }
  for (const auto& field : fields) {
    if (Exempt(field.first)) continue;
    const bool covered =
        std::any_of(policy.conditions.begin(), policy.conditions.end(),
                    [&](const PostCondition& c) { return c.field == field.first; });
    if (!covered) return std::string(kPrefix) + "Extra input fields: " + field.first;
  }
  return {};
}

AuthResult AuthenticatePostForm(const FormFields& fields, const CredentialStore& users,
                                std::string_view region) {
  const std::string* policy = FormField(fields, "policy");
  if (const std::string* v2_key = FormField(fields, "awsaccesskeyid")) {
    const std::string* signature = FormField(fields, "signature");
    if (signature == nullptr) return MissingField("Signature");
    if (policy == nullptr) return MissingField("Policy");
    const Credentials* credentials = users.Find(*v2_key);
    if (credentials == nullptr) {
      return Fail("InvalidAccessKeyId",
                  "The AWS Access Key Id you provided does not exist in our records.");
    }
    return SignatureChecked(
        credentials,
        ConstantTimeEqual(Base64Encode(HmacSha1(credentials->secret_key, *policy)), *signature));
  }
  for (const char* name :
       {"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "policy"}) {
    if (FormField(fields, name) == nullptr) return MissingField(name);
  }
  if (*FormField(fields, "x-amz-algorithm") != sigv4::kAlgorithm) {
    return Fail("InvalidArgument", "POST form fields must use the AWS4-HMAC-SHA256 algorithm",
                {{"ArgumentName", "x-amz-algorithm"},
                 {"ArgumentValue", *FormField(fields, "x-amz-algorithm")}});
  }
  // "AKID/20130524/us-east-1/s3/aws4_request"
  const std::string& credential = *FormField(fields, "x-amz-credential");
  std::vector<std::string_view> scope;
  for (size_t start = 0;;) {
    const size_t slash = credential.find('/', start);
    scope.push_back(std::string_view(credential).substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (scope.size() != 5 || scope[2] != region || scope[3] != "s3" || scope[4] != "aws4_request") {
    return Fail("InvalidArgument", "Invalid argument.",
                {{"ArgumentName", "x-amz-credential"}, {"ArgumentValue", credential}});
  }
  const Credentials* credentials = users.Find(scope[0]);
  if (credentials == nullptr) {
    return Fail("InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.");
  }
  const std::string expected = sigv4::Signature(
      SigningKeyCache::Shared().Get(credentials->secret_key, scope[1], region, "s3"), *policy);
  return SignatureChecked(credentials,
                          ConstantTimeEqual(expected, *FormField(fields, "x-amz-signature")));
}

}  // namespace fsgate::auth
