// The payload reader over a body that arrives in pieces: how TCP splits an
// aws-chunked body must not change its answer. Bytes after the final chunk
// were refused when they came in the final chunk's read and ignored when
// they came in a later one (found by tests/fuzz/aws_chunked_fuzz).
#include "gateway/payload_reader.h"
#include "gateway/s3_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace fsgate::gateway {
namespace {

// Hands out one piece per Read, as one socket read each.
class PiecewiseBody final : public http::BodyReader {
 public:
  explicit PiecewiseBody(std::vector<std::string> pieces) : pieces_(std::move(pieces)) {}
  Result<size_t> Read(std::span<char> buf) override {
    if (next_ == pieces_.size()) return size_t{0};
    const std::string& piece = pieces_[next_++];
    EXPECT_LE(piece.size(), buf.size());
    std::copy(piece.begin(), piece.end(), buf.data());
    return piece.size();
  }

 private:
  std::vector<std::string> pieces_;
  size_t next_ = 0;
};

Result<std::string> ReadStreamingBody(std::vector<std::string> pieces) {
  http::HttpRequest request;
  request.method = "PUT";
  request.headers = {{"content-encoding", "aws-chunked"}, {"x-amz-decoded-content-length", "5"}};
  auth::AuthResult auth;
  auth.ok = true;
  auth.payload = auth::PayloadMode::kStreamingUnsignedTrailer;
  PiecewiseBody body(std::move(pieces));
  PayloadReader reader(request, body, auth, kMaxObjectSize);
  std::string message;
  EXPECT_EQ(reader.Validate(&message), "") << message;
  return reader.ReadAll(1024);
}

TEST(PayloadReaderTest, StreamingBodyDecodesWhateverTheSplit) {
  for (const auto& pieces : std::vector<std::vector<std::string>>{
           {"5\r\nhello\r\n0\r\n\r\n"}, {"5\r\nhel", "lo\r\n0\r\n", "\r\n"}}) {
    auto payload = ReadStreamingBody(pieces);
    ASSERT_TRUE(payload.ok()) << payload.status().code() << ": " << payload.status().message();
    EXPECT_EQ(*payload, "hello");
  }
}

TEST(PayloadReaderTest, BytesAfterTheFinalChunkRefusedWhateverTheSplit) {
  for (const auto& pieces : std::vector<std::vector<std::string>>{
           {"5\r\nhello\r\n0\r\n\r\njunk"}, {"5\r\nhello\r\n0\r\n\r\n", "junk"}}) {
    auto payload = ReadStreamingBody(pieces);
    ASSERT_FALSE(payload.ok()) << pieces.size() << " pieces";
    EXPECT_EQ(payload.status().reason(), "InvalidRequest");
  }
}

}  // namespace
}  // namespace fsgate::gateway
