#include "store/multipart_checksums.h"

#include "base/crc_combine.h"
#include "base/hash.h"
#include "store/s3_errors.h"

namespace fsgate::store {
namespace {

const std::string* FindChecksum(const HeaderList& checksums, const std::string& algorithm) {
  for (const auto& [name, value] : checksums) {
    if (name == algorithm) return &value;
  }
  return nullptr;
}

}  // namespace

Status InvalidPart() {
  return S3Error(s3err::kInvalidPart,
                 "One or more of the specified parts could not be found. The part may not "
                 "have been uploaded, or the specified entity tag may not match the part's "
                 "entity tag.");
}

PartChecksums::PartChecksums(std::string algorithm, std::string type)
    : algorithm_(std::move(algorithm)), type_(std::move(type)) {}

Status PartChecksums::Add(const CompletedPart& part, size_t index, const ObjectMeta& stored) {
  if (algorithm_.empty()) return Status::Ok();
  if (part.number != static_cast<int>(index) + 1) {
    return S3Error(s3err::kInvalidPartOrder,
                   "The list of parts was not in ascending order. With an additional checksum, "
                   "part numbers must start at 1 and be consecutive.");
  }
  const std::string* listed = FindChecksum(part.checksums, algorithm_);
  if (listed == nullptr && type_ == kChecksumComposite) {
    return S3Error(s3err::kInvalidRequest,
                   "The upload was created using a " + LowerChecksumName(algorithm_) +
                       " checksum. The complete request must include the checksum for each "
                       "part. It was missing for part " +
                       std::to_string(part.number) + " in the request.");
  }
  const std::string* own = FindChecksum(stored.checksums, algorithm_);
  if (own == nullptr || (listed != nullptr && *listed != *own)) return InvalidPart();
  parts_.push_back(*own);
  return Status::Ok();
}

Status PartChecksums::Finish(const std::vector<uint64_t>& sizes, ObjectMeta& meta) const {
  meta.checksums.clear();  // an upload's own headers never describe the object
  meta.part_checksums.clear();
  if (algorithm_.empty()) {
    meta.checksum_type.clear();
    return Status::Ok();
  }
  const auto algorithm = ChecksumAlgorithmFromName(algorithm_);
  if (!algorithm) return S3Error(s3err::kInternalError, "unknown checksum " + algorithm_);
  std::string value;
  if (type_ == kChecksumFullObject) {
    std::string crc;
    for (size_t i = 0; i < parts_.size(); ++i) {
      auto raw = Base64Decode(parts_[i]);
      if (!raw) return InvalidPart();
      auto combined = i == 0 ? raw : CombineCrcDigests(*algorithm, crc, *raw, sizes[i]);
      if (!combined) return InvalidPart();
      crc = std::move(*combined);
    }
    value = Base64Encode(crc);
  } else {
    std::string concatenated;
    for (const std::string& part : parts_) {
      auto raw = Base64Decode(part);
      if (!raw) return InvalidPart();
      concatenated += *raw;
    }
    value = Base64Encode(Digest(*algorithm, concatenated)) + "-" + std::to_string(parts_.size());
  }
  meta.checksums = {{algorithm_, std::move(value)}};
  meta.checksum_type = type_;
  meta.part_checksums = parts_;
  return Status::Ok();
}

Status PartChecksums::CheckClaims(const CompleteClaims& claims, const std::vector<uint64_t>& sizes,
                                  const ObjectMeta& meta) const {
  if (claims.object_size) {
    uint64_t total = 0;
    for (uint64_t size : sizes) total += size;
    if (*claims.object_size != total) {
      return S3Error(s3err::kInvalidRequest,
                     "The provided 'x-amz-mp-object-size' header value " +
                         std::to_string(*claims.object_size) +
                         " does not match what was computed: " + std::to_string(total));
    }
  }
  if (algorithm_.empty()) return Status::Ok();  // nothing to hold the claims against
  if (!claims.checksum_type.empty() && claims.checksum_type != type_) {
    return S3Error(s3err::kInvalidRequest, "The upload was created using the " + type_ +
                                               " checksum mode. The complete request must use "
                                               "the same checksum mode.");
  }
  for (const auto& [algorithm, value] : claims.checksums) {
    if (algorithm != algorithm_) {
      return S3Error(s3err::kInvalidRequest,
                     "Checksum Type mismatch occurred, expected checksum Type: " +
                         LowerChecksumName(algorithm_) +
                         ", actual checksum Type: " + LowerChecksumName(algorithm));
    }
    if (meta.checksums.empty() || value != meta.checksums[0].second) {
      return S3Error(s3err::kBadDigest, "The " + algorithm_ +
                                            " you specified did not match the calculated "
                                            "checksum.");
    }
  }
  return Status::Ok();
}

}  // namespace fsgate::store
