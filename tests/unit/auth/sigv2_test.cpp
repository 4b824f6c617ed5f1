// SigV2 presigned URLs against the query-string example of AWS's SigV2
// documentation ("Query String Request Authentication Alternative": GET of
// photos/puppy.jpg in johnsmith, Expires 1175139620), path-style and
// virtual-hosted, then each refusal.
#include "auth/sigv2.h"

#include <gtest/gtest.h>

#include "sigv4_test_util.h"

namespace fsgate::auth {
namespace {

using testing_util::ExampleUsers;
using testing_util::Request;

constexpr char kQuery[] =
    "?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&"
    "Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D";

std::chrono::system_clock::time_point At(int64_t seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

TEST(SigV2Presigned, AwsExampleVirtualHosted) {
  const Request request{
      "GET", std::string("/photos/puppy.jpg") + kQuery, {{"Host", "johnsmith.s3.amazonaws.com"}}};
  EXPECT_EQ(PresignedV2StringToSign(request.view(), "1175139620", "johnsmith"),
            "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg");
  const CredentialStore users = ExampleUsers();
  const AuthResult result =
      AuthenticatePresignedV2(request.view(), users, At(1175139000), "johnsmith");
  ASSERT_TRUE(result.ok) << result.error_code << ": " << result.error_message;
  EXPECT_EQ(result.credentials->user, "example");
  EXPECT_EQ(result.payload, PayloadMode::kUnsigned);
}

TEST(SigV2Presigned, AwsExamplePathStyle) {
  const Request request{"GET", std::string("/johnsmith/photos/puppy.jpg") + kQuery, {}};
  const CredentialStore users = ExampleUsers();
  EXPECT_TRUE(AuthenticatePresignedV2(request.view(), users, At(1175139000), "").ok);
  // The bucket belongs to the path: read as virtual-hosted, it does not match.
  EXPECT_EQ(AuthenticatePresignedV2(request.view(), users, At(1175139000), "johnsmith").error_code,
            "SignatureDoesNotMatch");
}

TEST(SigV2Presigned, SubResourcesAndAmzHeadersAreSigned) {
  const Request request{"PUT",
                        "/b/k?uploadId=u%2B1&partNumber=2&AWSAccessKeyId=A&Expires=9&Signature=s",
                        {{"Content-Type", " text/plain "},
                         {"X-Amz-Meta-B", "2"},
                         {"x-amz-meta-a", "1"},
                         {"x-amz-meta-a", "3"}}};
  EXPECT_EQ(PresignedV2StringToSign(request.view(), "9", ""),
            "PUT\n\ntext/plain\n9\nx-amz-meta-a:1,3\nx-amz-meta-b:2\n"
            "/b/k?partNumber=2&uploadId=u+1");
}

TEST(SigV2Presigned, Refusals) {
  const CredentialStore users = ExampleUsers();
  auto code = [&](const std::string& target, int64_t now) {
    return AuthenticatePresignedV2(Request{"GET", target, {}}.view(), users, At(now), "")
        .error_code;
  };
  const std::string path = "/johnsmith/photos/puppy.jpg";
  const int64_t before = 1175139000;  // the example's Expires is 1175139620
  EXPECT_EQ(code(path + kQuery, 1175139621), "AccessDenied") << "expired";
  EXPECT_EQ(code(path + kQuery, 1175139620), "AccessDenied") << "Expires is the first second out";
  EXPECT_EQ(code(path + kQuery, 1175139620 - 604801), "AccessDenied") << "over a week ahead";
  EXPECT_EQ(code(path + kQuery, 1175139620 - 604800), "") << "a week ahead";
  EXPECT_EQ(code(path + "?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620", before),
            "AccessDenied");
  EXPECT_EQ(code(path + "?AWSAccessKeyId=AKIAOTHER&Expires=1175139620&Signature=x", before),
            "InvalidAccessKeyId");
  EXPECT_EQ(code("/johnsmith/photos/kitten.jpg" + std::string(kQuery), before),
            "SignatureDoesNotMatch");
}

}  // namespace
}  // namespace fsgate::auth
