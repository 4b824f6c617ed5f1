#include "gateway/checksum_fields.h"

#include <charconv>

#include "base/hash.h"
#include "gateway/xml.h"
#include "store/multipart_checksums.h"
#include "store/s3_errors.h"

namespace fsgate::gateway {
namespace {

Status Invalid(std::string message) { return S3Error(s3err::kInvalidRequest, std::move(message)); }

}  // namespace

Result<ChecksumMode> ChecksumModeFromRequest(const http::HttpRequest& request) {
  const std::string* algorithm_header = request.Header("x-amz-checksum-algorithm");
  const std::string* type_header = request.Header("x-amz-checksum-type");
  ChecksumMode mode;
  if (algorithm_header == nullptr) {
    if (type_header != nullptr) {
      return Invalid(
          "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm "
          "header.");
    }
    return mode;
  }
  const auto algorithm = ChecksumAlgorithmFromName(*algorithm_header);
  if (!algorithm) {
    return Invalid(
        "Checksum algorithm provided is unsupported. Please try again with any of the valid "
        "types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]");
  }
  mode.algorithm = std::string(ChecksumAlgorithmName(*algorithm));
  const bool crc64 = *algorithm == HashAlgorithm::kCrc64Nvme;
  const bool sha = *algorithm == HashAlgorithm::kSha1 || *algorithm == HashAlgorithm::kSha256;
  if (type_header == nullptr) {
    mode.type = crc64 ? store::kChecksumFullObject : store::kChecksumComposite;
    return mode;
  }
  if (*type_header != store::kChecksumComposite && *type_header != store::kChecksumFullObject) {
    return Invalid("Value for x-amz-checksum-type header is invalid.");
  }
  mode.type = *type_header;
  if ((crc64 && mode.type == store::kChecksumComposite) ||
      (sha && mode.type == store::kChecksumFullObject)) {
    return Invalid("The " + mode.type + " checksum type cannot be used with the " +
                   LowerChecksumName(mode.algorithm) + " checksum algorithm.");
  }
  return mode;
}

Result<store::CompleteClaims> CompleteClaimsFromRequest(const http::HttpRequest& request) {
  constexpr std::string_view kPrefix = "x-amz-checksum-";
  store::CompleteClaims claims;
  for (const auto& [name, value] : request.headers) {
    if (!name.starts_with(kPrefix) || name == "x-amz-checksum-algorithm" ||
        name == "x-amz-checksum-mode") {
      continue;
    }
    if (name == "x-amz-checksum-type") {
      claims.checksum_type = value;
      continue;
    }
    auto algorithm = ChecksumAlgorithmFromName(std::string_view(name).substr(kPrefix.size()));
    if (!algorithm) return Invalid("Invalid checksum header " + name);
    claims.checksums.emplace_back(std::string(ChecksumAlgorithmName(*algorithm)), value);
  }
  if (const std::string* size = request.Header("x-amz-mp-object-size")) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(size->data(), size->data() + size->size(), n);
    if (size->empty() || ec != std::errc() || end != size->data() + size->size()) {
      return Invalid("Value for x-amz-mp-object-size header is invalid: '" + *size + "'");
    }
    claims.object_size = n;
  }
  return claims;
}

std::string ChecksumElementName(std::string_view algorithm) {
  return "Checksum" + std::string(algorithm);
}

void AppendChecksumElements(pugi::xml_node parent, const store::HeaderList& checksums) {
  for (const auto& [algorithm, value] : checksums) {
    AddText(parent, ChecksumElementName(algorithm).c_str(), value);
  }
}

}  // namespace fsgate::gateway
