// AwsChunkedDecoder: the aws-chunked body encoding (Content-Encoding:
// aws-chunked), with per-chunk signatures (chained from the seed signature)
// and optional trailers (x-amz-checksum-*, x-amz-trailer-signature).
//
// Incremental: the gateway feeds whatever bytes arrived and gets back the
// decoded payload, so a 5 GiB upload never sits in memory.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/sigv4.h"

namespace fsgate::auth {

class AwsChunkedDecoder {
 public:
  AwsChunkedDecoder(PayloadMode mode, SigningContext signing);

  // Consumes `in`, appends decoded payload bytes to `out`. After an error the
  // decoder stays failed. Errors: "IncompleteBody", "InvalidChunkSizeError",
  // "SignatureDoesNotMatch", "InvalidRequest" (malformed framing).
  bool Feed(std::string_view in, std::string& out);
  // True once the final zero-length chunk and any trailers were read.
  bool done() const { return done_; }
  const std::string& error_code() const { return error_code_; }
  const std::string& error_message() const { return error_message_; }
  // Trailer headers (lower-case name, value), e.g. x-amz-checksum-crc32.
  const std::vector<std::pair<std::string, std::string>>& trailers() const { return trailers_; }

 private:
  bool Fail(std::string code, std::string message);
  bool ParseChunkHeader(std::string_view line);
  bool ParseTrailerLine(std::string_view line);
  bool CheckChunkSignature();
  bool CheckTrailerSignature();

  enum class State { kHeader, kData, kDataCrlf, kTrailer, kDone };
  PayloadMode mode_;
  SigningContext signing_;
  State state_ = State::kHeader;
  std::string line_;        // partial header/trailer line
  uint64_t remaining_ = 0;  // bytes left in the current chunk's data
  std::string chunk_signature_;
  std::string previous_signature_;
  std::string chunk_sha256_state_;  // opaque incremental hash state of the chunk's data
  std::string trailer_text_;
  bool done_ = false;
  std::string error_code_;
  std::string error_message_;
  std::vector<std::pair<std::string, std::string>> trailers_;
};

}  // namespace fsgate::auth
