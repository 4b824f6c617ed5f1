// Policy variables: `${aws:username}`, `${aws:userid}`, `${aws:SourceIp}`,
// `${s3:prefix}`… in a statement's Resource and in its string conditions'
// values, replaced per request by the request's value of that key, as AWS
// does for a policy of Version 2012-10-17 (under 2008-10-17, and without a
// Version, `${…}` is plain text).
//
// A key the request lacks has no value: the element holding it matches
// nothing (a Resource never, StringEquals never, StringNotEquals always),
// unless the variable names a default, `${aws:username, 'guest'}`. A value
// stands for itself, never as a wildcard: `${*}`, `${?}` and `${$}` write a
// literal `*`, `?` and `$`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/policy.h"

namespace fsgate::auth {

// A policy string with its variables replaced: the text to match and, for
// each of its characters, whether it stands for itself (from a variable)
// rather than as a `*` or `?` wildcard.
struct ResolvedPattern {
  std::string text;
  std::vector<bool> literal;
};

// True when `text` holds a variable (checked once, when a policy is parsed).
[[nodiscard]] bool HasPolicyVariable(std::string_view text);

// `pattern` with its variables replaced from `context`; nullopt when one
// names a key `context` lacks and gives no default.
[[nodiscard]] std::optional<ResolvedPattern> ResolvePolicyVariables(
    std::string_view pattern, const ConditionContext& context);

}  // namespace fsgate::auth
