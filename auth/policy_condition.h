// The Condition block of a bucket policy statement: each operator applied to
// the request's value of its key.
//
// Operators: StringEquals, StringNotEquals, StringEqualsIgnoreCase,
// StringNotEqualsIgnoreCase, StringLike, StringNotLike, NumericEquals,
// NumericNotEquals, NumericLessThan(Equals), NumericGreaterThan(Equals),
// Bool, IpAddress, NotIpAddress, Null, each but Null with an IfExists form.
// Keys fsgate fills in: aws:SourceIp, aws:SecureTransport, aws:username,
// s3:prefix, s3:delimiter, s3:max-keys; any other key is absent.
#pragma once

#include <string_view>

#include "auth/policy.h"

namespace fsgate::auth {

// True for an operator above, written without IfExists.
[[nodiscard]] bool IsConditionOperator(std::string_view op);

// As AWS: the values of one key are alternatives (any may match); a key the
// request lacks fails the condition, except for IfExists and for the negated
// operators (StringNotEquals, StringNotLike, NumericNotEquals, NotIpAddress),
// which it passes.
[[nodiscard]] bool ConditionHolds(const PolicyCondition& condition,
                                  const ConditionContext& context);

}  // namespace fsgate::auth
