// The on-disk format of the intent journal.
//
//   segment  := header record*
//   header   := "FSGJRNL\0" u32 version  u32 0  u64 first_seq  u32 crc32c(previous 24 bytes)  u32 0
//   record   := u32 payload_length  u32 crc32c(payload)  payload
//
// Integers are little-endian. A record whose length or CRC does not match is a
// torn tail: the append it belongs to never finished, so it was never answered.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fsclient/intent.h"
#include "fsclient/status.h"

namespace fsgate::fsclient {

// Bump when the record layout changes; an older binary refuses a newer journal.
inline constexpr uint32_t kJournalFormatVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 32;
inline constexpr size_t kRecordHeaderSize = 8;
// Larger lengths can only come from garbage: inline bodies are <= kInlineObjectMax.
inline constexpr uint32_t kMaxRecordPayload = 16 * 1024 * 1024;

std::string EncodeSegmentHeader(uint64_t first_seq);
// The segment's first seq; a clear error for a foreign file or a newer format.
Result<uint64_t> DecodeSegmentHeader(std::string_view data);

// Appends the framed record of `intent` to `out`.
void AppendIntentRecord(const Intent& intent, std::string* out);

// Decodes the record at the start of `data`; sets `consumed` to its framed size.
// nullopt when the record is incomplete or corrupt (a torn tail).
std::optional<Intent> DecodeIntentRecord(std::string_view data, size_t* consumed);

}  // namespace fsgate::fsclient
