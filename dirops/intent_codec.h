// The on-disk format of the intent journal.
//
//   segment  := header record*
//   header   := "FSGJRNL\0" u32 version  u32 0  u64 first_seq  u32 crc32c(previous 24 bytes)  u32 0
//   record   := u32 payload_length  u32 crc32c(payload, seed)  payload
//   seed     := crc32c(u64 first_seq of the segment)
//
// Integers are little-endian. Segments are pre-written and recycled, so after
// the last record come zeros, a torn append, or records of the file's earlier
// life; none of them passes the CRC under this segment's seed, and decoding
// stops there. A torn append was never answered.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "dirops/intent.h"

namespace fsgate::dirops {

// Bump when the record layout changes; an older binary refuses a newer journal.
// Format 3 added the optional part sizes at the end of a record; records
// without them are those of format 2, which this binary still reads. Format 4
// added the object's tags, checksum type and part checksums after the part
// sizes (then always written, maybe none); records without them read as before.
inline constexpr uint32_t kJournalFormatVersion = 4;
inline constexpr size_t kSegmentHeaderSize = 32;
inline constexpr size_t kRecordHeaderSize = 8;
// Larger lengths can only come from garbage: inline bodies are <= kInlineObjectMax.
inline constexpr uint32_t kMaxRecordPayload = 16 * 1024 * 1024;

struct SegmentHeader {
  uint32_t version = kJournalFormatVersion;
  uint64_t first_seq = 0;
  // The seed of the segment's record CRCs (format 1, never recycled, had none).
  uint32_t record_seed() const;
};

// The seed of the record CRCs of a current-format segment starting at `first_seq`.
uint32_t RecordSeed(uint64_t first_seq);

std::string EncodeSegmentHeader(uint64_t first_seq);
// A clear error for a foreign file or a newer format.
Result<SegmentHeader> DecodeSegmentHeader(std::string_view data);

// Appends the framed record of `intent` to `out`, its CRC not yet stamped: the
// segment it lands in is known only when its batch is written.
void AppendIntentRecord(const Intent& intent, std::string* out);
// Stamps the CRC of every record in `records` with the segment's `seed`.
void SealRecords(std::string* records, uint32_t seed);

// Decodes the record at the start of `data`, in a segment whose record seed is
// `seed`; sets `consumed` to its framed size. nullopt when the record is
// incomplete, corrupt, or not of this segment (the end of its records).
std::optional<Intent> DecodeIntentRecord(std::string_view data, uint32_t seed, size_t* consumed);

}  // namespace fsgate::dirops
