#include "gateway/checksum_fields.h"

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

std::string ChecksumElementName(std::string_view algorithm) {
  return "Checksum" + std::string(algorithm);
}

void AppendChecksumElements(pugi::xml_node parent, const store::HeaderList& checksums) {
  for (const auto& [algorithm, value] : checksums) {
    AddText(parent, ChecksumElementName(algorithm).c_str(), value);
  }
}

}  // namespace fsgate::gateway
