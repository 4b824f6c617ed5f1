#include "gateway/cors_rules.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "gateway/xml.h"

namespace fsgate::gateway {
namespace {

constexpr std::string_view kCorsMethods[] = {"GET", "PUT", "POST", "DELETE", "HEAD"};
// AWS refuses longer rule IDs; a longer one is MalformedXML.
constexpr size_t kMaxRuleIdLength = 255;

bool EqualChar(char a, char b, bool ignore_case) {
  if (!ignore_case) return a == b;
  return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
}

bool EqualText(std::string_view a, std::string_view b, bool ignore_case) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) {
           return EqualChar(x, y, ignore_case);
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string> Texts(pugi::xml_node rule, const char* name) {
  std::vector<std::string> out;
  for (auto node : rule.children(name)) out.emplace_back(node.text().as_string());
  return out;
}

CorsParse Refused(std::string_view code, std::string message = {}) {
  return {.rules = {}, .error_code = std::string(code), .error_message = std::move(message)};
}

// AWS's InvalidRequest for a pattern with more than one '*', or "" when good.
std::string WildcardError(const char* element, const std::vector<std::string>& patterns) {
  for (const auto& p : patterns) {
    if (std::count(p.begin(), p.end(), '*') > 1) {
      return std::string(element) + " \"" + p + "\" can not have more than one wildcard.";
    }
  }
  return {};
}

void AddList(http::Headers& headers, const char* name, const std::vector<std::string>& values) {
  if (values.empty()) return;
  std::string joined;
  for (const auto& v : values) joined += (joined.empty() ? "" : ", ") + v;
  headers.emplace_back(name, std::move(joined));
}

}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case) {
  const size_t star = pattern.find('*');
  if (star == std::string_view::npos) return EqualText(pattern, text, ignore_case);
  const std::string_view head = pattern.substr(0, star);
  const std::string_view tail = pattern.substr(star + 1);
  return text.size() >= head.size() + tail.size() &&
         EqualText(head, text.substr(0, head.size()), ignore_case) &&
         EqualText(tail, text.substr(text.size() - tail.size()), ignore_case);
}

CorsParse ParseCorsConfiguration(std::string_view xml) {
  pugi::xml_document doc;
  pugi::xml_node root = ParseXmlBody(xml, "CORSConfiguration", doc);
  if (!root) return Refused("MalformedXML");
  CorsParse parsed;
  for (pugi::xml_node node : root.children()) {
    if (node.type() != pugi::node_element) continue;
    if (std::string_view(node.name()) != "CORSRule") return Refused("MalformedXML");
    CorsRule rule;
    rule.id = ChildText(node, "ID");
    rule.allowed_origins = Texts(node, "AllowedOrigin");
    rule.allowed_methods = Texts(node, "AllowedMethod");
    rule.allowed_headers = Texts(node, "AllowedHeader");
    rule.expose_headers = Texts(node, "ExposeHeader");
    if (rule.allowed_origins.empty() || rule.allowed_methods.empty() ||
        rule.id.size() > kMaxRuleIdLength) {
      return Refused("MalformedXML");
    }
    for (pugi::xml_node child : node.children()) {
      const std::string_view name = child.name();
      if (child.type() == pugi::node_element && name != "ID" && name != "AllowedOrigin" &&
          name != "AllowedMethod" && name != "AllowedHeader" && name != "ExposeHeader" &&
          name != "MaxAgeSeconds") {
        return Refused("MalformedXML");
      }
    }
    if (pugi::xml_node age = node.child("MaxAgeSeconds")) {
      const std::string_view text = age.text().as_string();
      int64_t seconds = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
      if (ec != std::errc() || end != text.data() + text.size()) return Refused("MalformedXML");
      rule.max_age_seconds = seconds;
    }
    for (const auto& method : rule.allowed_methods) {
      if (std::find(std::begin(kCorsMethods), std::end(kCorsMethods), method) ==
          std::end(kCorsMethods)) {
        return Refused(
            "InvalidRequest",
            "Found unsupported HTTP method in CORS config. Unsupported method is " + method);
      }
    }
    for (std::string error : {WildcardError("AllowedOrigin", rule.allowed_origins),
                              WildcardError("AllowedHeader", rule.allowed_headers)}) {
      if (!error.empty()) return Refused("InvalidRequest", std::move(error));
    }
    for (const auto& header : rule.expose_headers) {
      if (header.find('*') != std::string::npos) {
        return Refused("InvalidRequest", "ExposeHeader \"" + header +
                                             "\" contains wildcard. We currently do not support "
                                             "wildcard for ExposeHeader.");
      }
    }
    parsed.rules.push_back(std::move(rule));
  }
  if (parsed.rules.empty() || parsed.rules.size() > kMaxCorsRules) return Refused("MalformedXML");
  return parsed;
}

