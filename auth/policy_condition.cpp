#include "auth/policy_condition.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <optional>

#include "auth/policy_variables.h"

namespace fsgate::auth {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<double> Number(std::string_view text) {
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// An IPv4 or IPv6 address as 16 bytes (IPv4 mapped) and its prefix length
// counted in those bytes' bits.
struct Network {
  std::array<unsigned char, 16> bytes{};
  int prefix = 128;
};

std::optional<Network> ParseNetwork(std::string_view text) {
  Network net;
  std::string address(text.substr(0, text.find('/')));
  int max_prefix = 128;
  if (in_addr v4{}; inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    net.bytes[10] = net.bytes[11] = 0xff;
    std::memcpy(net.bytes.data() + 12, &v4, 4);
    max_prefix = 32;
  } else if (inet_pton(AF_INET6, address.c_str(), net.bytes.data()) != 1) {
    return std::nullopt;
  }
  int prefix = max_prefix;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || prefix < 0 ||
        prefix > max_prefix) {
      return std::nullopt;
    }
  }
  net.prefix = prefix + (128 - max_prefix);
  return net;
}

bool InNetwork(std::string_view address, std::string_view network) {
  auto ip = ParseNetwork(address);
  auto net = ParseNetwork(network);
  if (!ip || !net) return false;
  for (int bit = 0; bit < net->prefix; ++bit) {
    const unsigned mask = 0x80u >> (bit % 8);
    if ((ip->bytes[bit / 8] & mask) != (net->bytes[bit / 8] & mask)) return false;
  }
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// Reads `digits` decimal digits off the front of `text`.
bool Digits(std::string_view& text, size_t digits, int& out) {
  if (text.size() < digits) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, out);
  if (ec != std::errc() || ptr != text.data() + digits) return false;
  text.remove_prefix(digits);
  return true;
}

bool Skip(std::string_view& text, char c) {
  if (text.empty() || text.front() != c) return false;
  text.remove_prefix(1);
  return true;
}

}  // namespace

const std::string* ConditionValue(const ConditionContext& context, std::string_view key) {
  for (const auto& [name, value] : context) {
    if (EqualsIgnoreCase(name, key)) return &value;
  }
  return nullptr;
}

std::optional<double> PolicyTime(std::string_view text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    return Number(text);  // epoch seconds
  }
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(text, 4, year) || !Skip(text, '-') || !Digits(text, 2, month) || !Skip(text, '-') ||
      !Digits(text, 2, day) || month < 1 || month > 12 || day < 1 || day > 31) {
    return std::nullopt;
  }
  double fraction = 0;
  int offset_minutes = 0;
  if (Skip(text, 'T')) {
    if (!Digits(text, 2, hour) || !Skip(text, ':') || !Digits(text, 2, minute)) return std::nullopt;
    if (Skip(text, ':') && !Digits(text, 2, second)) return std::nullopt;
    if (!text.empty() && text.front() == '.') {
      const size_t end = std::min(text.find_first_not_of("0123456789", 1), text.size());
      auto value = Number(std::string("0") + std::string(text.substr(0, end)));
      if (!value || end == 1) return std::nullopt;
      fraction = *value;
      text.remove_prefix(end);
    }
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
      const int sign = text.front() == '-' ? -1 : 1;
      text.remove_prefix(1);
      int oh = 0, om = 0;
      if (!Digits(text, 2, oh) || !Skip(text, ':') || !Digits(text, 2, om)) return std::nullopt;
      offset_minutes = sign * (oh * 60 + om);
    } else {
      Skip(text, 'Z');
    }
  }
  if (!text.empty() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return static_cast<double>(days * 86400 + hour * 3600 + minute * 60 + second -
                             offset_minutes * 60) +
         fraction;
}

