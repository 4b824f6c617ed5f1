// CORS: Get/Put/DeleteBucketCors, the OPTIONS preflight, and the
// Access-Control-* headers every other answer to a browser's request carries.
// The rules live in the bucket record (BucketAttributes::cors, the document
// GetBucketCors answers); matching them is cors_rules.h's.

#include "gateway/cors_handlers.h"
#include "gateway/cors_rules.h"
#include "gateway/s3_handlers.h"

namespace fsgate::gateway {
namespace {

constexpr std::string_view kCorsNotEnabled = "CORSResponse: CORS is not enabled for this bucket.";
constexpr std::string_view kCorsNotAllowed =
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of "
    "Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers "
    "are not whitelisted by the resource's CORS spec.";

// The rules stored with the bucket; empty when it has none (or is gone). A
// stored document was checked when it was put: one that no longer parses
// allows nothing.
std::vector<CorsRule> StoredRules(const store::BucketAttributes& attributes) {
  if (attributes.cors.empty()) return {};
  return ParseCorsConfiguration(attributes.cors).rules;
}

}  // namespace

void ApplyCorsRules(S3Context& ctx) {
  const std::string* origin = ctx.request.Header("origin");
  if (origin == nullptr || ctx.bucket.empty() || ctx.operation == S3Operation::kOptionsBucket ||
      ctx.operation == S3Operation::kOptionsObject) {
    return;
  }
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) return;  // no bucket, no rules: the handler answers as for anyone
  const std::vector<CorsRule> rules = StoredRules(info->attributes);
  if (const CorsRule* rule = MatchCorsRule(rules, *origin, ctx.request.method)) {
    ctx.cors_headers = CorsAnswerHeaders(*rule, *origin);
  }
}

void GetBucketCors(S3Context& ctx) {
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) return ctx.Error(info.status());
  const std::string& cors = info->attributes.cors;
  if (cors.empty()) return ctx.Error("NoSuchCORSConfiguration");
  ctx.status = 200;
  auto headers = ctx.BaseHeaders();
  headers.emplace_back("Content-Type", "application/xml");
  ctx.bytes_out += cors.size();
  ctx.response.Send(200, std::move(headers), cors);
}

void PutBucketCors(S3Context& ctx) {
  auto body = ReadXmlBody(ctx);
  if (!body.ok()) return ctx.Error(body.status());
  CorsParse parsed = ParseCorsConfiguration(*body);
  if (!parsed.error_code.empty()) return ctx.Error(parsed.error_code, parsed.error_message);
  Status s = ctx.store.PutBucketCors(ctx.bucket, CorsConfigurationXml(parsed.rules));
  if (!s.ok()) return ctx.Error(s);
  ctx.SendEmpty(200);
}

void DeleteBucketCors(S3Context& ctx) {
  Status s = ctx.store.PutBucketCors(ctx.bucket, {});
  if (!s.ok()) return ctx.Error(s);
  ctx.SendEmpty(204);
}

// The preflight, in AWS's order of checks: the Origin, the bucket, its CORS
// configuration, the method asked for, then the rules.
void OptionsObject(S3Context& ctx) {
  const std::string* origin = ctx.request.Header("origin");
  if (origin == nullptr) {
    return ctx.Error("BadRequest", "Insufficient information. Origin request header needed.");
  }
  const std::string* method = ctx.request.Header("access-control-request-method");
  const ErrorDetails details = {{"Method", method != nullptr ? *method : "OPTIONS"},
                                {"ResourceType", ctx.key.empty() ? "BUCKET" : "OBJECT"}};
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) return ctx.Error("AccessForbidden", "CORSResponse: Bucket not found", details);
  const std::vector<CorsRule> rules = StoredRules(info->attributes);
  if (rules.empty()) return ctx.Error("AccessForbidden", kCorsNotEnabled, details);
  if (method == nullptr || (*method != "GET" && *method != "PUT" && *method != "POST" &&
                            *method != "DELETE" && *method != "HEAD")) {
    return ctx.Error("BadRequest", "Invalid Access-Control-Request-Method: " +
                                       (method != nullptr ? *method : std::string("null")));
  }
  const std::string* asked = ctx.request.Header("access-control-request-headers");
  const std::vector<std::string> headers =
      asked != nullptr ? SplitHeaderList(*asked) : std::vector<std::string>{};
  const CorsRule* rule = MatchCorsRule(rules, *origin, *method, headers);
  if (rule == nullptr) return ctx.Error("AccessForbidden", kCorsNotAllowed, details);
  ctx.SendEmpty(200, CorsAnswerHeaders(*rule, *origin, headers));
}

}  // namespace fsgate::gateway