std::string CorsConfigurationXml(const std::vector<CorsRule>& rules) {
  XmlResponse xml("CORSConfiguration");
  for (const CorsRule& rule : rules) {
    auto node = xml.root().append_child("CORSRule");
    if (!rule.id.empty()) AddText(node, "ID", rule.id);
    for (const auto& v : rule.allowed_headers) AddText(node, "AllowedHeader", v);
    for (const auto& v : rule.allowed_methods) AddText(node, "AllowedMethod", v);
    for (const auto& v : rule.allowed_origins) AddText(node, "AllowedOrigin", v);
    for (const auto& v : rule.expose_headers) AddText(node, "ExposeHeader", v);
    if (rule.max_age_seconds) {
      AddText(node, "MaxAgeSeconds", std::to_string(*rule.max_age_seconds));
    }
  }
  return xml.str();
}

const CorsRule* MatchCorsRule(const std::vector<CorsRule>& rules, std::string_view origin,
                              std::string_view method,
                              const std::vector<std::string>& request_headers) {
  for (const CorsRule& rule : rules) {
    const auto origin_ok = std::any_of(
        rule.allowed_origins.begin(), rule.allowed_origins.end(),
        [&](const std::string& pattern) { return WildcardMatch(pattern, origin, false); });
    const auto method_ok = std::find(rule.allowed_methods.begin(), rule.allowed_methods.end(),
                                     method) != rule.allowed_methods.end();
    const auto headers_ok =
        std::all_of(request_headers.begin(), request_headers.end(), [&](const std::string& header) {
          return std::any_of(
              rule.allowed_headers.begin(), rule.allowed_headers.end(),
              [&](const std::string& pattern) { return WildcardMatch(pattern, header, true); });
        });
    if (origin_ok && method_ok && headers_ok) return &rule;
  }
  return nullptr;
}

std::vector<std::string> SplitHeaderList(std::string_view value) {
  std::vector<std::string> names;
  while (!value.empty()) {
    const size_t comma = value.find(',');
    const std::string_view name = Trim(value.substr(0, comma));
    if (!name.empty()) names.emplace_back(name);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return names;
}

http::Headers CorsAnswerHeaders(const CorsRule& rule, std::string_view origin,
                                const std::vector<std::string>& request_headers) {
  http::Headers headers;
  const bool any_origin = std::find(rule.allowed_origins.begin(), rule.allowed_origins.end(),
                                    "*") != rule.allowed_origins.end();
  headers.emplace_back("Access-Control-Allow-Origin", any_origin ? "*" : std::string(origin));
  if (!any_origin) headers.emplace_back("Access-Control-Allow-Credentials", "true");
  AddList(headers, "Access-Control-Allow-Methods", rule.allowed_methods);
  AddList(headers, "Access-Control-Allow-Headers", request_headers);
  AddList(headers, "Access-Control-Expose-Headers", rule.expose_headers);
  if (rule.max_age_seconds) {
    headers.emplace_back("Access-Control-Max-Age", std::to_string(*rule.max_age_seconds));
  }
  headers.emplace_back("Vary",
                       "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
  return headers;
}

}  // namespace fsgate::gateway