namespace {

// One value of the condition against the request's value.
bool Matches(std::string_view op, std::string_view wanted, std::string_view actual,
             const std::vector<bool>* literal = nullptr) {
  if (op == "StringEquals" || op == "StringNotEquals") return wanted == actual;
  if (op == "StringEqualsIgnoreCase" || op == "StringNotEqualsIgnoreCase") {
    return EqualsIgnoreCase(wanted, actual);
  }
  if (op == "StringLike" || op == "StringNotLike")
    return WildcardMatch(wanted, actual, false, literal);
  if (op == "Bool") return EqualsIgnoreCase(wanted, actual);
  if (op == "IpAddress" || op == "NotIpAddress") return InNetwork(actual, wanted);
  if (op.starts_with("Date")) {
    auto a = PolicyTime(actual);
    auto w = PolicyTime(wanted);
    if (!a || !w) return false;
    if (op == "DateEquals" || op == "DateNotEquals") return *a == *w;
    if (op == "DateLessThan") return *a < *w;
    if (op == "DateLessThanEquals") return *a <= *w;
    if (op == "DateGreaterThan") return *a > *w;
    return op == "DateGreaterThanEquals" && *a >= *w;
  }
  auto a = Number(actual);
  auto w = Number(wanted);
  if (!a || !w) return false;
  if (op == "NumericEquals" || op == "NumericNotEquals") return *a == *w;
  if (op == "NumericLessThan") return *a < *w;
  if (op == "NumericLessThanEquals") return *a <= *w;
  if (op == "NumericGreaterThan") return *a > *w;
  if (op == "NumericGreaterThanEquals") return *a >= *w;
  return false;
}

bool Negated(std::string_view op) {
  return op == "StringNotEquals" || op == "StringNotEqualsIgnoreCase" || op == "StringNotLike" ||
         op == "NumericNotEquals" || op == "DateNotEquals" || op == "NotIpAddress";
}

}  // namespace

bool IsConditionOperator(std::string_view op) {
  static constexpr std::string_view kOperators[] = {"StringEquals",
                                                    "StringNotEquals",
                                                    "StringEqualsIgnoreCase",
                                                    "StringNotEqualsIgnoreCase",
                                                    "StringLike",
                                                    "StringNotLike",
                                                    "NumericEquals",
                                                    "NumericNotEquals",
                                                    "NumericLessThan",
                                                    "NumericLessThanEquals",
                                                    "NumericGreaterThan",
                                                    "NumericGreaterThanEquals",
                                                    "DateEquals",
                                                    "DateNotEquals",
                                                    "DateLessThan",
                                                    "DateLessThanEquals",
                                                    "DateGreaterThan",
                                                    "DateGreaterThanEquals",
                                                    "Bool",
                                                    "IpAddress",
                                                    "NotIpAddress",
                                                    "Null"};
  return std::find(std::begin(kOperators), std::end(kOperators), op) != std::end(kOperators);
}

bool ConditionHolds(const PolicyCondition& condition, const ConditionContext& context) {
  const std::string* actual = ConditionValue(context, condition.key);
  if (condition.op == "Null") {
    // "true": the key must be absent; "false": present.
    for (const auto& wanted : condition.values) {
      if (EqualsIgnoreCase(wanted, "true") == (actual == nullptr)) return true;
    }
    return false;
  }
  // One of the request's values against the condition's alternatives.
  const auto holds = [&condition, &context](const std::string& value) {
    const bool any = std::any_of(
        condition.values.begin(), condition.values.end(), [&](const std::string& wanted) {
          if (!condition.variables) return Matches(condition.op, wanted, value);
          auto resolved = ResolvePolicyVariables(wanted, context);
          return resolved && Matches(condition.op, resolved->text, value, &resolved->literal);
        });
    return Negated(condition.op) ? !any : any;
  };
  if (condition.set != ConditionSet::kSingle) {
    if (actual == nullptr && condition.if_exists) return true;
    const bool all = condition.set == ConditionSet::kForAllValues;
    for (const auto& [name, value] : context) {
      if (!EqualsIgnoreCase(name, condition.key)) continue;
      if (holds(value) != all) return !all;  // a match for any, a miss for all
    }
    return all;  // every value held (or none there); or no value matched
  }
  if (actual == nullptr) return condition.if_exists || Negated(condition.op);
  return holds(*actual);
}

}  // namespace fsgate::auth
