// Bucket policies: parsing with S3's messages for each fault, and evaluation
// as AWS documents it (explicit Deny wins, Allow, else no decision).
#include "auth/policy.h"
#include "auth/policy_condition.h"

#include <gtest/gtest.h>

#include <string>

#include "policy_test_util.h"

namespace fsgate::auth {
namespace {

using testing_util::kBucket;
using testing_util::Parse;

std::string ParseError(const std::string& text) {
  auto policy = ParseBucketPolicy(text, kBucket);
  if (policy.ok()) return "(parsed)";
  EXPECT_EQ(policy.status().reason(), "MalformedPolicy");
  return policy.status().message();
}

std::string Statement(const std::string& body) {
  return R"({"Version":"2012-10-17","Statement":[)" + body + "]}";
}

PolicyDecision Decide(const BucketPolicy& policy, std::string_view user, std::string_view action,
                      std::string_view resource, ConditionContext context = {}) {
  return EvaluatePolicy(
      policy,
      {.user = user, .action = action, .resource = resource, .context = std::move(context)});
}

const std::string kPublicRead =
    Statement(R"({"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":["s3:GetObject"],)"
              R"("Resource":"arn:aws:s3:::photos/*"})");

TEST(BucketPolicyParse, RefusesWhatS3RefusesWithItsMessage) {
  EXPECT_EQ(ParseError("not json"), "Policies must be valid JSON and the first byte must be '{'");
  EXPECT_EQ(ParseError("[]"), "Policies must be valid JSON and the first byte must be '{'");
  EXPECT_EQ(ParseError(R"({"Version":"2012-10-17"})"), "Missing required field Statement");
  EXPECT_EQ(ParseError(Statement(R"({"Effect":"Allow","Action":"s3:GetObject",)"
                                 R"("Resource":"arn:aws:s3:::photos/*"})")),
            "Missing required field Principal");
  EXPECT_EQ(ParseError(Statement(R"({"Effect":"Allow","Principal":"*",)"
                                 R"("Action":"s3:GetObject"})")),
            "Missing required field Resource");
  EXPECT_EQ(ParseError(Statement(R"({"Effect":"Allow","Principal":"*","Action":"iam:Foo",)"
                                 R"("Resource":"arn:aws:s3:::photos/*"})")),
            "Policy has invalid action");
  EXPECT_EQ(ParseError(Statement(R"({"Effect":"Allow","Principal":"*","Action":"s3:*",)"
                                 R"("Resource":"arn:aws:s3:::other/*"})")),
            "Policy has invalid resource");
  EXPECT_EQ(ParseError(Statement(R"({"Effect":"Allo","Principal":"*","Action":"s3:*",)"
                                 R"("Resource":"arn:aws:s3:::photos"})")),
            "Invalid effect: Allo");
  EXPECT_EQ(ParseError(R"({"Version":"2020-01-01","Statement":[]})"),
            "The policy must contain a valid version string");
  EXPECT_EQ(ParseError(Statement(R"({"Effect":"Allow","Principal":"*","Action":"s3:*",)"
                                 R"("Resource":"arn:aws:s3:::photos","Condition":)"
                                 R"({"StringSounds":{"s3:prefix":"a"}}})")),
            "Invalid Condition type : StringSounds");
  std::string big = Statement(R"({"Sid":")" + std::string(kMaxBucketPolicyBytes, 'x') +
                              R"(","Effect":"Allow","Principal":"*","Action":"s3:*",)"
                              R"("Resource":"arn:aws:s3:::photos"})");
  EXPECT_EQ(ParseError(big), "Policy exceeds the maximum allowed document size.");
}

TEST(BucketPolicyParse, TakesAStatementObjectAndEveryPrincipalForm) {
  auto policy = Parse(R"({"Version":"2008-10-17","Statement":{"Effect":"Deny",)"
                      R"("Principal":{"AWS":["arn:aws:iam:::user/alice","bob"],)"
                      R"("CanonicalUser":"carol"},"Action":"s3:DeleteObject",)"
                      R"("Resource":"arn:aws:s3:::photos/*"}})");
  ASSERT_EQ(policy.statements.size(), 1u);
  EXPECT_EQ(policy.statements[0].principals, (std::vector<std::string>{"alice", "bob", "carol"}));
  EXPECT_EQ(ParseError(Statement(R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:s3:::x"},)"
                                 R"("Action":"s3:*","Resource":"arn:aws:s3:::photos"})")),
            "Invalid principal in policy");
}

TEST(BucketPolicyEval, PublicReadAllowsAnyoneToReadObjectsOnly) {
  auto policy = Parse(kPublicRead);
  EXPECT_EQ(Decide(policy, "", "s3:GetObject", "arn:aws:s3:::photos/a/b.jpg"),
            PolicyDecision::kAllow);
  EXPECT_EQ(Decide(policy, "bob", "S3:getobject", "arn:aws:s3:::photos/x"), PolicyDecision::kAllow);
  EXPECT_EQ(Decide(policy, "", "s3:PutObject", "arn:aws:s3:::photos/x"),
            PolicyDecision::kNoDecision);
  EXPECT_EQ(Decide(policy, "", "s3:ListBucket", "arn:aws:s3:::photos"),
            PolicyDecision::kNoDecision);
  EXPECT_TRUE(IsPublicPolicy(policy));
}

TEST(BucketPolicyEval, ExplicitDenyWinsOverAllow) {
  auto policy = Parse(Statement(
      R"({"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"]},)"
      R"({"Effect":"Deny","Principal":{"AWS":"arn:aws:iam:::user/bob"},"Action":"s3:Delete*","Resource":"arn:aws:s3:::photos/*"})"));
  EXPECT_EQ(Decide(policy, "bob", "s3:DeleteObject", "arn:aws:s3:::photos/k"),
            PolicyDecision::kDeny);
  EXPECT_EQ(Decide(policy, "bob", "s3:GetObject", "arn:aws:s3:::photos/k"), PolicyDecision::kAllow);
  EXPECT_EQ(Decide(policy, "alice", "s3:DeleteObject", "arn:aws:s3:::photos/k"),
            PolicyDecision::kAllow);
}

TEST(BucketPolicyEval, NotPrincipalNotActionNotResource) {
  auto policy =
      Parse(Statement(R"({"Effect":"Deny","NotPrincipal":{"AWS":"alice"},"NotAction":"s3:Get*",)"
                      R"("NotResource":"arn:aws:s3:::photos/public/*"})"));
  EXPECT_EQ(Decide(policy, "bob", "s3:PutObject", "arn:aws:s3:::photos/k"), PolicyDecision::kDeny);
  EXPECT_EQ(Decide(policy, "", "s3:PutObject", "arn:aws:s3:::photos/k"), PolicyDecision::kDeny);
  EXPECT_EQ(Decide(policy, "alice", "s3:PutObject", "arn:aws:s3:::photos/k"),
            PolicyDecision::kNoDecision);
  EXPECT_EQ(Decide(policy, "bob", "s3:GetObject", "arn:aws:s3:::photos/k"),
            PolicyDecision::kNoDecision);
  EXPECT_EQ(Decide(policy, "bob", "s3:PutObject", "arn:aws:s3:::photos/public/k"),
            PolicyDecision::kNoDecision);
}

TEST(BucketPolicyEval, SourceIpConditions) {
  auto policy = Parse(Statement(
      R"({"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*",)"
      R"("Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}})"));
  auto from = [&](std::string ip) {
    return Decide(policy, "", "s3:GetObject", "arn:aws:s3:::photos/k", {{"aws:SourceIp", ip}});
  };
  EXPECT_EQ(from("10.200.1.2"), PolicyDecision::kAllow);
  EXPECT_EQ(from("127.0.0.1"), PolicyDecision::kNoDecision);
  EXPECT_EQ(from("2001:db8:1::5"), PolicyDecision::kAllow);
  EXPECT_EQ(from("2001:db9::5"), PolicyDecision::kNoDecision);
  EXPECT_EQ(Decide(policy, "", "s3:GetObject", "arn:aws:s3:::photos/k"),
            PolicyDecision::kNoDecision);
  EXPECT_FALSE(IsPublicPolicy(policy));
}

TEST(BucketPolicyEval, StringNumericBoolAndIfExists) {
  auto policy = Parse(Statement(
      R"({"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::photos",)"
      R"("Condition":{"StringLike":{"s3:prefix":"home/${aws:username}/*"},)"
      R"("NumericLessThanEquals":{"s3:max-keys":"100"},"Bool":{"aws:SecureTransport":false},)"
      R"("StringEqualsIfExists":{"s3:delimiter":"/"}}})"));
  const std::string_view arn = "arn:aws:s3:::photos";
  ConditionContext ok = {{"aws:username", "ann"},
                         {"s3:prefix", "home/ann/a"},
                         {"s3:max-keys", "50"},
                         {"aws:SecureTransport", "false"}};
  EXPECT_EQ(Decide(policy, "", "s3:ListBucket", arn, ok), PolicyDecision::kAllow);
  auto with = [&](std::string key, std::string value) {
    ConditionContext c = ok;
    for (auto& [k, v] : c) {
      if (k == key) v = value;
    }
    if (key == "s3:delimiter") c.emplace_back(key, value);
    return Decide(policy, "", "s3:ListBucket", arn, c);
  };
  EXPECT_EQ(with("s3:max-keys", "101"), PolicyDecision::kNoDecision);
  EXPECT_EQ(with("aws:SecureTransport", "true"), PolicyDecision::kNoDecision);
  EXPECT_EQ(with("s3:prefix", "other/a"), PolicyDecision::kNoDecision);
  EXPECT_EQ(with("s3:delimiter", "/"), PolicyDecision::kAllow);
  EXPECT_EQ(with("s3:delimiter", "-"), PolicyDecision::kNoDecision);
}

// A time window on aws:CurrentTime, in ISO 8601 and epoch seconds.
TEST(BucketPolicyEval, DateOperatorsOnCurrentTime) {
  auto policy = Parse(Statement(
      R"({"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*",)"
      R"("Condition":{"DateGreaterThanEquals":{"aws:CurrentTime":"2026-12-01T00:00:00Z"},)"
      R"("DateLessThan":{"aws:CurrentTime":"1798761600"}}})"));  // 2027-01-01T00:00:00Z
  auto at = [&](std::string time) {
    return Decide(policy, "", "s3:GetObject", "arn:aws:s3:::photos/k", {{"aws:CurrentTime", time}});
  };
  EXPECT_EQ(at("2026-12-06T10:00:00.123Z"), PolicyDecision::kAllow);
  EXPECT_EQ(at("2026-12-01T00:00:00Z"), PolicyDecision::kAllow);
  EXPECT_EQ(at("2026-11-30T23:59:59Z"), PolicyDecision::kNoDecision);
  EXPECT_EQ(at("2026-12-01T01:00:00+02:00"), PolicyDecision::kNoDecision);  // 23:00Z the day before
  EXPECT_EQ(at("2027-01-01T00:00:00Z"), PolicyDecision::kNoDecision);
  EXPECT_EQ(at("not a date"), PolicyDecision::kNoDecision);
  EXPECT_EQ(Decide(policy, "", "s3:GetObject", "arn:aws:s3:::photos/k"),
            PolicyDecision::kNoDecision);
  EXPECT_EQ(PolicyTime("1970-01-02"), 86400.0);
  EXPECT_EQ(PolicyTime("2000-03-01T00:00:00Z"), 951868800.0);
  for (std::string_view bad :
       {"", "2026-13-01", "2026-12-01T25:00:00Z", "2026-12-01T10:00:00Q", "2026-12-01T10:00:00."}) {
    EXPECT_FALSE(PolicyTime(bad).has_value()) << bad;
  }
  EXPECT_EQ(
      ParseError(Statement(
          R"({"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*",)"
          R"("Condition":{"DateSoon":{"aws:CurrentTime":"2026-12-01"}}})")),
      "Invalid Condition type : DateSoon");
}

// ForAnyValue / ForAllValues over a key the request gives several values.
TEST(BucketPolicyEval, ForAnyValueAndForAllValues) {
  auto any = Parse(Statement(
      R"({"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*",)"
      R"("Condition":{"ForAnyValue:StringLike":{"s3:tag":["blue*","green"]}}})"));
  auto all = Parse(Statement(
      R"({"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*",)"
      R"("Condition":{"ForAllValues:StringEquals":{"s3:tag":["blue","green"]}}})"));
  auto decide = [](const BucketPolicy& p, ConditionContext c) {
    return Decide(p, "", "s3:GetObject", "arn:aws:s3:::photos/k", std::move(c));
  };
  const ConditionContext mixed = {{"s3:tag", "red"}, {"s3:tag", "bluebell"}};
  const ConditionContext subset = {{"s3:tag", "green"}, {"s3:tag", "blue"}};
  const ConditionContext none = {};
  EXPECT_EQ(decide(any, mixed), PolicyDecision::kAllow);
  EXPECT_EQ(decide(any, {{"s3:tag", "red"}}), PolicyDecision::kNoDecision);
  EXPECT_EQ(decide(any, none), PolicyDecision::kNoDecision);  // nothing to match
  EXPECT_EQ(decide(all, subset), PolicyDecision::kAllow);
  EXPECT_EQ(decide(all, mixed), PolicyDecision::kNoDecision);
  EXPECT_EQ(decide(all, none), PolicyDecision::kAllow);  // vacuously, as AWS warns
}

TEST(BucketPolicyEval, NegatedOperatorsPassAMissingKey) {
  auto policy = Parse(Statement(
      R"({"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::photos/*",)"
      R"("Condition":{"StringNotEquals":{"aws:username":"alice"}}})"));
  EXPECT_EQ(Decide(policy, "", "s3:GetObject", "arn:aws:s3:::photos/k"), PolicyDecision::kDeny);
  EXPECT_EQ(
      Decide(policy, "bob", "s3:GetObject", "arn:aws:s3:::photos/k", {{"aws:username", "bob"}}),
      PolicyDecision::kDeny);
  EXPECT_EQ(
      Decide(policy, "alice", "s3:GetObject", "arn:aws:s3:::photos/k", {{"aws:username", "alice"}}),
      PolicyDecision::kNoDecision);
}

// Object tags: the request's own (x-amz-tagging) and the stored object's,
// which the gateway reads only for a policy that names them.
TEST(BucketPolicyEval, ObjectTagConditions) {
  auto existing = Parse(Statement(
      R"({"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*",)"
      R"("Condition":{"StringEquals":{"s3:ExistingObjectTag/share":"yes"}}})"));
  EXPECT_TRUE(existing.existing_object_tags);
  EXPECT_EQ(Decide(existing, "", "s3:GetObject", "arn:aws:s3:::photos/k",
                   {{"s3:ExistingObjectTag/share", "yes"}}),
            PolicyDecision::kAllow);
  EXPECT_EQ(Decide(existing, "", "s3:GetObject", "arn:aws:s3:::photos/k", {}),
            PolicyDecision::kNoDecision);
  auto request = Parse(Statement(
      R"({"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::photos/*",)"
      R"("Condition":{"ForAnyValue:StringNotEquals":{"s3:RequestObjectTagKeys":["team","cost"]}}})"));
  EXPECT_FALSE(request.existing_object_tags);
  const auto put = [&](ConditionContext context) {
    return Decide(request, "bob", "s3:PutObject", "arn:aws:s3:::photos/k", std::move(context));
  };
  EXPECT_EQ(put({{"s3:RequestObjectTagKeys", "team"}}), PolicyDecision::kNoDecision);
  EXPECT_EQ(put({{"s3:RequestObjectTagKeys", "team"}, {"s3:RequestObjectTagKeys", "secret"}}),
            PolicyDecision::kDeny);
  EXPECT_TRUE(Parse(Statement(R"({"Effect":"Allow","Principal":"*","Action":"s3:GetObject",)"
                              R"("Resource":"arn:aws:s3:::photos/${s3:ExistingObjectTag/dir}/*"})"))
                  .existing_object_tags);
}

TEST(WildcardMatch, StarAndQuestionMark) {
  EXPECT_TRUE(WildcardMatch("a*c", "abbbc"));
  EXPECT_TRUE(WildcardMatch("a?c", "abc"));
  EXPECT_FALSE(WildcardMatch("a?c", "abbc"));
  EXPECT_TRUE(WildcardMatch("*", ""));
  EXPECT_TRUE(WildcardMatch("*/x*", "a/b/xy"));
  EXPECT_FALSE(WildcardMatch("ABC", "abc"));
  EXPECT_TRUE(WildcardMatch("ABC", "abc", true));
}

}  // namespace
}  // namespace fsgate::auth
