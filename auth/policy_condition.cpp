#include "auth/policy_condition.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <optional>

namespace fsgate::auth {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

const std::string* Lookup(const ConditionContext& context, std::string_view key) {
  for (const auto& [name, value] : context) {
    if (EqualsIgnoreCase(name, key)) return &value;
  }
  return nullptr;
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

// One value of the condition against the request's value.
bool Matches(std::string_view op, std::string_view wanted, std::string_view actual) {
  if (op == "StringEquals" || op == "StringNotEquals") return wanted == actual;
  if (op == "StringEqualsIgnoreCase" || op == "StringNotEqualsIgnoreCase") {
    return EqualsIgnoreCase(wanted, actual);
  }
  if (op == "StringLike" || op == "StringNotLike") return WildcardMatch(wanted, actual);
  if (op == "Bool") return EqualsIgnoreCase(wanted, actual);
  if (op == "IpAddress" || op == "NotIpAddress") return InNetwork(actual, wanted);
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
         op == "NumericNotEquals" || op == "NotIpAddress";
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
                                                    "Bool",
                                                    "IpAddress",
                                                    "NotIpAddress",
                                                    "Null"};
  return std::find(std::begin(kOperators), std::end(kOperators), op) != std::end(kOperators);
}

bool ConditionHolds(const PolicyCondition& condition, const ConditionContext& context) {
  const std::string* actual = Lookup(context, condition.key);
  if (condition.op == "Null") {
    // "true": the key must be absent; "false": present.
    for (const auto& wanted : condition.values) {
      if (EqualsIgnoreCase(wanted, "true") == (actual == nullptr)) return true;
    }
    return false;
  }
  if (actual == nullptr) return condition.if_exists || Negated(condition.op);
  const bool any = std::any_of(
      condition.values.begin(), condition.values.end(),
      [&](const std::string& wanted) { return Matches(condition.op, wanted, *actual); });
  return Negated(condition.op) ? !any : any;
}

}  // namespace fsgate::auth
