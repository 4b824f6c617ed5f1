// POST policies: parsing, the conditions S3 checks (eq, starts-with, exact
// match objects, content-length-range, coverage of every field) and the
// form's SigV4 and SigV2 signatures.
#include "auth/post_policy.h"

#include <gtest/gtest.h>

#include "auth/sigv4_canonical.h"
#include "base/hash.h"
#include "sigv4_test_util.h"

namespace fsgate::auth {
namespace {

using testing_util::ExampleUsers;
using testing_util::kAccessKey;
using testing_util::kSecretKey;

std::string B64(std::string_view text) { return Base64Encode(text); }

std::chrono::system_clock::time_point Noon() { return *sigv4::ParseAmzDate("20261206T120000Z"); }

const std::string kPolicy = R"({"expiration": "2026-12-06T13:00:00.000Z",
  "conditions": [{"bucket": "photos"}, ["starts-with", "$key", "user/"],
                 {"ACL": "public-read"}, ["eq", "$Content-Type", "image/png"],
                 ["starts-with", "$x-amz-meta-tag", ""],
                 ["content-length-range", 1, "1048576"]]})";

FormFields Good() {
  return {{"key", "user/a.png"},          {"acl", "public-read"}, {"content-type", "image/png"},
          {"x-amz-meta-tag", "anything"}, {"x-ignore-me", "x"},   {"policy", B64(kPolicy)},
          {"x-amz-signature", "sig"}};
}

std::string Check(const FormFields& fields, std::string_view bucket = "photos",
                  std::chrono::system_clock::time_point now = Noon()) {
  auto policy = ParsePostPolicy(B64(kPolicy));
  EXPECT_TRUE(policy.ok()) << policy.status().message();
  return CheckPostPolicy(*policy, fields, bucket, now);
}

TEST(PostPolicy, Parses) {
  auto policy = ParsePostPolicy(B64(kPolicy));
  ASSERT_TRUE(policy.ok()) << policy.status().message();
  EXPECT_EQ(policy->conditions.size(), 5u);
  EXPECT_EQ(policy->length_range, (std::pair<int64_t, int64_t>{1, 1048576}));
  EXPECT_EQ(policy->conditions[2].field, "acl") << "field names are case-insensitive";
  EXPECT_EQ(policy->expiration, *sigv4::ParseAmzDate("20261206T130000Z"));
}

TEST(PostPolicy, AllowsWhatItNames) { EXPECT_EQ(Check(Good()), ""); }

TEST(PostPolicy, RefusesAsAws) {
  const std::string prefix = "Invalid according to Policy: ";
  EXPECT_EQ(Check(Good(), "photos", *sigv4::ParseAmzDate("20261206T130001Z")),
            prefix + "Policy expired.");
  EXPECT_EQ(Check(Good(), "other"),
            prefix + R"(Policy Condition failed: ["eq", "$bucket", "photos"])");
  FormFields fields = Good();
  fields[0].second = "admin/a.png";
  EXPECT_EQ(Check(fields), prefix + R"(Policy Condition failed: ["starts-with", "$key", "user/"])");
  fields = Good();
  fields[2].second = "image/PNG";
  EXPECT_EQ(Check(fields),
            prefix + R"(Policy Condition failed: ["eq", "$content-type", "image/png"])");
  fields = Good();
  fields.erase(fields.begin() + 1);  // a condition on a missing field fails
  EXPECT_EQ(Check(fields), prefix + R"(Policy Condition failed: ["eq", "$acl", "public-read"])");
  fields = Good();
  fields.emplace_back("x-amz-meta-other", "1");
  EXPECT_EQ(Check(fields), prefix + "Extra input fields: x-amz-meta-other");
}

TEST(PostPolicy, InvalidDocuments) {
  const std::pair<std::string, std::string> cases[] = {
      {"not base64!", "Invalid Policy: Invalid JSON."},
      {B64("[1]"), "Invalid Policy: Invalid JSON."},
      {B64(R"({"conditions": []})"), "Invalid Policy: Policy missing expiration."},
      {B64(R"({"expiration": "tomorrow", "conditions": []})"),
       "Invalid Policy: Invalid 'expiration' value: 'tomorrow'"},
      {B64(R"({"expiration": "2026-12-06T13:00:00Z"})"),
       "Invalid Policy: Policy missing conditions."},
      {B64(R"({"expiration": "2026-12-06T13:00:00Z", "conditions": [["content-length-range", 9, 1]]})"),
       "Invalid Policy: Invalid content-length-range."},
      {B64(R"({"expiration": "2026-12-06T13:00:00Z", "conditions": [["ends-with", "$key", "x"]]})"),
       "Invalid Policy: Invalid Condition: unknown operation ends-with."},
      {B64(R"({"expiration": "2026-12-06T13:00:00Z", "conditions": [{"a": "1", "b": "2"}]})"),
       "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one "
       "property specified."},
  };
  for (const auto& [text, message] : cases) {
    auto policy = ParsePostPolicy(text);
    ASSERT_FALSE(policy.ok()) << text;
    EXPECT_EQ(policy.status().reason(), "InvalidPolicyDocument");
    EXPECT_EQ(policy.status().message(), message);
  }
}

TEST(PostPolicy, SigV4Signature) {
  const CredentialStore users = ExampleUsers();
  const std::string policy = B64(kPolicy);
  const std::string signature =
      sigv4::Signature(sigv4::SigningKey(kSecretKey, "20261206", "us-east-1", "s3"), policy);
  FormFields fields = {
      {"x-amz-algorithm", "AWS4-HMAC-SHA256"},
      {"x-amz-credential", std::string(kAccessKey) + "/20261206/us-east-1/s3/aws4_request"},
      {"x-amz-date", "20261206T120000Z"},
      {"policy", policy},
      {"x-amz-signature", signature}};
  const AuthResult ok = AuthenticatePostForm(fields, users, "us-east-1");
  ASSERT_TRUE(ok.ok) << ok.error_message;
  EXPECT_EQ(ok.credentials->user, "example");
  EXPECT_EQ(AuthenticatePostForm(fields, users, "eu-west-1").error_code, "InvalidArgument");
  fields[4].second[0] = fields[4].second[0] == '0' ? '1' : '0';
  EXPECT_EQ(AuthenticatePostForm(fields, users, "us-east-1").error_code, "SignatureDoesNotMatch");
  fields[1].second = "AKIANOBODY/20261206/us-east-1/s3/aws4_request";
  EXPECT_EQ(AuthenticatePostForm(fields, users, "us-east-1").error_code, "InvalidAccessKeyId");
  fields.erase(fields.begin() + 2);
  const AuthResult missing = AuthenticatePostForm(fields, users, "us-east-1");
  EXPECT_EQ(missing.error_code, "InvalidArgument");
  EXPECT_EQ(missing.error_message,
            "Bucket POST must contain a field named 'x-amz-date'.  If it is specified, please "
            "check the order of the fields.");
}

TEST(PostPolicy, SigV2Signature) {
  const CredentialStore users = ExampleUsers();
  const std::string policy = B64(kPolicy);
  FormFields fields = {{"awsaccesskeyid", kAccessKey},
                       {"policy", policy},
                       {"signature", Base64Encode(HmacSha1(kSecretKey, policy))}};
  EXPECT_TRUE(AuthenticatePostForm(fields, users, "us-east-1").ok);
  fields[2].second = Base64Encode(HmacSha1("wrong", policy));
  EXPECT_EQ(AuthenticatePostForm(fields, users, "us-east-1").error_code, "SignatureDoesNotMatch");
}

}  // namespace
}  // namespace fsgate::auth
