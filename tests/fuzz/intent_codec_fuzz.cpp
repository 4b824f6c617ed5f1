// The intent journal's decoder, as recovery runs it on whatever a crash left
// in a segment: the segment header, and records both as found (their CRC
// almost never matches a mutation) and re-framed with a valid CRC, so the
// payload parser itself is reached. A record that decodes must re-encode to
// a record that decodes to the same intent. Segments of formats 1-3 go
// through the store's decoder of their records, as the store registers it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dirops/intent_codec.h"
#include "fuzz_common.h"
#include "store/legacy_intent_codec.h"

namespace {

using namespace fsgate::dirops;

// The seed of the records the seed writer produces (a segment starting at seq 1).
const uint32_t kSeed = RecordSeed(1);

std::string Encode(const Intent& intent) {
  std::string record;
  AppendIntentRecord(intent, &record);
  SealRecords(&record, kSeed);
  return record;
}

void CheckRoundTrip(const Intent& intent) {
  const std::string once = Encode(intent);
  size_t consumed = 0;
  const auto again = DecodeIntentRecord(once, kSeed, &consumed);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(consumed == once.size());
  FUZZ_CHECK(Encode(*again) == once);
}

// Every record from the front of `data`, as replay walks a segment.
void DecodeRecords(std::string_view data, uint32_t seed, uint32_t version = kJournalFormatVersion) {
  size_t consumed = 0;
  while (auto intent = DecodeIntentRecord(data, seed, &consumed, version,
                                          fsgate::store::DecodeLegacyIntent)) {
    FUZZ_CHECK(consumed >= kRecordHeaderSize && consumed <= data.size());
    CheckRoundTrip(*intent);
    data.remove_prefix(consumed);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto header = DecodeSegmentHeader(in); header.ok()) {
    DecodeRecords(in.substr(kSegmentHeaderSize), header->record_seed(), header->version);
  }
  DecodeRecords(in, kSeed);

  // The payload after the input's own record header, framed with a CRC that holds.
  if (in.size() > kRecordHeaderSize) {
    std::string record(kRecordHeaderSize, '\0');
    const auto length = static_cast<uint32_t>(in.size() - kRecordHeaderSize);
    for (int i = 0; i < 4; ++i) record[i] = static_cast<char>(length >> (8 * i));
    record.append(in.substr(kRecordHeaderSize));
    SealRecords(&record, kSeed);
    DecodeRecords(record, kSeed);
    DecodeRecords(record, kSeed, kNodeRecordFormat);
    DecodeRecords(record, kSeed, kNodeRecordFormat - 1);
  }
  return 0;
}
