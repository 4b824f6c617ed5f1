// Evaluating a bucket policy for one request, as AWS does: a matching Deny
// wins over any Allow; with neither the policy has no say.
#include <algorithm>
#include <cctype>

#include "auth/policy.h"
#include "auth/policy_condition.h"
#include "auth/policy_variables.h"

namespace fsgate::auth {
namespace {

bool AnyMatch(const std::vector<std::string>& patterns, std::string_view text, bool ignore_case) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return WildcardMatch(p, text, ignore_case); });
}

bool PrincipalMatches(const PolicyStatement& st, std::string_view user) {
  const bool named =
      std::any_of(st.principals.begin(), st.principals.end(),
                  [&](const std::string& p) { return p == "*" || (!user.empty() && p == user); });
  return named != st.not_principal;
}

// A resource pattern with policy variables matches once they are replaced;
// one naming a key the request lacks matches nothing.
bool AnyResourceMatch(const PolicyStatement& st, const PolicyRequest& request) {
  if (!st.resource_variables) return AnyMatch(st.resources, request.resource, false);
  return std::any_of(st.resources.begin(), st.resources.end(), [&](const std::string& p) {
    auto resolved = ResolvePolicyVariables(p, request.context);
    return resolved && WildcardMatch(resolved->text, request.resource, false, &resolved->literal);
  });
}

bool Applies(const PolicyStatement& st, const PolicyRequest& request) {
  if (!PrincipalMatches(st, request.user)) return false;
  if (AnyMatch(st.actions, request.action, true) == st.not_action) return false;
  if (AnyResourceMatch(st, request) == st.not_resource) return false;
  return std::all_of(st.conditions.begin(), st.conditions.end(),
                     [&](const PolicyCondition& c) { return ConditionHolds(c, request.context); });
}

// Conditions on these keys narrow who may call; one on any other key (a
// prefix, a delimiter) leaves a statement for "*" public.
bool NarrowsCallers(const PolicyCondition& condition) {
  static constexpr std::string_view kKeys[] = {
      "aws:sourceip",      "aws:username",        "aws:userid",         "aws:principalarn",
      "aws:sourcevpc",     "aws:sourcevpce",      "aws:principalorgid", "aws:sourcearn",
      "aws:sourceaccount", "aws:principalaccount"};
  std::string key(condition.key);
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys);
}

}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case,
                   const std::vector<bool>* literal) {
  auto wild = [&](size_t p, char c) {
    return pattern[p] == c && (literal == nullptr || !(*literal)[p]);
  };
  auto same = [ignore_case](char a, char b) {
    return ignore_case ? std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b))
                       : a == b;
  };
  // Greedy with one backtrack point: linear in practice, no recursion.
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (wild(p, '?') || (!wild(p, '*') && same(pattern[p], text[t])))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && wild(p, '*')) {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && wild(p, '*')) ++p;
  return p == pattern.size();
}

PolicyDecision EvaluatePolicy(const BucketPolicy& policy, const PolicyRequest& request) {
  PolicyDecision decision = PolicyDecision::kNoDecision;
  for (const auto& st : policy.statements) {
    if (!Applies(st, request)) continue;
    if (!st.allow) return PolicyDecision::kDeny;
    decision = PolicyDecision::kAllow;
  }
  return decision;
}

bool IsPublicPolicy(const BucketPolicy& policy) {
  return std::any_of(policy.statements.begin(), policy.statements.end(), [](const auto& st) {
    const bool anyone = !st.not_principal && std::find(st.principals.begin(), st.principals.end(),
                                                       "*") != st.principals.end();
    return st.allow && anyone &&
           std::none_of(st.conditions.begin(), st.conditions.end(), NarrowsCallers);
  });
}

}  // namespace fsgate::auth
