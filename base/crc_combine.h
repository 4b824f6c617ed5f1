// CRC combination: the CRC of A||B from crc(A), crc(B) and B's length alone,
// for the reflected CRCs S3 uses (CRC32, CRC32C, CRC64NVME). A FULL_OBJECT
// multipart checksum is the CRC of the whole object; combining the parts'
// CRCs gives it without reading the object again (10,000 parts of up to
// 5 GiB), in O(log len) polynomial products per part (zlib's crc32_combine,
// generalized to any width and polynomial).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/hash.h"

namespace fsgate {

// True for the algorithms whose checksums combine (the CRCs).
bool IsCombinableCrc(HashAlgorithm algorithm);

// crc(A||B) from crc1 = crc(A), crc2 = crc(B) and len2 = |B| in bytes, as the
// final values Hasher gives (pre- and post-inverted).
uint64_t CombineCrc(HashAlgorithm algorithm, uint64_t crc1, uint64_t crc2, uint64_t len2);

// The same over raw digests as Hasher::Finish returns them (big-endian);
// nullopt when a digest has the wrong size or the algorithm is no CRC.
std::optional<std::string> CombineCrcDigests(HashAlgorithm algorithm, std::string_view digest1,
                                             std::string_view digest2, uint64_t len2);

}  // namespace fsgate
