#include "auth/policy_variables.h"

#include "auth/policy_condition.h"

namespace fsgate::auth {
namespace {

std::string_view Trim(std::string_view text) {
  const size_t first = text.find_first_not_of(' ');
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

void Append(ResolvedPattern& out, std::string_view text, bool literal) {
  out.text += text;
  out.literal.insert(out.literal.end(), text.size(), literal);
}

}  // namespace

bool HasPolicyVariable(std::string_view text) {
  const size_t open = text.find("${");
  return open != std::string_view::npos && text.find('}', open) != std::string_view::npos;
}

std::optional<ResolvedPattern> ResolvePolicyVariables(std::string_view pattern,
                                                      const ConditionContext& context) {
  ResolvedPattern out;
  out.text.reserve(pattern.size());
  out.literal.reserve(pattern.size());
  for (;;) {
    const size_t open = pattern.find("${");
    const size_t close = open == std::string_view::npos ? open : pattern.find('}', open + 2);
    if (close == std::string_view::npos) {
      Append(out, pattern, false);
      return out;
    }
    Append(out, pattern.substr(0, open), false);
    std::string_view name = pattern.substr(open + 2, close - open - 2);
    pattern.remove_prefix(close + 1);
    if (name == "*" || name == "?" || name == "$") {
      Append(out, name, true);
      continue;
    }
    // ${key, 'default'}: the default when the request lacks the key.
    std::optional<std::string_view> fallback;
    if (const size_t comma = name.find(','); comma != std::string_view::npos) {
      const std::string_view quoted = Trim(name.substr(comma + 1));
      if (quoted.size() >= 2 && quoted.front() == '\'' && quoted.back() == '\'') {
        fallback = quoted.substr(1, quoted.size() - 2);
        name = name.substr(0, comma);
      }
    }
    const std::string* value = ConditionValue(context, Trim(name));
    if (value == nullptr && !fallback) return std::nullopt;
    Append(out, value != nullptr ? std::string_view(*value) : *fallback, true);
  }
}

}  // namespace fsgate::auth
