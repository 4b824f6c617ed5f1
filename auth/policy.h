// A bucket policy: the JSON document of PutBucketPolicy, parsed once and
// checked the way S3 checks it, then evaluated for each request.
//
// The language is AWS's for S3: Version, Statement (one or a list) of Sid,
// Effect, Principal / NotPrincipal ("*", {"AWS": "*" | "arn:aws:iam:::user/<name>"
// | [...]}, {"CanonicalUser": "<name>"}: an fsgate user's canonical id is its
// name), Action / NotAction and Resource / NotResource with `*` and `?`
// wildcards, and Condition (condition.h lists the operators and keys);
// policy variables in Resource and string conditions (policy_variables.h).
//
// Evaluation is AWS's: an explicit Deny in any matching statement wins, else
// an Allow in one, else no decision (the caller's other rights decide).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fsgate::auth {

// AWS's limit on a bucket policy's size, in bytes.
inline constexpr size_t kMaxBucketPolicyBytes = 20 * 1024;

// A request's condition keys and their values ("aws:SourceIp" -> "10.1.2.3",
// "s3:prefix" -> "photos/"); a key absent here is absent from the request.
using ConditionContext = std::vector<std::pair<std::string, std::string>>;

struct PolicyRequest {
  std::string_view user;      // the caller's user name; empty: anonymous
  std::string_view action;    // "s3:GetObject", from the operation table
  std::string_view resource;  // "arn:aws:s3:::bucket" or "arn:aws:s3:::bucket/key"
  ConditionContext context;
};

enum class PolicyDecision { kNoDecision, kAllow, kDeny };

// How a condition treats a key of several values (the request's values of
// one key): kSingle compares its first; ForAnyValue: holds when one of them
// matches (never for an absent key); ForAllValues: when every one does
// (always for an absent key).
enum class ConditionSet { kSingle, kForAnyValue, kForAllValues };

struct PolicyCondition {
  std::string op;  // "StringEquals", without the qualifier and IfExists suffix
  bool if_exists = false;
  ConditionSet set = ConditionSet::kSingle;
  std::string key;  // as written; compared without case
  std::vector<std::string> values;
  // A String operator's values hold policy variables (policy_variables.h).
  bool variables = false;
};

struct PolicyStatement {
  bool allow = false;
  // Principal: "*" (anyone, anonymous included) or user names.
  bool not_principal = false;
  std::vector<std::string> principals;
  bool not_action = false;
  std::vector<std::string> actions;  // lower case
  bool not_resource = false;
  std::vector<std::string> resources;
  bool resource_variables = false;  // policy variables in resources
  std::vector<PolicyCondition> conditions;
};

struct BucketPolicy {
  std::vector<PolicyStatement> statements;
  // Some condition names s3:ExistingObjectTag/<key>: only then does a
  // request pay for reading the object's tags into its context.
  bool existing_object_tags = false;
};

// The policy of `bucket` (every Resource must name it or its objects), or an
// InvalidArgument Status whose reason is "MalformedPolicy" and whose message
// is AWS's for the fault.
Result<BucketPolicy> ParseBucketPolicy(std::string_view text, std::string_view bucket);

[[nodiscard]] PolicyDecision EvaluatePolicy(const BucketPolicy& policy,
                                            const PolicyRequest& request);

// GetBucketPolicyStatus's IsPublic: some statement allows anyone ("*")
// without a condition that narrows the callers (aws:SourceIp, aws:username, …).
[[nodiscard]] bool IsPublicPolicy(const BucketPolicy& policy);

// `text` matches `pattern` with `*` (any run) and `?` (one character); a
// character `literal` flags (a policy variable's value) stands for itself.
[[nodiscard]] bool WildcardMatch(std::string_view pattern, std::string_view text,
                                 bool ignore_case = false,
                                 const std::vector<bool>* literal = nullptr);

}  // namespace fsgate::auth
