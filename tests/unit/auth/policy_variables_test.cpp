// Policy variables as AWS documents them: replaced in Resource and string
// conditions under Version 2012-10-17, plain text under 2008-10-17; a value
// never acts as a wildcard; a missing key matches nothing unless defaulted.
#include "auth/policy_variables.h"

#include <gtest/gtest.h>

#include <string>

#include "auth/policy.h"
#include "policy_test_util.h"

namespace fsgate::auth {
namespace {

using testing_util::Parse;

std::string Policy(std::string_view version, const std::string& statement) {
  return R"({"Version":")" + std::string(version) + R"(","Statement":[)" + statement + "]}";
}

PolicyDecision Decide(const BucketPolicy& policy, std::string_view resource,
                      ConditionContext context) {
  return EvaluatePolicy(policy, {.user = "ann",
                                 .action = "s3:GetObject",
                                 .resource = resource,
                                 .context = std::move(context)});
}

const std::string kHomeStatement = R"({"Effect":"Allow","Principal":"*","Action":"s3:GetObject",)"
                                   R"("Resource":"arn:aws:s3:::photos/home/${aws:username}/*"})";

TEST(PolicyVariables, ResolveReplacesKeysAndEscapes) {
  const ConditionContext context = {{"aws:username", "ann"}, {"aws:SourceIp", "10.0.0.7"}};
  auto r = ResolvePolicyVariables("home/${aws:username}/${aws:sourceip}/${*}${?}${$}*", context);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text, "home/ann/10.0.0.7/*?$*");
  ASSERT_EQ(r->literal.size(), r->text.size());
  EXPECT_TRUE(r->literal[r->text.size() - 4]) << "${*} is a literal star";
  EXPECT_FALSE(r->literal.back()) << "a written * stays a wildcard";
  EXPECT_FALSE(ResolvePolicyVariables("home/${aws:userid}/", context));
  auto fallback = ResolvePolicyVariables("home/${aws:userid, 'nobody'}/", context);
  ASSERT_TRUE(fallback);
  EXPECT_EQ(fallback->text, "home/nobody/");
  auto unclosed = ResolvePolicyVariables("a${b", context);
  ASSERT_TRUE(unclosed);
  EXPECT_EQ(unclosed->text, "a${b");
}

TEST(PolicyVariables, ResourceIsTheCallersOwnHome) {
  const BucketPolicy policy = Parse(Policy("2012-10-17", kHomeStatement));
  EXPECT_EQ(Decide(policy, "arn:aws:s3:::photos/home/ann/a.jpg", {{"aws:username", "ann"}}),
            PolicyDecision::kAllow);
  EXPECT_EQ(Decide(policy, "arn:aws:s3:::photos/home/bob/a.jpg", {{"aws:username", "ann"}}),
            PolicyDecision::kNoDecision);
  // Anonymous: no aws:username, so no home of its own, not even "home//".
  EXPECT_EQ(Decide(policy, "arn:aws:s3:::photos/home//a.jpg", {}), PolicyDecision::kNoDecision);
}

TEST(PolicyVariables, AValueIsNeverAWildcard) {
  const BucketPolicy policy = Parse(Policy("2012-10-17", kHomeStatement));
  EXPECT_EQ(Decide(policy, "arn:aws:s3:::photos/home/ann/a", {{"aws:username", "*"}}),
            PolicyDecision::kNoDecision);
  EXPECT_EQ(Decide(policy, "arn:aws:s3:::photos/home/*/a", {{"aws:username", "*"}}),
            PolicyDecision::kAllow);
  const BucketPolicy star =
      Parse(Policy("2012-10-17", R"({"Effect":"Allow","Principal":"*","Action":"s3:GetObject",)"
                                 R"("Resource":"arn:aws:s3:::photos/${*}special"})"));
  EXPECT_EQ(Decide(star, "arn:aws:s3:::photos/*special", {}), PolicyDecision::kAllow);
  EXPECT_EQ(Decide(star, "arn:aws:s3:::photos/very-special", {}), PolicyDecision::kNoDecision);
}

TEST(PolicyVariables, Version2008KeepsThemAsText) {
  const BucketPolicy policy = Parse(Policy("2008-10-17", kHomeStatement));
  EXPECT_EQ(Decide(policy, "arn:aws:s3:::photos/home/ann/a.jpg", {{"aws:username", "ann"}}),
            PolicyDecision::kNoDecision);
  EXPECT_EQ(
      Decide(policy, "arn:aws:s3:::photos/home/${aws:username}/a.jpg", {{"aws:username", "ann"}}),
      PolicyDecision::kAllow);
}

TEST(PolicyVariables, StringConditionsCompareWithTheRequestsValues) {
  const BucketPolicy policy = Parse(Policy(
      "2012-10-17",
      R"({"Effect":"Deny","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::photos",)"
      R"("Condition":{"StringNotLike":{"s3:prefix":["home/${aws:username}/*", ""]}}})"));
  auto list = [&policy](ConditionContext context) {
    return EvaluatePolicy(policy, {.user = "ann",
                                   .action = "s3:ListBucket",
                                   .resource = "arn:aws:s3:::photos",
                                   .context = std::move(context)});
  };
  EXPECT_EQ(list({{"aws:username", "ann"}, {"s3:prefix", "home/ann/x"}}),
            PolicyDecision::kNoDecision);
  EXPECT_EQ(list({{"aws:username", "ann"}, {"s3:prefix", "home/bob/x"}}), PolicyDecision::kDeny);
  // No aws:username: the variable's value matches nothing, StringNotLike holds.
  EXPECT_EQ(list({{"s3:prefix", "home//x"}}), PolicyDecision::kDeny);
  const BucketPolicy by_ip = Parse(Policy(
      "2012-10-17",
      R"({"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*",)"
      R"("Condition":{"StringEquals":{"s3:ExistingObjectTag/ip":"${aws:SourceIp}"}}})"));
  EXPECT_EQ(Decide(by_ip, "arn:aws:s3:::photos/a",
                   {{"aws:SourceIp", "10.0.0.7"}, {"s3:ExistingObjectTag/ip", "10.0.0.7"}}),
            PolicyDecision::kAllow);
  EXPECT_EQ(Decide(by_ip, "arn:aws:s3:::photos/a",
                   {{"aws:SourceIp", "10.0.0.8"}, {"s3:ExistingObjectTag/ip", "10.0.0.7"}}),
            PolicyDecision::kNoDecision);
}

}  // namespace
}  // namespace fsgate::auth
