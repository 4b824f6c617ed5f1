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
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "dirops/intent.h"

namespace fsgate::dirops {

// Bump when the record layout changes; an older binary refuses a newer journal.
//
//   format 6 payload := u8 op  u64 seq  string path  u8 kind (node.h)
//                       string staging_path  u64 staging_ino  u8 delegated
//                       u64 target_ino  i64 mtime_ns  string attrs
//                       string displace_to  string marker  string drop
//                       u8 has_inline  [string inline_body]
//   string := u32 length, bytes
//
// Format 5 is format 6 without marker and drop (an unlink that keeps nothing,
// a create that supersedes nothing else); format 4 is format 5 without
// displace_to (a create that moves nothing away). Their records are still
// decoded here. Format 6 is a bump, not an added optional field: a format-5
// binary would take an unlink that displaces its file for a plain unlink and
// lose that file.
// Formats 1-3 named an S3 bucket and key and spelt out the object's metadata
// fields; their records are decoded by the caller's LegacyRecordDecoder (the
// store's, which maps them to a node and an attribute blob), so the engine
// carries no S3 layout and still replays a journal an older fsgate left.
inline constexpr uint32_t kJournalFormatVersion = 6;
// The first format whose records name nodes, decoded by this codec.
inline constexpr uint32_t kNodeRecordFormat = 4;
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

// The payload of a record of format `version` < kNodeRecordFormat as an
// intent; nullopt when it does not parse (record_fields.h reads its fields).
using LegacyRecordDecoder =
    std::function<std::optional<Intent>(uint32_t version, std::string_view payload)>;

inline bool ValidIntentOp(uint8_t op) {
  return op >= static_cast<uint8_t>(IntentOp::kCreate) &&
         op <= static_cast<uint8_t>(IntentOp::kCheckpoint);
}

// Decodes the record at the start of `data`, in a segment of format `version`
// whose record seed is `seed`; sets `consumed` to its framed size. nullopt
// when the record is incomplete, corrupt, or not of this segment (the end of
// its records); an older format's payload goes to `legacy`.
std::optional<Intent> DecodeIntentRecord(std::string_view data, uint32_t seed, size_t* consumed,
                                         uint32_t version = kJournalFormatVersion,
                                         const LegacyRecordDecoder& legacy = {});
// A payload of format `version` >= kNodeRecordFormat (the framing stripped).
std::optional<Intent> DecodeIntentPayload(std::string_view payload,
                                          uint32_t version = kJournalFormatVersion);

}  // namespace fsgate::dirops
