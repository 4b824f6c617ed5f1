// The aws-chunked body decoder (Content-Encoding: aws-chunked) in its four
// modes, fed the body whole and in pieces: how TCP splits a body must not
// change what it decodes to, nor which error it gets.
//
// Input: one byte choosing the mode, one seeding the piece sizes, then the body.
// Signed modes chain from the signing context of fuzz_common.h, which the
// seeds are signed with.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/aws_chunked.h"
#include "base/hash.h"
#include "fuzz_common.h"

namespace {

using namespace fsgate;

// The context Authenticate derives for the AWS documentation's streaming
// example request (its seed signature included).
const auth::SigningContext& ExampleSigning() {
  static const auth::SigningContext signing{
      .signing_key = auth::sigv4::SigningKey(fuzz::kSecretKey, "20130524", fuzz::kRegion, "s3"),
      .scope = "20130524/us-east-1/s3/aws4_request",
      .amz_date = fuzz::kAmzDate,
      .seed_signature = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"};
  return signing;
}

constexpr auth::PayloadMode kModes[] = {
    auth::PayloadMode::kStreamingSigned,
    auth::PayloadMode::kStreamingUnsignedTrailer,
    auth::PayloadMode::kStreamingSignedTrailer,
    auth::PayloadMode::kStreamingSigned,
};

struct Decoded {
  bool fed = true;
  bool finished = false;
  std::string out;
  std::string error_code;
  bool done = false;
};

Decoded Decode(auth::PayloadMode mode, std::string_view body, uint8_t split_seed) {
  auth::AwsChunkedDecoder decoder(mode, ExampleSigning());
  Decoded d;
  uint32_t state = split_seed;
  while (!body.empty() && d.fed) {
    size_t piece = body.size();
    if (split_seed != 0) {
      state = state * 1103515245u + 12345u;  // piece sizes 1..64, reproducible
      piece = std::min<size_t>(body.size(), 1 + (state >> 16) % 64);
    }
    d.fed = decoder.Feed(body.substr(0, piece), d.out);
    body.remove_prefix(piece);
  }
  d.finished = decoder.Finish();
  d.done = decoder.done();
  d.error_code = decoder.error_code();
  // done() says the final chunk was read; bytes after it still fail the body.
  FUZZ_CHECK(d.finished == d.error_code.empty());
  FUZZ_CHECK(!d.finished || d.done);
  if (d.finished) {
    // The trailers a client can send are bounded.
    FUZZ_CHECK(decoder.trailers().size() <= 32);
  }
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const auth::PayloadMode mode = kModes[data[0] % std::size(kModes)];
  const uint8_t split_seed = data[1];
  const std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);

  const Decoded whole = Decode(mode, body, 0);
  if (split_seed == 0) return 0;
  const Decoded pieces = Decode(mode, body, split_seed);
  FUZZ_CHECK(whole.error_code == pieces.error_code);
  if (whole.finished) FUZZ_CHECK(whole.out == pieces.out);
  return 0;
}
