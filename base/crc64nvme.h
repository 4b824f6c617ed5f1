// CRC-64/NVME (the S3 CRC64NVME checksum). The Debian ISA-L (2.30) predates
// crc64_rocksoft_refl, so this is a small slicing-by-8 table implementation
// of the same reflected polynomial; swap it for ISA-L once 2.31 is packaged.
#pragma once

#include <cstdint>
#include <string_view>

namespace fsgate {

// Chained like ISA-L's crc64 functions: pass the previous result as `crc`
// (0 to start); the pre/post inversions happen inside.
uint64_t Crc64Nvme(uint64_t crc, std::string_view data);

}  // namespace fsgate
