// SigV2 in the Authorization header against the examples of AWS's SigV2
// documentation ("Signing and authenticating REST requests": johnsmith's
// GET, PUT, list, ?acl, DELETE with x-amz-date, upload with Content-MD5 and
// x-amz-meta-*), then sub-resources and each refusal.
#include <gtest/gtest.h>

#include "auth/sigv2.h"
#include "base/hash.h"
#include "sigv4_test_util.h"

namespace fsgate::auth {
namespace {

using testing_util::ExampleUsers;
using testing_util::Request;

std::chrono::system_clock::time_point At(int64_t seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

constexpr int64_t kGetTime = 1175024202;  // Tue, 27 Mar 2007 19:36:42 +0000

std::string Authorization(const std::string& signature) {
  return std::string("AWS ") + testing_util::kAccessKey + ":" + signature;
}

// Checks the string to sign, then that the example's signature is accepted.
void ExpectAccepted(Request request, std::string_view host_bucket, const std::string& signature,
                    const std::string& string_to_sign, int64_t now) {
  EXPECT_EQ(HeaderV2StringToSign(request.view(), host_bucket), string_to_sign);
  request.Set("Authorization", Authorization(signature));
  const CredentialStore users = ExampleUsers();
  const AuthResult result =
      AuthenticateHeaderV2(request.view(), Authorization(signature), users, At(now), host_bucket);
  ASSERT_TRUE(result.ok) << result.error_code << ": " << result.error_message;
  EXPECT_EQ(result.credentials->user, "example");
  EXPECT_EQ(result.payload, PayloadMode::kUnsigned) << "SigV2 never signs the payload";
}

TEST(SigV2Header, AwsExampleGetObject) {
  ExpectAccepted(
      {"GET",
       "/photos/puppy.jpg",
       {{"Host", "johnsmith.s3.amazonaws.com"}, {"Date", "Tue, 27 Mar 2007 19:36:42 +0000"}}},
      "johnsmith", "bWq2s1WEIj+Ydj0vQ697zp+IXMU=",
      "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg", kGetTime);
}

TEST(SigV2Header, AwsExamplePutObjectWithContentType) {
  ExpectAccepted({"PUT",
                  "/photos/puppy.jpg",
                  {{"Content-Type", "image/jpeg"},
                   {"Content-Length", "94328"},
                   {"Host", "johnsmith.s3.amazonaws.com"},
                   {"Date", "Tue, 27 Mar 2007 21:15:45 +0000"}}},
                 "johnsmith", "MyyxeRY7whkBe+bq8fHCL/2kKUg=",
                 "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg",
                 1175030145);
}

TEST(SigV2Header, AwsExampleListSignsNoListParameters) {
  ExpectAccepted({"GET",
                  "/?prefix=photos&max-keys=50&marker=puppy",
                  {{"User-Agent", "Mozilla/5.0"},
                   {"Host", "johnsmith.s3.amazonaws.com"},
                   {"Date", "Tue, 27 Mar 2007 19:42:41 +0000"}}},
                 "johnsmith", "htDYFYduRNen8P9ZfE/s9SuKy0U=",
                 "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/", 1175024561);
}

TEST(SigV2Header, AwsExampleAclSubResource) {
  ExpectAccepted(
      {"GET",
       "/?acl",
       {{"Host", "johnsmith.s3.amazonaws.com"}, {"Date", "Tue, 27 Mar 2007 19:44:46 +0000"}}},
      "johnsmith",
      "c2WLPFtWHVgbEmeEG93a4cG37dM=", "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl",
      1175024686);
}

TEST(SigV2Header, AwsExampleDeleteWithAmzDatePathStyle) {
  // x-amz-date is the time, signed among the amz headers; the Date line is
  // left blank (and the Date header, a second later, is not signed).
  ExpectAccepted({"DELETE",
                  "/johnsmith/photos/puppy.jpg",
                  {{"User-Agent", "dotnet"},
                   {"Host", "s3.amazonaws.com"},
                   {"Date", "Tue, 27 Mar 2007 21:20:27 +0000"},
                   {"x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000"}}},
                 "", "R4dJ53KECjStyBO5iTBJZ4XVOaI=",
                 "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n"
                 "/johnsmith/photos/puppy.jpg",
                 1175030426);
}

TEST(SigV2Header, AwsExampleUploadWithMd5AndMetadata) {
  ExpectAccepted({"PUT",
                  "/db-backup.dat.gz",
                  {{"User-Agent", "curl/7.15.5"},
                   {"Host", "static.johnsmith.net:8080"},
                   {"Date", "Tue, 27 Mar 2007 21:06:08 +0000"},
                   {"x-amz-acl", "public-read"},
                   {"content-type", "application/x-download"},
                   {"Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="},
                   {"X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"},
                   {"X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"},
                   {"X-Amz-Meta-FileChecksum", "0x02661779"},
                   {"X-Amz-Meta-ChecksumAlgorithm", "crc32"},
                   {"Content-Disposition", "attachment; filename=database.dat"},
                   {"Content-Encoding", "gzip"},
                   {"Content-Length", "5913339"}}},
                 "static.johnsmith.net", "ilyl83RwaSoYIEdixDQcA4OnAnc=",
                 "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\n"
                 "Tue, 27 Mar 2007 21:06:08 +0000\n"
                 "x-amz-acl:public-read\n"
                 "x-amz-meta-checksumalgorithm:crc32\n"
                 "x-amz-meta-filechecksum:0x02661779\n"
                 "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n"
                 "/static.johnsmith.net/db-backup.dat.gz",
                 1175029568);
}

TEST(SigV2Header, SubResourcesAreSignedSortedOthersNot) {
  const Request request{"GET",
                        "/b/k?versionId=v1&max-keys=3&uploads&acl",
                        {{"Date", "Tue, 27 Mar 2007 19:36:42 +0000"}}};
  EXPECT_EQ(HeaderV2StringToSign(request.view(), ""),
            "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/b/k?acl&uploads&versionId=v1");
}

// The resource as botocore's HmacV1Auth spells it: "/bucket/" for a
// bucket-only path, an operation's fixed query repeated before the
// sub-resources. Each is accepted; nothing else is.
TEST(SigV2Header, BotocoreResourceSpellings) {
  const CredentialStore users = ExampleUsers();
  auto check = [&](const std::string& method, const std::string& target,
                   const std::string& resource) {
    const std::string date = "Tue, 27 Mar 2007 19:36:42 +0000";
    const std::string text = method + "\n\n\n" + date + "\n" + resource;
    const std::string authorization =
        Authorization(Base64Encode(HmacSha1(testing_util::kSecretKey, text)));
    const Request request{method, target, {{"Date", date}, {"Authorization", authorization}}};
    return AuthenticateHeaderV2(request.view(), authorization, users, At(kGetTime), "").error_code;
  };
  EXPECT_EQ(check("PUT", "/bucket", "/bucket"), "");
  EXPECT_EQ(check("PUT", "/bucket", "/bucket/"), "");
  EXPECT_EQ(check("GET", "/bucket?list-type=2&prefix=a", "/bucket?list-type=2"), "");
  EXPECT_EQ(check("PUT", "/bucket/k?tagging", "/bucket/k?tagging?tagging"), "");
  EXPECT_EQ(check("PUT", "/bucket/k?tagging", "/bucket/k?tagging"), "");
  EXPECT_EQ(check("PUT", "/bucket/k", "/bucket/k/"), "SignatureDoesNotMatch");
  EXPECT_EQ(check("PUT", "/bucket", "/other/"), "SignatureDoesNotMatch");
  EXPECT_EQ(check("GET", "/bucket?list-type=2&prefix=a", "/bucket?prefix=a"),
            "SignatureDoesNotMatch");
}

class SigV2HeaderRefusal : public testing::Test {
 protected:
  // The GET example, with `date` as its Date (none when empty) and `extra` headers.
  AuthResult Check(const std::string& authorization, int64_t now = kGetTime,
                   std::vector<std::pair<std::string, std::string>> extra = {},
                   bool with_date = true) const {
    Request request{"GET", "/photos/puppy.jpg", {{"Host", "johnsmith.s3.amazonaws.com"}}};
    if (with_date) request.Set("Date", "Tue, 27 Mar 2007 19:36:42 +0000");
    for (auto& [name, value] : extra) request.Set(name, value);
    request.Set("Authorization", authorization);
    return AuthenticateHeaderV2(request.view(), authorization, users_, At(now), "johnsmith");
  }
  const std::string good_ = Authorization("bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
  const CredentialStore users_ = ExampleUsers();
};

TEST_F(SigV2HeaderRefusal, ClockSkewBeyondFifteenMinutes) {
  EXPECT_TRUE(Check(good_, kGetTime + 15 * 60).ok);
  EXPECT_TRUE(Check(good_, kGetTime - 15 * 60).ok);
  const AuthResult late = Check(good_, kGetTime + 15 * 60 + 1);
  EXPECT_EQ(late.error_code, "RequestTimeTooSkewed");
  EXPECT_EQ(late.error_message,
            "The difference between the request time and the current time is too large.");
  EXPECT_EQ(Check(good_, kGetTime - 15 * 60 - 1).error_code, "RequestTimeTooSkewed");
}

TEST_F(SigV2HeaderRefusal, MissingOrInvalidDate) {
  for (const AuthResult& result :
       {Check(good_, kGetTime, {}, false), Check(good_, kGetTime, {{"Date", "yesterday"}}),
        Check(good_, kGetTime, {{"x-amz-date", "Bad Date"}}),
        Check(good_, kGetTime, {{"x-amz-date", ""}}),
        Check(good_, kGetTime, {{"x-amz-date", "Tue, 07 Jul 1950 21:53:04 GMT"}})}) {
    EXPECT_EQ(result.error_code, "AccessDenied");
    EXPECT_EQ(result.error_message,
              "AWS authentication requires a valid Date or x-amz-date header");
  }
  EXPECT_EQ(Check(good_, kGetTime, {{"x-amz-date", "Tue, 07 Jul 9999 21:53:04 GMT"}}).error_code,
            "RequestTimeTooSkewed");
}

TEST_F(SigV2HeaderRefusal, WrongSignatureUnknownKeyMalformedHeader) {
  const AuthResult wrong = Check(Authorization("bWq2s1WEIj+Ydj0vQ697zp+IXMV="));
  EXPECT_EQ(wrong.error_code, "SignatureDoesNotMatch");
  EXPECT_EQ(wrong.error_message.find(testing_util::kSecretKey), std::string::npos);
  // A signed header changed after signing.
  EXPECT_EQ(Check(good_, kGetTime, {{"x-amz-meta-a", "1"}}).error_code, "SignatureDoesNotMatch");
  EXPECT_EQ(Check("AWS AKIAOTHER:bWq2s1WEIj+Ydj0vQ697zp+IXMU=").error_code, "InvalidAccessKeyId");
  for (const char* malformed : {"AWS HAHAHA", "AWS :sig", "AWS key:", "AWS a:b:c"}) {
    const AuthResult result = Check(malformed);
    EXPECT_EQ(result.error_code, "InvalidArgument") << malformed;
    EXPECT_EQ(result.error_message,
              "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature");
  }
  // Signed in the header and in the query: one mechanism only.
  const Request both{"GET",
                     "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=x",
                     {{"Date", "Tue, 27 Mar 2007 19:36:42 +0000"}}};
  EXPECT_EQ(AuthenticateHeaderV2(both.view(), good_, users_, At(kGetTime), "johnsmith").error_code,
            "InvalidArgument");
  EXPECT_TRUE(IsHeaderV2(good_));
  EXPECT_FALSE(IsHeaderV2("AWS4-HMAC-SHA256 Credential=x"));
}

}  // namespace
}  // namespace fsgate::auth
