// The Condition block of a bucket policy statement: each operator applied to
// the request's value of its key.
//
// Operators: StringEquals, StringNotEquals, StringEqualsIgnoreCase,
// StringNotEqualsIgnoreCase, StringLike, StringNotLike, NumericEquals,
// NumericNotEquals, NumericLessThan(Equals), NumericGreaterThan(Equals),
// DateEquals, DateNotEquals, DateLessThan(Equals), DateGreaterThan(Equals),
// Bool, IpAddress, NotIpAddress, Null, each but Null with an IfExists form
// and a ForAnyValue: / ForAllValues: qualifier.
// Keys fsgate fills in: aws:SourceIp, aws:SecureTransport, aws:username,
// aws:userid, aws:CurrentTime, aws:EpochTime, s3:prefix, s3:delimiter, s3:max-keys,
// s3:x-amz-acl, s3:RequestObjectTag/<key>, s3:RequestObjectTagKeys,
// s3:ExistingObjectTag/<key>; any other key is absent.
#pragma once

#include <optional>
#include <string_view>

#include "auth/policy.h"

namespace fsgate::auth {

// A Date operator's value, in seconds since the epoch: ISO 8601
// ("2026-12-06", "2026-12-06T10:00:00Z", with a fraction or a ±hh:mm offset)
// or epoch seconds, as AWS accepts them; nullopt for anything else.
[[nodiscard]] std::optional<double> PolicyTime(std::string_view text);

// The request's (first) value of `key`, compared without case; nullptr when absent.
[[nodiscard]] const std::string* ConditionValue(const ConditionContext& context,
                                                std::string_view key);

// True for an operator above, written without IfExists.
[[nodiscard]] bool IsConditionOperator(std::string_view op);

// As AWS: the values of one key are alternatives (any may match); a key the
// request lacks fails the condition, except for IfExists and for the negated
// operators (StringNotEquals, StringNotLike, NumericNotEquals, NotIpAddress),
// which it passes.
[[nodiscard]] bool ConditionHolds(const PolicyCondition& condition,
                                  const ConditionContext& context);

}  // namespace fsgate::auth
