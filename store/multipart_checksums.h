// The additional checksum of a multipart upload created with one
// (x-amz-checksum-algorithm): at completion, each part's checksum as it was
// verified on upload is checked against the one the client lists, and the
// object's checksum is made from them —
//   COMPOSITE    the algorithm over the concatenated raw part checksums,
//                shown "<base64>-<parts>" (not a checksum of the bytes);
//   FULL_OBJECT  the CRC of the whole object, combined from the part CRCs
//                and sizes (base/crc_combine.h), no second read of the data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/object_store.h"

namespace fsgate::store {

inline constexpr std::string_view kChecksumComposite = "COMPOSITE";
inline constexpr std::string_view kChecksumFullObject = "FULL_OBJECT";

// The InvalidPart of a completion: a part missing, or its ETag or checksum not the listed one.
Status InvalidPart();

class PartChecksums {
 public:
  // `algorithm` empty: the upload has none, and everything here is a no-op.
  PartChecksums(std::string algorithm, std::string type);

  // Part `index` (0-based) of the completion as the client lists it, and the
  // metadata stored with it. As AWS: with an algorithm, part numbers run 1, 2,
  // 3, ... (InvalidPartOrder); a listed checksum that differs is InvalidPart;
  // a COMPOSITE upload needs every part's (InvalidRequest).
  Status Add(const CompletedPart& part, size_t index, const ObjectMeta& stored);

  // The object's checksums, type and part checksums into `meta` (the parts'
  // sizes in order); without an algorithm, `meta` keeps none.
  Status Finish(const std::vector<uint64_t>& sizes, ObjectMeta& meta) const;

  // What the completion request claims of the object, against `meta` as
  // Finish made it: the size (InvalidRequest), the checksum type
  // (InvalidRequest), the checksum (BadDigest; another algorithm's,
  // InvalidRequest).
  Status CheckClaims(const CompleteClaims& claims, const std::vector<uint64_t>& sizes,
                     const ObjectMeta& meta) const;

 private:
  std::string algorithm_;
  std::string type_;
  std::vector<std::string> parts_;  // base64, in order
};

}  // namespace fsgate::store
