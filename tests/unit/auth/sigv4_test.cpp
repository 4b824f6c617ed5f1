// Authenticate() end to end: the S3 examples of the AWS documentation
// ("Signature Calculations for the Authorization Header: Transferring Payload
// in a Single Chunk", "... Query Parameters", "... in Multiple Chunks"), then
// every refusal with its exact S3 error.
#include <gtest/gtest.h>

#include <cctype>

#include "auth/sigv4.h"
#include "base/hash.h"
#include "sigv4_test_util.h"

namespace fsgate::auth {
namespace {

using namespace std::chrono_literals;
using testing_util::ExampleTime;
using testing_util::ExampleUsers;
using testing_util::kAccessKey;
using testing_util::kEmptySha256;
using testing_util::kSecretKey;
using testing_util::Request;

constexpr std::string_view kRegion = "us-east-1";  // the region of AWS's examples

constexpr char kCredential[] =
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request";

Request GetObjectExample() {
  return {"GET",
          "/test.txt",
          {{"Host", "examplebucket.s3.amazonaws.com"},
           {"Authorization",
            std::string(kCredential) +
                ",SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
           {"Range", "bytes=0-9"},
           {"x-amz-content-sha256", kEmptySha256},
           {"x-amz-date", "20130524T000000Z"}}};
}

Request PutObjectExample() {
  return {"PUT",
          "/test%24file.text",
          {{"Host", "examplebucket.s3.amazonaws.com"},
           {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
           {"Authorization",
            std::string(kCredential) +
                ",SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
                "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
           {"x-amz-date", "20130524T000000Z"},
           {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
           {"x-amz-content-sha256",
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"}}};
}

Request BucketExample(std::string target, std::string signature) {
  return {"GET",
          std::move(target),
          {{"Host", "examplebucket.s3.amazonaws.com"},
           {"Authorization",
            std::string(kCredential) +
                ",SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=" + signature},
           {"x-amz-content-sha256", kEmptySha256},
           {"x-amz-date", "20130524T000000Z"}}};
}

Request PresignedExample(std::string expires = "86400") {
  return {
      "GET",
      "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524"
      "%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=" +
          expires +
          "&X-Amz-SignedHeaders=host&X-Amz-Signature="
          "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
      {{"Host", "examplebucket.s3.amazonaws.com"}}};
}

Request StreamingExample() {
  return {"PUT",
          "/examplebucket/chunkObject.txt",
          {{"Host", "s3.amazonaws.com"},
           {"x-amz-date", "20130524T000000Z"},
           {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
           {"Authorization",
            std::string(kCredential) +
                ",SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;"
                "x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"
                "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"},
           {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
           {"Content-Encoding", "aws-chunked"},
           {"x-amz-decoded-content-length", "66560"},
           {"Content-Length", "66824"}}};
}

AuthResult Auth(const Request& request, std::chrono::system_clock::time_point now = ExampleTime()) {
  return Authenticate(request.view(), ExampleUsers(), now, kRegion);
}

std::string ToLowerForTest(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

void ExpectError(const AuthResult& result, std::string_view code, std::string_view message = {}) {
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error_code, code);
  if (!message.empty()) {
    EXPECT_EQ(result.error_message, message);
  }
}

constexpr std::string_view kMismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "key and signing method.";

TEST(SigV4S3Examples, GetObject) {
  const AuthResult result = Auth(GetObjectExample());
  ASSERT_TRUE(result.ok) << result.error_code << ": " << result.error_message;
  ASSERT_NE(result.credentials, nullptr);
  EXPECT_EQ(result.credentials->user, "example");
  EXPECT_EQ(result.payload, PayloadMode::kSha256);
  EXPECT_EQ(result.payload_sha256, kEmptySha256);
}

TEST(SigV4S3Examples, PutObjectWithDollarInKey) {
  const AuthResult result = Auth(PutObjectExample());
  ASSERT_TRUE(result.ok) << result.error_code << ": " << result.error_message;
  EXPECT_EQ(result.payload, PayloadMode::kSha256);
  EXPECT_EQ(result.payload_sha256,
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  // The same key sent unescaped canonicalises the same way.
  Request raw = PutObjectExample();
  raw.target = "/test$file.text";
  EXPECT_TRUE(Auth(raw).ok);
}

TEST(SigV4S3Examples, GetBucketLifecycle) {
  EXPECT_TRUE(
      Auth(BucketExample("/?lifecycle",
                         "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"))
          .ok);
}

TEST(SigV4S3Examples, ListObjects) {
  EXPECT_TRUE(
      Auth(BucketExample("/?max-keys=2&prefix=J",
                         "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"))
          .ok);
  // Parameter order on the wire does not matter.
  EXPECT_TRUE(
      Auth(BucketExample("/?prefix=J&max-keys=2",
                         "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"))
          .ok);
}

TEST(SigV4S3Examples, SpacesAfterCommasInAuthorization) {
  Request request = GetObjectExample();
  request.Set("Authorization",
              std::string(kCredential) +
                  ", SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,  "
                  "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_TRUE(Auth(request).ok);
}

TEST(SigV4S3Examples, PresignedGet) {
  const AuthResult result = Auth(PresignedExample());
  ASSERT_TRUE(result.ok) << result.error_code << ": " << result.error_message;
  EXPECT_EQ(result.payload, PayloadMode::kUnsigned);
  EXPECT_TRUE(Auth(PresignedExample(), ExampleTime() + 86400s).ok);  // last valid second
}

TEST(SigV4S3Examples, PresignedExpired) {
  ExpectError(Auth(PresignedExample(), ExampleTime() + 86401s), "AccessDenied",
              "Request has expired");
}

TEST(SigV4S3Examples, PresignedOverSevenDays) {
  ExpectError(Auth(PresignedExample("604801")), "AuthorizationQueryParametersError",
              "X-Amz-Expires must be less than a week (in seconds) that is 604800");
  ExpectError(Auth(PresignedExample("-1")), "AuthorizationQueryParametersError");
  ExpectError(Auth(PresignedExample("0"), ExampleTime()), "AccessDenied", "Request has expired");
  ExpectError(Auth(PresignedExample("soon")), "AuthorizationQueryParametersError");
  // Within the limit, the signature (over X-Amz-Expires too) is what fails.
  ExpectError(Auth(PresignedExample("604800")), "SignatureDoesNotMatch");
}

TEST(SigV4S3Examples, PresignedTampered) {
  Request request = PresignedExample();
  request.target.replace(request.target.find("/test.txt"), 9, "/test.TXT");
  ExpectError(Auth(request), "SignatureDoesNotMatch", kMismatch);
  request = PresignedExample();
  request.target += "&x-id=GetObject";  // an unsigned extra parameter
  ExpectError(Auth(request), "SignatureDoesNotMatch");
}

TEST(SigV4S3Examples, PresignedMissingParameter) {
  Request request = PresignedExample();
  request.target.replace(request.target.find("&X-Amz-SignedHeaders=host"), 25, "");
  ExpectError(Auth(request), "AuthorizationQueryParametersError");
}

TEST(SigV4S3Examples, PresignedAndHeaderTogether) {
  Request request = PresignedExample();
  request.headers.push_back(GetObjectExample().headers[1]);
  ExpectError(Auth(request), "InvalidArgument");
}

TEST(SigV4S3Examples, StreamingSeedSignature) {
  const AuthResult result = Auth(StreamingExample());
  ASSERT_TRUE(result.ok) << result.error_code << ": " << result.error_message;
  EXPECT_EQ(result.payload, PayloadMode::kStreamingSigned);
  EXPECT_EQ(result.signing.seed_signature,
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
  EXPECT_EQ(result.signing.scope, "20130524/us-east-1/s3/aws4_request");
  EXPECT_EQ(result.signing.amz_date, "20130524T000000Z");
  EXPECT_EQ(result.signing.signing_key,
            sigv4::SigningKey(kSecretKey, "20130524", "us-east-1", "s3"));
}

TEST(SigV4Errors, NoAuthentication) {
  Request request = GetObjectExample();
  request.Remove("Authorization");
  ExpectError(Auth(request), "AccessDenied", "Access Denied");
}

TEST(SigV4Errors, UnknownAccessKey) {
  CredentialStore users;
  users.Add(Credentials{.user = "other", .access_key = "AKIDOTHER", .secret_key = kSecretKey});
  ExpectError(Authenticate(GetObjectExample().view(), users, ExampleTime(), kRegion),
              "InvalidAccessKeyId",
              "The AWS Access Key Id you provided does not exist in our records.");
}

TEST(SigV4Errors, WrongSecret) {
  CredentialStore users;
  users.Add(Credentials{.user = "u", .access_key = kAccessKey, .secret_key = "not-the-secret"});
  ExpectError(Authenticate(GetObjectExample().view(), users, ExampleTime(), kRegion),
              "SignatureDoesNotMatch", kMismatch);
}

TEST(SigV4Errors, TamperedSignedHeader) {
  Request request = GetObjectExample();
  request.Set("Range", "bytes=0-99");
  ExpectError(Auth(request), "SignatureDoesNotMatch", kMismatch);
}

TEST(SigV4Errors, ClockSkew) {
  EXPECT_TRUE(Auth(GetObjectExample(), ExampleTime() + 14min).ok);
  EXPECT_TRUE(Auth(GetObjectExample(), ExampleTime() - 14min).ok);
  constexpr std::string_view kSkewed =
      "The difference between the request time and the current time is too large.";
  ExpectError(Auth(GetObjectExample(), ExampleTime() + 16min), "RequestTimeTooSkewed", kSkewed);
  ExpectError(Auth(GetObjectExample(), ExampleTime() - 16min), "RequestTimeTooSkewed", kSkewed);
}

TEST(SigV4Errors, MissingOrBadDate) {
  Request request = GetObjectExample();
  request.Remove("x-amz-date");
  ExpectError(Auth(request), "AccessDenied");
  request.Set("x-amz-date", "yesterday");
  ExpectError(Auth(request), "AccessDenied");
}

TEST(SigV4Errors, MissingContentSha256) {
  Request request = GetObjectExample();
  request.Remove("x-amz-content-sha256");
  ExpectError(Auth(request), "InvalidRequest",
              "Missing required header for this request: x-amz-content-sha256");
}

TEST(SigV4Errors, BadContentSha256) {
  Request request = GetObjectExample();
  request.Set("x-amz-content-sha256", "abc");
  ExpectError(Auth(request), "InvalidArgument");
  request.Set("x-amz-content-sha256", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD");
  ExpectError(Auth(request), "InvalidArgument");
}

TEST(SigV4Errors, MalformedAuthorization) {
  const auto with = [](std::string authorization) {
    Request request = GetObjectExample();
    request.Set("Authorization", std::move(authorization));
    return Auth(request);
  };
  constexpr std::string_view kSig =
      "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
  const std::string kSigned = ",SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,";
  ExpectError(with(std::string(kCredential) + kSigned), "AuthorizationHeaderMalformed");
  ExpectError(with(std::string(kCredential) + ",Signature=ab"), "AuthorizationHeaderMalformed");
  ExpectError(with("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1" + kSigned +
                   std::string(kSig)),
              "AuthorizationHeaderMalformed");
  ExpectError(with("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/ec2/"
                   "aws4_request" +
                   kSigned + std::string(kSig)),
              "AuthorizationHeaderMalformed",
              "The authorization header is malformed; incorrect service \"ec2\". This endpoint "
              "belongs to \"s3\".");
  ExpectError(with("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                   "aws5_request" +
                   kSigned + std::string(kSig)),
              "AuthorizationHeaderMalformed");
  ExpectError(with("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130525/us-east-1/s3/"
                   "aws4_request" +
                   kSigned + std::string(kSig)),
              "AuthorizationHeaderMalformed",
              "The authorization header is malformed; Invalid credential date. Date is not the "
              "same as X-Amz-Date.");
  ExpectError(with(std::string(kCredential) + kSigned + std::string(kSig) + ",Foo=bar"),
              "AuthorizationHeaderMalformed");
  ExpectError(
      with(std::string(kCredential) + kSigned + std::string(kSig) + "," + std::string(kSig)),
      "AuthorizationHeaderMalformed");
  ExpectError(with("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg="), "InvalidRequest");
  ExpectError(with(""), "InvalidRequest");
}

constexpr std::string_view kNotSigned =
    "There were headers present in the request which were not signed";

void ExpectNotSigned(const AuthResult& result, std::string_view names) {
  ExpectError(result, "AccessDenied", kNotSigned);
  using Details = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(result.error_details, (Details{{"HeadersNotSigned", std::string(names)}}));
}

TEST(SigV4Errors, UnsignedAmzHeaderRefused) {
  Request request = GetObjectExample();
  request.headers.emplace_back("x-amz-meta-color", "red");
  request.headers.emplace_back("X-Amz-Copy-Source", "other/secret");
  request.headers.emplace_back("x-amz-meta-color", "blue");
  ExpectNotSigned(Auth(request), "x-amz-meta-color, x-amz-copy-source");
}

TEST(SigV4Errors, PresignedUnsignedAmzHeaderRefused) {
  for (const char* name :
       {"x-amz-copy-source", "x-amz-metadata-directive", "x-amz-meta-a", "X-Amz-Acl"}) {
    Request request = PresignedExample();
    request.headers.emplace_back(name, "x");
    ExpectNotSigned(Auth(request, ExampleTime() + 1s), ToLowerForTest(name));
  }
}

// x-amz-content-sha256 is the canonical request's last line: covered unsigned.
TEST(SigV4Errors, ContentSha256NeedNotBeListed) {
  Request request = PresignedExample();
  request.headers.emplace_back("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
  EXPECT_TRUE(Auth(request, ExampleTime() + 1s).ok);
  request.Set("x-amz-content-sha256", kEmptySha256);
  ExpectError(Auth(request, ExampleTime() + 1s), "SignatureDoesNotMatch");
}

TEST(SigV4Errors, HostMustBeSigned) {
  Request request = GetObjectExample();
  request.Set("Authorization",
              std::string(kCredential) +
                  ",SignedHeaders=range;x-amz-content-sha256;x-amz-date,"
                  "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  ExpectNotSigned(Auth(request), "host");

  Request presigned = PresignedExample();
  presigned.target.replace(presigned.target.find("X-Amz-SignedHeaders=host"),
                           std::string_view("X-Amz-SignedHeaders=host").size(),
                           "X-Amz-SignedHeaders=");
  ExpectNotSigned(Auth(presigned, ExampleTime() + 1s), "host");
}

TEST(SigV4Errors, WrongRegion) {
  using Details = std::vector<std::pair<std::string, std::string>>;
  const AuthResult header =
      Authenticate(GetObjectExample().view(), ExampleUsers(), ExampleTime(), "eu-west-1");
  ExpectError(header, "AuthorizationHeaderMalformed",
              "The authorization header is malformed; the region 'us-east-1' is wrong; expecting "
              "'eu-west-1'");
  EXPECT_EQ(header.error_details, (Details{{"Region", "eu-west-1"}}));

  const AuthResult query =
      Authenticate(PresignedExample().view(), ExampleUsers(), ExampleTime() + 1s, "eu-west-1");
  ExpectError(query, "AuthorizationQueryParametersError",
              "Error parsing the X-Amz-Credential parameter; the region 'us-east-1' is wrong; "
              "expecting 'eu-west-1'");
  EXPECT_EQ(query.error_details, (Details{{"Region", "eu-west-1"}}));
}

// SignRequest (the client side) and Authenticate share the canonicalisation:
// what one signs the other accepts, for awkward requests too.
class SignRoundTrip : public testing::Test {
 protected:
  Credentials user_{.user = "example", .access_key = kAccessKey, .secret_key = kSecretKey};
  std::chrono::system_clock::time_point now_ = ExampleTime() + 12345s;

  AuthResult SignAndVerify(const std::string& method, const std::string& target,
                           std::vector<std::pair<std::string, std::string>> headers,
                           const std::string& payload, std::string_view region = "us-east-1") {
    SignRequest(method, target, headers, payload, user_, region, now_);
    Request request{method, target, std::move(headers)};
    return Authenticate(request.view(), ExampleUsers(), now_, kRegion);
  }
};

TEST_F(SignRoundTrip, PutWithAwkwardKeyAndHeaders) {
  const std::string body = "hello";
  const AuthResult result = SignAndVerify("PUT", "/bucket/dir/na%20me%2B%C3%A9~.txt",
                                          {{"Host", "localhost:9000"},
                                           {"X-Amz-Meta-Note", "  several    spaces   inside  "},
                                           {"x-amz-meta-list", "a"},
                                           {"X-Amz-Meta-List", "b"},
                                           {"Content-Type", "text/plain"}},
                                          HexEncode(Digest(HashAlgorithm::kSha256, body)));
  ASSERT_TRUE(result.ok) << result.error_code << ": " << result.error_message;
  EXPECT_EQ(result.payload_sha256, HexEncode(Digest(HashAlgorithm::kSha256, body)));
}

TEST_F(SignRoundTrip, ListWithQuery) {
  EXPECT_TRUE(SignAndVerify("GET", "/bucket?list-type=2&prefix=a%2Fb%20c&delimiter=%2F&uploads",
                            {{"Host", "localhost"}}, "UNSIGNED-PAYLOAD")
                  .ok);
}

TEST_F(SignRoundTrip, OnlyTheConfiguredRegion) {
  for (const char* region : {"eu-west-3", "garage"}) {
    std::vector<std::pair<std::string, std::string>> headers = {{"Host", "h"}};
    SignRequest("GET", "/b/k", headers, "UNSIGNED-PAYLOAD", user_, region, now_);
    const Request request{"GET", "/b/k", headers};
    EXPECT_TRUE(Authenticate(request.view(), ExampleUsers(), now_, region).ok) << region;
    ExpectError(Authenticate(request.view(), ExampleUsers(), now_, kRegion),
                "AuthorizationHeaderMalformed");
  }
}

// A '+' in a query means a space to S3 and to the router, so the canonical
// form must read it so too: a signature for "a b" covers "a+b", one for a
// literal plus ("a%2Bb") does not.
TEST_F(SignRoundTrip, PlusInQueryIsASpace) {
  std::vector<std::pair<std::string, std::string>> headers = {{"Host", "h"}};
  SignRequest("GET", "/b?prefix=a%20b", headers, "UNSIGNED-PAYLOAD", user_, kRegion, now_);
  Request request{"GET", "/b?prefix=a+b", headers};
  EXPECT_TRUE(Authenticate(request.view(), ExampleUsers(), now_, kRegion).ok);
  request.target = "/b?prefix=a%2Bb";
  ExpectError(Authenticate(request.view(), ExampleUsers(), now_, kRegion), "SignatureDoesNotMatch");
}

TEST_F(SignRoundTrip, HeaderChangedAfterSigning) {
  std::vector<std::pair<std::string, std::string>> headers = {{"Host", "h"}, {"x-amz-meta-a", "1"}};
  SignRequest("PUT", "/b/k", headers, kEmptySha256, user_, "us-east-1", now_);
  headers[1].second = "2";
  Request request{"PUT", "/b/k", headers};
  ExpectError(Authenticate(request.view(), ExampleUsers(), now_, kRegion), "SignatureDoesNotMatch");
  // Whitespace the canonical form drops does not matter.
  headers[1].second = "  1 ";
  request = Request{"PUT", "/b/k", headers};
  EXPECT_TRUE(Authenticate(request.view(), ExampleUsers(), now_, kRegion).ok);
}

TEST_F(SignRoundTrip, StreamingModesFillSigningContext) {
  for (const char* mode :
       {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"}) {
    const AuthResult result = SignAndVerify("PUT", "/b/k", {{"Host", "h"}}, mode);
    ASSERT_TRUE(result.ok) << mode;
    EXPECT_EQ(result.signing.amz_date, sigv4::FormatAmzDate(now_));
    EXPECT_EQ(result.signing.seed_signature.size(), 64u);
  }
}

}  // namespace
}  // namespace fsgate::auth
