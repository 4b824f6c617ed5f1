#include "auth/aws_chunked.h"

#include <algorithm>

namespace fsgate::auth {
namespace {

// Bounds that keep a hostile client from growing memory: a chunk header is
// "<16 hex>;chunk-signature=<64 hex>" (under 100 bytes); trailers are a few
// checksum headers and a signature.
constexpr size_t kMaxLine = 4096;
constexpr size_t kMaxTrailerBytes = 16 * 1024;
constexpr size_t kMaxTrailers = 32;
constexpr std::string_view kSignatureExtension = "chunk-signature=";
constexpr std::string_view kTrailerSignature = "x-amz-trailer-signature";

constexpr std::string_view kMismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "key and signing method.";

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSignature(std::string_view text) {
  return text.size() == 64 &&
         std::all_of(text.begin(), text.end(), [](char c) { return HexDigit(c) >= 0; });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string Sha256Hex(std::string_view data) {
  return HexEncode(Digest(HashAlgorithm::kSha256, data));
}

}  // namespace

AwsChunkedDecoder::AwsChunkedDecoder(PayloadMode mode, SigningContext signing)
    : mode_(mode), signing_(std::move(signing)), previous_signature_(signing_.seed_signature) {}

bool AwsChunkedDecoder::signed_chunks() const {
  return mode_ == PayloadMode::kStreamingSigned || mode_ == PayloadMode::kStreamingSignedTrailer;
}

bool AwsChunkedDecoder::has_trailer() const {
  return mode_ == PayloadMode::kStreamingUnsignedTrailer ||
         mode_ == PayloadMode::kStreamingSignedTrailer;
}

bool AwsChunkedDecoder::Fail(std::string code, std::string message) {
  state_ = State::kFailed;
  error_code_ = std::move(code);
  error_message_ = std::move(message);
  return false;
}

bool AwsChunkedDecoder::Feed(std::string_view in, std::string& out) {
  if (state_ == State::kFailed) return false;
  while (!in.empty()) {
    switch (state_) {
      case State::kHeader:
      case State::kTrailer: {
        const size_t newline = in.find('\n');
        const size_t take = newline == std::string_view::npos ? in.size() : newline + 1;
        if (line_.size() + take > kMaxLine) {
          return Fail("InvalidRequest", "aws-chunked: line too long");
        }
        line_.append(in.substr(0, take));
        in.remove_prefix(take);
        if (newline == std::string_view::npos) break;
        if (line_.size() < 2 || line_[line_.size() - 2] != '\r') {
          return Fail("InvalidRequest", "aws-chunked: line not terminated by CRLF");
        }
        const std::string line = line_.substr(0, line_.size() - 2);
        line_.clear();
        if (!(state_ == State::kHeader ? ParseChunkHeader(line) : ParseTrailerLine(line))) {
          return false;
        }
        break;
      }
      case State::kData: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size()));
        out.append(in.substr(0, n));
        if (signed_chunks()) chunk_sha256_.Update(in.substr(0, n));
        in.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kDataCr;
        break;
      }
      case State::kDataCr:
      case State::kDataLf: {
        const char expected = state_ == State::kDataCr ? '\r' : '\n';
        if (in.front() != expected) {
          return Fail("InvalidRequest", "aws-chunked: chunk data longer than its declared size");
        }
        in.remove_prefix(1);
        if (state_ == State::kDataCr) {
          state_ = State::kDataLf;
        } else if (!EndOfChunk()) {
          return false;
        }
        break;
      }
      case State::kDone:
        return Fail("InvalidRequest", "aws-chunked: data after the final chunk");
      case State::kFailed:
        return false;
    }
  }
  return true;
}

bool AwsChunkedDecoder::Finish() {
  if (state_ == State::kFailed) return false;
  if (!done_) {
    return Fail("IncompleteBody",
                "You did not provide the number of bytes specified by the Content-Length HTTP "
                "header");
  }
  return true;
}

