#include "gateway/payload_reader.h"
#include "store/s3_errors.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>

namespace fsgate::gateway {
namespace {

constexpr std::string_view kChecksumPrefix = "x-amz-checksum-";

bool IsStreaming(auth::PayloadMode mode) {
  return mode == auth::PayloadMode::kStreamingSigned ||
         mode == auth::PayloadMode::kStreamingUnsignedTrailer ||
         mode == auth::PayloadMode::kStreamingSignedTrailer;
}

Status PayloadError(std::string_view code, std::string message) {
  return S3Error(code, std::move(message));
}

Status EntityTooLarge() {
  return PayloadError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size");
}

// A checksum value is the base64 of exactly one digest of its algorithm;
// anything else is refused up front rather than reported as a mismatch.
bool IsChecksumValue(HashAlgorithm algorithm, std::string_view base64) {
  auto raw = Base64Decode(base64);
  return raw && raw->size() == Hasher(algorithm).Finish().size();
}

// The connection failing under the body is the client's doing (it went away,
// or stalled past the read timeout): an S3 client error, never InternalError.
Status BodyReadError(const Status& s) {
  if (s.err() == ETIMEDOUT) {
    return PayloadError("RequestTimeout",
                        "Your socket connection to the server was not read from or written to "
                        "within the timeout period.");
  }
  if (s.err() != 0) {
    return PayloadError(
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header.");
  }
  return s;
}

}  // namespace

PayloadReader::PayloadReader(const http::HttpRequest& request, http::BodyReader& body,
                             uint64_t max_object_size)
    : request_(request),
      body_(body),
      mode_(auth::PayloadMode::kUnsigned),
      max_object_size_(max_object_size) {}

PayloadReader::PayloadReader(const http::HttpRequest& request, http::BodyReader& body,
                             const auth::AuthResult& auth, uint64_t max_object_size)
    : PayloadReader(request, body, max_object_size) {
  Protect(auth);
}

void PayloadReader::Protect(const auth::AuthResult& auth) {
  mode_ = auth.payload;
  if (mode_ == auth::PayloadMode::kSha256) {
    expected_sha256_ = auth.payload_sha256;
    sha256_.emplace(HashAlgorithm::kSha256);
  }
  if (IsStreaming(mode_)) {
    decoder_ = std::make_unique<auth::AwsChunkedDecoder>(mode_, auth.signing);
  }
}

std::string PayloadReader::Validate(std::string* message) {
  if (decoder_) {
    const std::string* decoded = request_.Header("x-amz-decoded-content-length");
    if (decoded != nullptr) {
      // Digits only: std::stoull would take "-100" as 2^64-100.
      uint64_t length = 0;
      auto [end, ec] = std::from_chars(decoded->data(), decoded->data() + decoded->size(), length);
      if (decoded->empty() || ec != std::errc() || end != decoded->data() + decoded->size()) {
        *message = "Invalid x-amz-decoded-content-length";
        return "InvalidArgument";
      }
      declared_length_ = length;
    } else if (mode_ == auth::PayloadMode::kStreamingSigned) {
      *message = "You must provide the Content-Length HTTP header.";
      return "MissingContentLength";
    }
  } else {
    declared_length_ = request_.content_length;
  }

  // The additional checksum: a value in a header, or announced in x-amz-trailer.
  for (const auto& [name, value] : request_.headers) {
    if (checksum_headers_describe_object_) break;
    if (name.starts_with(kChecksumPrefix) && name != "x-amz-checksum-type" &&
        name != "x-amz-checksum-algorithm" && name != "x-amz-checksum-mode") {
      auto algorithm = ChecksumAlgorithmFromName(name.substr(kChecksumPrefix.size()));
      if (!algorithm) {
        *message = "Invalid checksum header " + name;
        return "InvalidRequest";
      }
      if (checksum_algorithm_) {
        *message =
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.";
        return "InvalidRequest";
      }
      if (!IsChecksumValue(*algorithm, value)) {
        *message = "Value for " + name + " header is invalid.";
        return "InvalidRequest";
      }
      checksum_algorithm_ = algorithm;
      checksum_header_ = name;
      checksum_expected_ = value;
    }
  }
  if (const std::string* trailer = request_.Header("x-amz-trailer")) {
    if (!trailer->starts_with(kChecksumPrefix)) {
      *message = "The value specified in the x-amz-trailer header is not supported";
      return "InvalidRequest";
    }
    auto algorithm = ChecksumAlgorithmFromName(trailer->substr(kChecksumPrefix.size()));
    if (!algorithm || checksum_algorithm_) {
      *message = "The value specified in the x-amz-trailer header is not supported";
      return "InvalidRequest";
    }
    checksum_algorithm_ = algorithm;
    checksum_header_ = *trailer;
  } else if (!checksum_algorithm_) {
    if (const std::string* sdk = request_.Header("x-amz-sdk-checksum-algorithm")) {
      auto algorithm = ChecksumAlgorithmFromName(*sdk);
      if (!algorithm) {
        *message =
            "Checksum algorithm provided is unsupported. Please try again with any of the "
            "valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]";
        return "InvalidRequest";
      }
      checksum_algorithm_ = algorithm;
    }
  }
  if (checksum_algorithm_) checksum_hasher_.emplace(*checksum_algorithm_);
  return {};
}

Status PayloadReader::ExpectChecksum(HashAlgorithm algorithm) {
  if (checksum_algorithm_ && *checksum_algorithm_ != algorithm) {
    return PayloadError("InvalidRequest",
                        "Checksum Type mismatch occurred, expected checksum Type: " +
                            LowerChecksumName(ChecksumAlgorithmName(algorithm)) +
                            ", actual checksum Type: " +
                            LowerChecksumName(ChecksumAlgorithmName(*checksum_algorithm_)));
  }
  if (!checksum_algorithm_) {
    checksum_algorithm_ = algorithm;
    checksum_hasher_.emplace(algorithm);
  }
  return Status::Ok();
}

Result<size_t> PayloadReader::ReadDecoded(std::span<char> buf) {
  if (!decoder_) {
    if (raw_eof_) return size_t{0};
    auto n = body_.Read(buf);
    if (!n.ok()) return BodyReadError(n.status());
    if (*n == 0) raw_eof_ = true;
    return n;
  }
  std::array<char, 64 * 1024> raw;
  while (decoded_pos_ == decoded_.size()) {
    decoded_.clear();
    decoded_pos_ = 0;
    // The end is the end of the raw body too: bytes after the final chunk
    // fail the decoder whether they came in its read or in a later one.
    if (decoder_->done() && raw_eof_) return size_t{0};
    if (raw_eof_)
      return PayloadError("IncompleteBody", "The request body ended before its last chunk.");
    auto n = body_.Read(raw);
    if (!n.ok()) return BodyReadError(n.status());
    if (*n == 0) {
      raw_eof_ = true;
      continue;
    }
    if (!decoder_->Feed(std::string_view(raw.data(), *n), decoded_)) {
      return PayloadError(decoder_->error_code(), decoder_->error_message());
    }
  }
  size_t n = std::min(buf.size(), decoded_.size() - decoded_pos_);
  std::copy_n(decoded_.data() + decoded_pos_, n, buf.data());
  decoded_pos_ += n;
  return n;
}

Result<size_t> PayloadReader::Read(std::span<char> buf) {
  if (finished_) return size_t{0};
  auto n = ReadDecoded(buf);
  if (!n.ok()) return n;
  if (*n == 0) {
    if (Status s = Finish(); !s.ok()) return s;
    return size_t{0};
  }
  std::string_view data(buf.data(), *n);
  if (sha256_) sha256_->Update(data);
  if (checksum_hasher_) checksum_hasher_->Update(data);
  bytes_read_ += *n;
  if (declared_length_ && bytes_read_ > *declared_length_) {
    return PayloadError("IncompleteBody", "The request body is longer than its declared length.");
  }
  if (size_limit_ && bytes_read_ > *size_limit_) return EntityTooLarge();
  return n;
}

Status PayloadReader::LimitToObjectSize() {
  if (declared_length_ && *declared_length_ > max_object_size_) return EntityTooLarge();
  size_limit_ = max_object_size_;
  return Status::Ok();
}

Status PayloadReader::Finish() {
  finished_ = true;
  if (declared_length_ && bytes_read_ != *declared_length_) {
    return PayloadError(
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header.");
  }
  if (sha256_) {
    std::string actual = HexEncode(sha256_->Finish());
    if (!ConstantTimeEqual(actual, expected_sha256_)) {
      return PayloadError("XAmzContentSHA256Mismatch",
                          "The provided 'x-amz-content-sha256' header does not match what was "
                          "computed.");
    }
  }
  if (checksum_hasher_) {
    std::string name(ChecksumAlgorithmName(*checksum_algorithm_));
    std::string actual = Base64Encode(checksum_hasher_->Finish());
    if (decoder_ && request_.Header("x-amz-trailer") != nullptr) {
      for (const auto& [trailer_name, value] : decoder_->trailers()) {
        if (trailer_name == checksum_header_) checksum_expected_ = value;
      }
      if (checksum_expected_.empty()) {
        return PayloadError("InvalidRequest", "The trailer " + checksum_header_ + " is missing.");
      }
      if (!IsChecksumValue(*checksum_algorithm_, checksum_expected_)) {
        return PayloadError("InvalidRequest",
                            "Value for " + checksum_header_ + " trailing header is invalid.");
      }
    }
    if (!checksum_expected_.empty() && checksum_expected_ != actual) {
      return PayloadError("BadDigest",
                          "The " + name + " you specified did not match the calculated checksum.");
    }
    checksum_ = std::make_pair(name, actual);
  }
  return Status::Ok();
}

Result<std::string> PayloadReader::ReadAll(size_t limit) {
  std::string out;
  std::array<char, 16384> buf;
  for (;;) {
    auto n = Read(buf);
    if (!n.ok()) return n.status();
    if (*n == 0) return out;
    if (out.size() + *n > limit) {
      return PayloadError("MalformedXML", "The request body is too large.");
    }
    out.append(buf.data(), *n);
  }
}

}  // namespace fsgate::gateway
