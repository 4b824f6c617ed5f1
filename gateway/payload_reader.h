// PayloadReader: the request body as the S3 payload — aws-chunked framing
// removed and its chunk signatures checked, x-amz-content-sha256 verified at
// the end, and the additional checksum (x-amz-checksum-*, in a header or a
// trailer) computed as the bytes stream.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>

#include "auth/aws_chunked.h"
#include "auth/sigv4.h"
#include "base/hash.h"
#include "http/http_message.h"

namespace fsgate::gateway {

class PayloadReader {
 public:
  // `max_object_size`: the limit LimitToObjectSize() applies.
  PayloadReader(const http::HttpRequest& request, http::BodyReader& body, uint64_t max_object_size);
  PayloadReader(const http::HttpRequest& request, http::BodyReader& body,
                const auth::AuthResult& auth, uint64_t max_object_size);

  // How the body is protected, from the authenticated request (unsigned
  // until called): the payload hash to check, or the aws-chunked signatures.
  void Protect(const auth::AuthResult& auth);

  // Before Validate(): the request's x-amz-checksum-* headers describe the
  // object it makes (CompleteMultipartUpload), not its payload.
  void ChecksumHeadersDescribeObject() { checksum_headers_describe_object_ = true; }

  // Checks the request's payload headers before any byte is read (declared
  // checksum algorithm, decoded length); an S3 error code, or empty.
  std::string Validate(std::string* message);

  // For a payload that becomes an object or a part, after Validate():
  // EntityTooLarge when the declared length is over max_object_size(), before
  // a byte is read; otherwise Read() fails with EntityTooLarge as soon as the
  // payload passes it, whatever its framing (chunked, aws-chunked without a
  // decoded length), so nothing over the limit is ever stored.
  [[nodiscard]] Status LimitToObjectSize();
  uint64_t max_object_size() const { return max_object_size_; }

  // After Validate(), before any byte is read: the payload must carry (or
  // gets computed) an additional checksum of `algorithm`, as a part of an
  // upload created with one. InvalidRequest when it declares another.
  [[nodiscard]] Status ExpectChecksum(HashAlgorithm algorithm);

  // Reads decoded payload bytes; 0 at the end. On failure the Status carries
  // the S3 error (XAmzContentSHA256Mismatch, SignatureDoesNotMatch,
  // IncompleteBody, BadDigest for a wrong checksum, ...).
  Result<size_t> Read(std::span<char> buf);

  // Payload length the client declared (decoded length for aws-chunked), if any.
  std::optional<uint64_t> declared_length() const { return declared_length_; }
  uint64_t bytes_read() const { return bytes_read_; }
  // After the end: the additional checksum (algorithm name upper case, base64
  // value), verified against the client's value when it sent one.
  std::optional<std::pair<std::string, std::string>> checksum() const { return checksum_; }
  // After Validate(): the client sent an x-amz-checksum-* value, in a header
  // or announced as a trailer, that the payload will be checked against.
  bool checksum_declared() const { return !checksum_header_.empty(); }

  // Reads the whole (small) payload, up to `limit` bytes.
  Result<std::string> ReadAll(size_t limit);

 private:
  Status Finish();
  Result<size_t> ReadDecoded(std::span<char> buf);

  const http::HttpRequest& request_;
  http::BodyReader& body_;
  auth::PayloadMode mode_;
  std::string expected_sha256_;
  std::optional<Hasher> sha256_;
  std::unique_ptr<auth::AwsChunkedDecoder> decoder_;
  std::string decoded_;  // decoded bytes not yet returned
  size_t decoded_pos_ = 0;
  bool raw_eof_ = false;
  bool finished_ = false;
  std::optional<uint64_t> declared_length_;
  uint64_t max_object_size_;
  std::optional<uint64_t> size_limit_;  // set by LimitToObjectSize()
  uint64_t bytes_read_ = 0;
  std::optional<HashAlgorithm> checksum_algorithm_;
  std::string checksum_header_;    // "x-amz-checksum-crc32"
  std::string checksum_expected_;  // base64 from the header, or from the trailer at the end
  std::optional<Hasher> checksum_hasher_;
  std::optional<std::pair<std::string, std::string>> checksum_;
  bool checksum_headers_describe_object_ = false;
};

}  // namespace fsgate::gateway
