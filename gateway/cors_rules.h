// A bucket's CORS configuration (PutBucketCors): its rules, parsed from and
// written back to the CORSConfiguration XML, and the matching of a browser's
// request against them, as S3 does it. Pure functions: the handlers and the
// CORS stage of a request stay thin, and the matching is unit-tested alone.
//
// S3's matching, which browsers rely on:
// - the first rule whose AllowedOrigin, AllowedMethod (and, for a preflight,
//   every Access-Control-Request-Headers name against AllowedHeader) match
//   wins; later rules are not looked at;
// - an AllowedOrigin or AllowedHeader may hold one '*' standing for any
//   characters; origins match case-sensitively, headers case-insensitively;
// - a rule whose matching origin is exactly "*" answers
//   `Access-Control-Allow-Origin: *` without credentials; any other echoes
//   the request's Origin with `Access-Control-Allow-Credentials: true`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_message.h"

namespace fsgate::gateway {

inline constexpr size_t kMaxCorsRules = 100;

struct CorsRule {
  std::string id;
  std::vector<std::string> allowed_origins;
  std::vector<std::string> allowed_methods;  // GET PUT POST DELETE HEAD
  std::vector<std::string> allowed_headers;
  std::vector<std::string> expose_headers;
  std::optional<int64_t> max_age_seconds;
};

// The rules of a CORSConfiguration, or the S3 error a PutBucketCors of it gets.
struct CorsParse {
  std::vector<CorsRule> rules;
  std::string error_code;  // empty when the rules are good
  std::string error_message;
};
CorsParse ParseCorsConfiguration(std::string_view xml);

// The CORSConfiguration document of `rules`, as GetBucketCors answers it.
std::string CorsConfigurationXml(const std::vector<CorsRule>& rules);

// The first rule allowing `origin` to send `method` with `request_headers`
// (the names of a preflight's Access-Control-Request-Headers; none for an
// actual request); nullptr when none does.
const CorsRule* MatchCorsRule(const std::vector<CorsRule>& rules, std::string_view origin,
                              std::string_view method,
                              const std::vector<std::string>& request_headers = {});

// "a, B ,c" → {"a", "B", "c"}: Access-Control-Request-Headers' names.
std::vector<std::string> SplitHeaderList(std::string_view value);

// The Access-Control-* headers and Vary of an answer to `origin` under
// `rule`; a preflight echoes its `request_headers` as Allow-Headers.
http::Headers CorsAnswerHeaders(const CorsRule& rule, std::string_view origin,
                                const std::vector<std::string>& request_headers = {});

// One '*' in `pattern` stands for any characters (none included).
bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case);

}  // namespace fsgate::gateway
