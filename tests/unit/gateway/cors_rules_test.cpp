#include "gateway/cors_rules.h"

#include <gtest/gtest.h>

namespace fsgate::gateway {
namespace {

std::string Header(const http::Headers& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n == name) return std::string(v);
  }
  return "<absent>";
}

std::vector<CorsRule> Rules(std::string_view xml) {
  CorsParse parsed = ParseCorsConfiguration(xml);
  EXPECT_EQ(parsed.error_code, "") << parsed.error_message;
  return parsed.rules;
}

constexpr std::string_view kTwoRules = R"(<CORSConfiguration>
  <CORSRule><ID>app</ID><AllowedOrigin>https://*.example.com</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>
    <AllowedHeader>x-amz-*</AllowedHeader><AllowedHeader>Content-Type</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-amz-request-id</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>
  <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
</CORSConfiguration>)";

TEST(CorsRules, WildcardStandsForAnyCharactersOnce) {
  EXPECT_TRUE(WildcardMatch("*", "", false));
  EXPECT_TRUE(WildcardMatch("https://*.example.com", "https://a.b.example.com", false));
  EXPECT_FALSE(WildcardMatch("https://*.example.com", "https://example.com", false));
  EXPECT_FALSE(WildcardMatch("https://*.example.com", "https://a.example.com.evil", false));
  EXPECT_FALSE(WildcardMatch("https://A.com", "https://a.com", false));
  EXPECT_TRUE(WildcardMatch("X-Amz-*", "x-amz-date", true));
  EXPECT_FALSE(WildcardMatch("ab*ba", "aba", false)) << "head and tail may not overlap";
}

TEST(CorsRules, FirstMatchingRuleWins) {
  const auto rules = Rules(kTwoRules);
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(MatchCorsRule(rules, "https://app.example.com", "PUT"), &rules[0]);
  EXPECT_EQ(MatchCorsRule(rules, "https://other.org", "GET"), &rules[1]);
  EXPECT_EQ(MatchCorsRule(rules, "https://other.org", "PUT"), nullptr);
  EXPECT_EQ(MatchCorsRule(rules, "https://app.example.com", "DELETE"), nullptr);
}

TEST(CorsRules, PreflightHeadersMatchCaseInsensitively) {
  const auto rules = Rules(kTwoRules);
  const auto asked = SplitHeaderList(" X-Amz-Date ,content-type,,");
  EXPECT_EQ(asked, (std::vector<std::string>{"X-Amz-Date", "content-type"}));
  EXPECT_EQ(MatchCorsRule(rules, "https://app.example.com", "PUT", asked), &rules[0]);
  EXPECT_EQ(MatchCorsRule(rules, "https://app.example.com", "PUT", {"authorization"}), nullptr);
  // The "*" rule allows no headers at all.
  EXPECT_EQ(MatchCorsRule(rules, "https://other.org", "GET", {"range"}), nullptr);
}

TEST(CorsRules, AnswerEchoesOriginWithCredentialsUnlessTheRuleSaysAny) {
  const auto rules = Rules(kTwoRules);
  const auto named = CorsAnswerHeaders(rules[0], "https://app.example.com", {"x-amz-date"});
  EXPECT_EQ(Header(named, "Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(Header(named, "Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(Header(named, "Access-Control-Allow-Methods"), "GET, PUT");
  EXPECT_EQ(Header(named, "Access-Control-Allow-Headers"), "x-amz-date");
  EXPECT_EQ(Header(named, "Access-Control-Expose-Headers"), "ETag, x-amz-request-id");
  EXPECT_EQ(Header(named, "Access-Control-Max-Age"), "3000");
  EXPECT_EQ(Header(named, "Vary"),
            "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
  const auto any = CorsAnswerHeaders(rules[1], "https://other.org");
  EXPECT_EQ(Header(any, "Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(Header(any, "Access-Control-Allow-Credentials"), "<absent>");
  EXPECT_EQ(Header(any, "Access-Control-Allow-Headers"), "<absent>");
  EXPECT_EQ(Header(any, "Access-Control-Max-Age"), "<absent>");
}

TEST(CorsRules, ConfigurationRoundTrips) {
  const auto rules = Rules(kTwoRules);
  const auto again = Rules(CorsConfigurationXml(rules));
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].id, "app");
  EXPECT_EQ(again[0].allowed_headers, rules[0].allowed_headers);
  EXPECT_EQ(again[0].expose_headers, rules[0].expose_headers);
  EXPECT_EQ(again[0].max_age_seconds, 3000);
  EXPECT_FALSE(again[1].max_age_seconds.has_value());
}

TEST(CorsRules, RefusesWhatAwsRefuses) {
  struct Case {
    std::string xml;
    std::string code;
    std::string message;
  } cases[] = {
      {"<CORSConfiguration/>", "MalformedXML", ""},
      {"<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>"
       "</CORSConfiguration>",
       "MalformedXML", ""},
      {"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>"
       "</CORSConfiguration>",
       "MalformedXML", ""},
      {"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET"
       "</AllowedMethod><MaxAgeSeconds>soon</MaxAgeSeconds></CORSRule></CORSConfiguration>",
       "MalformedXML", ""},
      {"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET"
       "</AllowedMethod><Colour/></CORSRule></CORSConfiguration>",
       "MalformedXML", ""},
      {"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>MYMETHOD"
       "</AllowedMethod></CORSRule></CORSConfiguration>",
       "InvalidRequest",
       "Found unsupported HTTP method in CORS config. Unsupported method is MYMETHOD"},
      {"<CORSConfiguration><CORSRule><AllowedOrigin>http://*.*.com</AllowedOrigin>"
       "<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
       "InvalidRequest", "AllowedOrigin \"http://*.*.com\" can not have more than one wildcard."},
      {"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET"
       "</AllowedMethod><ExposeHeader>x-*</ExposeHeader></CORSRule></CORSConfiguration>",
       "InvalidRequest",
       "ExposeHeader \"x-*\" contains wildcard. We currently do not support wildcard for "
       "ExposeHeader."},
  };
  for (const auto& c : cases) {
    const CorsParse parsed = ParseCorsConfiguration(c.xml);
    EXPECT_EQ(parsed.error_code, c.code) << c.xml;
    EXPECT_EQ(parsed.error_message, c.message) << c.xml;
    EXPECT_TRUE(parsed.rules.empty());
  }
  std::string many = "<CORSConfiguration>";
  for (size_t i = 0; i <= kMaxCorsRules; ++i) {
    many +=
        "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
        "</CORSRule>";
  }
  EXPECT_EQ(ParseCorsConfiguration(many + "</CORSConfiguration>").error_code, "MalformedXML");
}

}  // namespace
}  // namespace fsgate::gateway