// "<hex-size>[;chunk-signature=<sig>]"
bool AwsChunkedDecoder::ParseChunkHeader(std::string_view line) {
  const size_t semicolon = line.find(';');
  const std::string_view size_text = line.substr(0, semicolon);
  const std::string_view extension =
      semicolon == std::string_view::npos ? std::string_view{} : line.substr(semicolon + 1);
  if (size_text.empty() ||
      !std::all_of(size_text.begin(), size_text.end(), [](char c) { return HexDigit(c) >= 0; })) {
    return Fail("InvalidRequest", "aws-chunked: malformed chunk size");
  }
  if (size_text.size() > 15) return Fail("InvalidChunkSizeError", "aws-chunked: chunk too large");
  uint64_t size = 0;
  for (char c : size_text) size = size << 4 | static_cast<uint64_t>(HexDigit(c));

  if (signed_chunks()) {
    if (!extension.starts_with(kSignatureExtension) ||
        !IsSignature(extension.substr(kSignatureExtension.size()))) {
      return Fail("InvalidRequest", "aws-chunked: missing or malformed chunk-signature");
    }
    chunk_signature_ = extension.substr(kSignatureExtension.size());
  }
  remaining_ = size;
  last_chunk_ = size == 0;
  if (!last_chunk_) {
    state_ = State::kData;
    return true;
  }
  // The final chunk: with trailers, they follow at once; without, a CRLF.
  if (has_trailer()) {
    if (signed_chunks() && !CheckChunkSignature()) return false;
    state_ = State::kTrailer;
  } else {
    state_ = State::kDataCr;
  }
  return true;
}

bool AwsChunkedDecoder::EndOfChunk() {
  if (signed_chunks() && !CheckChunkSignature()) return false;
  if (last_chunk_) {
    done_ = true;
    state_ = State::kDone;
  } else {
    state_ = State::kHeader;
  }
  return true;
}

// "name:value", or the empty line that ends the body.
bool AwsChunkedDecoder::ParseTrailerLine(std::string_view line) {
  if (line.empty()) {
    if (mode_ == PayloadMode::kStreamingSignedTrailer && !CheckTrailerSignature()) return false;
    done_ = true;
    state_ = State::kDone;
    return true;
  }
  if (!trailer_signature_.empty()) {
    return Fail("InvalidRequest", "aws-chunked: trailer after x-amz-trailer-signature");
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Fail("InvalidRequest", "aws-chunked: malformed trailer");
  }
  std::string name(Trim(line.substr(0, colon)));
  std::transform(name.begin(), name.end(), name.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  const std::string_view value = Trim(line.substr(colon + 1));
  if (mode_ == PayloadMode::kStreamingSignedTrailer && name == kTrailerSignature) {
    if (!IsSignature(value)) {
      return Fail("InvalidRequest", "aws-chunked: malformed x-amz-trailer-signature");
    }
    trailer_signature_ = value;
    return true;
  }
  trailer_bytes_ += line.size();
  if (trailers_.size() >= kMaxTrailers || trailer_bytes_ > kMaxTrailerBytes) {
    return Fail("InvalidRequest", "aws-chunked: too many trailers");
  }
  trailer_text_.append(name).append(":").append(value).append("\n");
  trailers_.emplace_back(std::move(name), std::string(value));
  return true;
}

// Each chunk signs its data and chains from the previous signature, so chunks
// can be neither altered, reordered nor dropped.
bool AwsChunkedDecoder::CheckChunkSignature() {
  static const std::string kEmptySha256 = Sha256Hex("");
  const std::string string_to_sign = "AWS4-HMAC-SHA256-PAYLOAD\n" + signing_.amz_date + "\n" +
                                     signing_.scope + "\n" + previous_signature_ + "\n" +
                                     kEmptySha256 + "\n" + HexEncode(chunk_sha256_.Finish());
  const std::string expected = HexEncode(HmacSha256(signing_.signing_key, string_to_sign));
  if (!ConstantTimeEqual(expected, chunk_signature_)) {
    return Fail("SignatureDoesNotMatch", std::string(kMismatch));
  }
  previous_signature_ = expected;
  return true;
}

bool AwsChunkedDecoder::CheckTrailerSignature() {
  if (trailer_signature_.empty()) {
    return Fail("InvalidRequest", "aws-chunked: missing x-amz-trailer-signature");
  }
  const std::string string_to_sign = "AWS4-HMAC-SHA256-TRAILER\n" + signing_.amz_date + "\n" +
                                     signing_.scope + "\n" + previous_signature_ + "\n" +
                                     Sha256Hex(trailer_text_);
  const std::string expected = HexEncode(HmacSha256(signing_.signing_key, string_to_sign));
  if (!ConstantTimeEqual(expected, trailer_signature_)) {
    return Fail("SignatureDoesNotMatch", std::string(kMismatch));
  }
  return true;
}

}  // namespace fsgate::auth
