// The aws-chunked decoder against the AWS documentation's streaming example
// ("Signature Calculations ... Transferring Payload in Multiple Chunks"), fed
// whole and one byte at a time, plus the trailer variants and every framing
// error.
#include "auth/aws_chunked.h"

#include <gtest/gtest.h>

#include <sstream>

#include "base/hash.h"
#include "sigv4_test_util.h"

namespace fsgate::auth {
namespace {

using testing_util::ExampleTime;
using testing_util::ExampleUsers;
using testing_util::Request;

// The example request's seed, checked by Authenticate itself.
SigningContext ExampleSigning() {
  const Request request{
      "PUT",
      "/examplebucket/chunkObject.txt",
      {{"Host", "s3.amazonaws.com"},
       {"x-amz-date", "20130524T000000Z"},
       {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
       {"Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
        "x-amz-decoded-content-length;x-amz-storage-class,"
        "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"},
       {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
       {"Content-Encoding", "aws-chunked"},
       {"x-amz-decoded-content-length", "66560"},
       {"Content-Length", "66824"}}};
  const AuthResult result =
      Authenticate(request.view(), ExampleUsers(), ExampleTime(), "us-east-1");
  EXPECT_TRUE(result.ok) << result.error_code;
  EXPECT_EQ(result.payload, PayloadMode::kStreamingSigned);
  return result.signing;
}

std::string ExampleBody() {
  return "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
         "\r\n" +
         std::string(65536, 'a') +
         "\r\n"
         "400;chunk-signature="
         "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n" +
         std::string(1024, 'a') +
         "\r\n"
         "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n"
         "\r\n";
}

// Feeds `body` in pieces of `step` bytes; returns the decoded payload.
std::string Decode(AwsChunkedDecoder& decoder, std::string_view body, size_t step) {
  std::string out;
  for (size_t pos = 0; pos < body.size(); pos += step) {
    if (!decoder.Feed(body.substr(pos, step), out)) break;
  }
  return out;
}

TEST(AwsChunked, AwsExampleWhole) {
  const std::string body = ExampleBody();
  ASSERT_EQ(body.size(), 66824u);  // the example's Content-Length
  AwsChunkedDecoder decoder(PayloadMode::kStreamingSigned, ExampleSigning());
  const std::string out = Decode(decoder, body, body.size());
  EXPECT_TRUE(decoder.done()) << decoder.error_code() << ": " << decoder.error_message();
  EXPECT_TRUE(decoder.Finish());
  EXPECT_TRUE(out == std::string(66560, 'a')) << out.size();
}

TEST(AwsChunked, AwsExampleByteAtATime) {
  AwsChunkedDecoder decoder(PayloadMode::kStreamingSigned, ExampleSigning());
  const std::string out = Decode(decoder, ExampleBody(), 1);
  EXPECT_TRUE(decoder.done()) << decoder.error_code() << ": " << decoder.error_message();
  EXPECT_TRUE(out == std::string(66560, 'a')) << out.size();
}

TEST(AwsChunked, AwsExampleOddSplits) {
  for (size_t step : {2u, 3u, 7u, 85u, 86u, 87u, 4096u, 65537u}) {
    AwsChunkedDecoder decoder(PayloadMode::kStreamingSigned, ExampleSigning());
    EXPECT_EQ(Decode(decoder, ExampleBody(), step).size(), 66560u) << step;
    EXPECT_TRUE(decoder.done()) << step;
  }
}

TEST(AwsChunked, TamperedChunkData) {
  std::string body = ExampleBody();
  body[100] = 'b';
  AwsChunkedDecoder decoder(PayloadMode::kStreamingSigned, ExampleSigning());
  Decode(decoder, body, 1);
  EXPECT_FALSE(decoder.done());
  EXPECT_EQ(decoder.error_code(), "SignatureDoesNotMatch");
  std::string out;
  EXPECT_FALSE(decoder.Feed("more", out));  // stays failed
  EXPECT_FALSE(decoder.Finish());
}

TEST(AwsChunked, TamperedSignatureOrWrongSeed) {
  std::string body = ExampleBody();
  body[body.find("0055627c")] = '1';
  AwsChunkedDecoder decoder(PayloadMode::kStreamingSigned, ExampleSigning());
  Decode(decoder, body, body.size());
  EXPECT_EQ(decoder.error_code(), "SignatureDoesNotMatch");

  SigningContext other = ExampleSigning();
  other.seed_signature[0] = other.seed_signature[0] == '0' ? '1' : '0';
  AwsChunkedDecoder reseeded(PayloadMode::kStreamingSigned, other);
  Decode(reseeded, ExampleBody(), 4096);
  EXPECT_EQ(reseeded.error_code(), "SignatureDoesNotMatch");
}

TEST(AwsChunked, DroppedChunkBreaksTheChain) {
  std::string body = ExampleBody();
  const size_t second = body.find("400;");
  const size_t third = body.find("0;chunk-signature=b6c6");
  body.erase(second, third - second);
  AwsChunkedDecoder decoder(PayloadMode::kStreamingSigned, ExampleSigning());
  Decode(decoder, body, body.size());
  EXPECT_EQ(decoder.error_code(), "SignatureDoesNotMatch");
}

TEST(AwsChunked, TruncatedBodyIsIncomplete) {
  const std::string body = ExampleBody();
  AwsChunkedDecoder decoder(PayloadMode::kStreamingSigned, ExampleSigning());
  Decode(decoder, std::string_view(body).substr(0, body.size() - 1), 1000);
  EXPECT_FALSE(decoder.done());
  EXPECT_FALSE(decoder.Finish());
  EXPECT_EQ(decoder.error_code(), "IncompleteBody");
}

TEST(AwsChunked, DataAfterTheEnd) {
  AwsChunkedDecoder decoder(PayloadMode::kStreamingSigned, ExampleSigning());
  Decode(decoder, ExampleBody() + "x", 1);
  EXPECT_EQ(decoder.error_code(), "InvalidRequest");
}

TEST(AwsChunked, FramingErrors) {
  const auto error_for = [](PayloadMode mode, std::string_view body) {
    AwsChunkedDecoder decoder(mode, ExampleSigning());
    std::string out;
    decoder.Feed(body, out);
    return decoder.error_code();
  };
  const PayloadMode kSigned = PayloadMode::kStreamingSigned;
  const PayloadMode kUnsigned = PayloadMode::kStreamingUnsignedTrailer;
  EXPECT_EQ(error_for(kSigned, "10000\r\n"), "InvalidRequest");  // no chunk-signature
  EXPECT_EQ(error_for(kSigned, "10;chunk-signature=abc\r\n"), "InvalidRequest");
  EXPECT_EQ(error_for(kUnsigned, "zz\r\n"), "InvalidRequest");
  EXPECT_EQ(error_for(kUnsigned, ";x\r\n"), "InvalidRequest");
  EXPECT_EQ(error_for(kUnsigned, "5\nhello"), "InvalidRequest");      // bare LF
  EXPECT_EQ(error_for(kUnsigned, "5\r\nhelloXX"), "InvalidRequest");  // data overruns
  EXPECT_EQ(error_for(kUnsigned, "10000000000000000\r\n"), "InvalidChunkSizeError");
  EXPECT_EQ(error_for(kUnsigned, "0\r\nno-colon\r\n"), "InvalidRequest");
}

TEST(AwsChunked, AbsurdLinesAreRefusedEarly) {
  AwsChunkedDecoder decoder(PayloadMode::kStreamingUnsignedTrailer, {});
  std::string out;
  const std::string junk(1024, '1');
  int accepted = 0;
  while (decoder.Feed(junk, out) && accepted < 1024) ++accepted;
  EXPECT_LT(accepted, 8);  // refused within the line bound, not after a megabyte
  EXPECT_EQ(decoder.error_code(), "InvalidRequest");

  AwsChunkedDecoder trailers(PayloadMode::kStreamingUnsignedTrailer, {});
  std::string body = "0\r\n";
  for (int i = 0; i < 100; ++i) body += "x-amz-meta-" + std::to_string(i) + ":v\r\n";
  trailers.Feed(body, out);
  EXPECT_EQ(trailers.error_code(), "InvalidRequest");
}

TEST(AwsChunked, UnsignedTrailerWithCrc32) {
  const std::string crc = Base64Encode(Digest(HashAlgorithm::kCrc32, "hello world"));
  EXPECT_EQ(crc, "DUoRhQ==");  // botocore's AwsChunkedWrapper sends this body byte for byte
  const std::string body =
      "6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n";
  for (size_t step : {body.size(), size_t{1}}) {
    AwsChunkedDecoder decoder(PayloadMode::kStreamingUnsignedTrailer, {});
    EXPECT_EQ(Decode(decoder, body, step), "hello world");
    ASSERT_TRUE(decoder.done()) << decoder.error_code() << ": " << decoder.error_message();
    ASSERT_EQ(decoder.trailers().size(), 1u);
    EXPECT_EQ(decoder.trailers()[0].first, "x-amz-checksum-crc32");
    EXPECT_EQ(decoder.trailers()[0].second, crc);
  }
}

TEST(AwsChunked, UnsignedTrailerEmptyBody) {
  AwsChunkedDecoder decoder(PayloadMode::kStreamingUnsignedTrailer, {});
  EXPECT_EQ(Decode(decoder, "0\r\nx-amz-checksum-crc32c:AAAAAA==\r\n\r\n", 1), "");
  EXPECT_TRUE(decoder.done());
  EXPECT_EQ(decoder.trailers().at(0).first, "x-amz-checksum-crc32c");
}

// A signed-trailer body built the way the SDKs build one, from the spec's
// string-to-sign formulas (an independent oracle for the decoder).
class SignedTrailer : public testing::Test {
 protected:
  std::string Sign(std::string_view kind, std::string_view last_hash) {
    const std::string sts = std::string(kind) + "\n" + signing_.amz_date + "\n" + signing_.scope +
                            "\n" + previous_ + "\n" + std::string(last_hash);
    previous_ = HexEncode(HmacSha256(signing_.signing_key, sts));
    return previous_;
  }
  std::string Chunk(std::string_view data) {
    static const std::string kEmpty = HexEncode(Digest(HashAlgorithm::kSha256, ""));
    const std::string sig = Sign("AWS4-HMAC-SHA256-PAYLOAD",
                                 kEmpty + "\n" + HexEncode(Digest(HashAlgorithm::kSha256, data)));
    std::ostringstream size;
    size << std::hex << data.size();
    return size.str() + ";chunk-signature=" + sig + "\r\n" + std::string(data) +
           (data.empty() ? "" : "\r\n");
  }
  std::string Body(std::string_view trailer_value) {
    previous_ = signing_.seed_signature;
    // One statement each: the signatures chain, so the order matters.
    std::string body = Chunk(std::string(9000, 'x'));
    body += Chunk("tail");
    body += Chunk("");
    const std::string trailer = "x-amz-checksum-crc32:" + std::string(trailer_value);
    const std::string sig =
        Sign("AWS4-HMAC-SHA256-TRAILER", HexEncode(Digest(HashAlgorithm::kSha256, trailer + "\n")));
    return body + trailer + "\r\nx-amz-trailer-signature:" + sig + "\r\n\r\n";
  }

  SigningContext signing_ = ExampleSigning();
  std::string previous_;
};

TEST_F(SignedTrailer, Decodes) {
  const std::string crc =
      Base64Encode(Digest(HashAlgorithm::kCrc32, std::string(9000, 'x') + "tail"));
  const std::string body = Body(crc);
  for (size_t step : {body.size(), size_t{1}}) {
    AwsChunkedDecoder decoder(PayloadMode::kStreamingSignedTrailer, signing_);
    EXPECT_TRUE(Decode(decoder, body, step) == std::string(9000, 'x') + "tail");
    ASSERT_TRUE(decoder.done()) << decoder.error_code() << ": " << decoder.error_message();
    ASSERT_EQ(decoder.trailers().size(), 1u);
    EXPECT_EQ(decoder.trailers()[0].second, crc);
  }
}

TEST_F(SignedTrailer, TamperedTrailerRefused) {
  std::string body = Body("AAAAAA==");
  body.replace(body.find("AAAAAA=="), 8, "AAAAAQ==");
  AwsChunkedDecoder decoder(PayloadMode::kStreamingSignedTrailer, signing_);
  Decode(decoder, body, body.size());
  EXPECT_FALSE(decoder.done());
  EXPECT_EQ(decoder.error_code(), "SignatureDoesNotMatch");
}

TEST_F(SignedTrailer, MissingTrailerSignatureRefused) {
  std::string body = Body("AAAAAA==");
  body.erase(body.find("x-amz-trailer-signature"));
  body += "\r\n";
  AwsChunkedDecoder decoder(PayloadMode::kStreamingSignedTrailer, signing_);
  Decode(decoder, body, body.size());
  EXPECT_FALSE(decoder.done());
  EXPECT_EQ(decoder.error_code(), "InvalidRequest");
}

}  // namespace
}  // namespace fsgate::auth
