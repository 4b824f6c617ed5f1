// AwsChunkedDecoder: the aws-chunked body encoding (Content-Encoding:
// aws-chunked), with per-chunk signatures (chained from the seed signature)
// and optional trailers (x-amz-checksum-*, x-amz-trailer-signature).
//
// Incremental: the gateway feeds whatever bytes arrived and gets back the
// decoded payload, so a 5 GiB upload never sits in memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/sigv4.h"
#include "base/hash.h"

namespace fsgate::auth {

class AwsChunkedDecoder {
 public:
  AwsChunkedDecoder(PayloadMode mode, SigningContext signing);

  // Consumes `in`, appends decoded payload bytes to `out`. After an error the
  // decoder stays failed. Errors: "IncompleteBody", "InvalidChunkSizeError",
  // "SignatureDoesNotMatch", "InvalidRequest" (malformed framing).
  //
  // Payload bytes are handed out as they arrive, before their chunk's
  // signature can be checked: the caller must treat the body as unverified
  // (staged, not published) until done() — a bad chunk fails a later Feed.
  bool Feed(std::string_view in, std::string& out);
  // Call at the end of the body: fails with IncompleteBody unless done().
  bool Finish();
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
  bool EndOfChunk();
  bool CheckChunkSignature();
  bool CheckTrailerSignature();
  bool signed_chunks() const;
  bool has_trailer() const;

  enum class State { kHeader, kData, kDataCr, kDataLf, kTrailer, kDone, kFailed };
  PayloadMode mode_;
  SigningContext signing_;
  State state_ = State::kHeader;
  std::string line_;        // partial chunk-header or trailer line, bounded
  uint64_t remaining_ = 0;  // bytes left in the current chunk's data
  bool last_chunk_ = false;
  std::string chunk_signature_;     // claimed signature of the current chunk
  std::string previous_signature_;  // chain: the seed, then each chunk's
  Hasher chunk_sha256_{HashAlgorithm::kSha256};
  std::string trailer_text_;       // canonical trailers, "name:value\n" each
  std::string trailer_signature_;  // claimed x-amz-trailer-signature
  size_t trailer_bytes_ = 0;
  bool done_ = false;
  std::string error_code_;
  std::string error_message_;
  std::vector<std::pair<std::string, std::string>> trailers_;
};

}  // namespace fsgate::auth
