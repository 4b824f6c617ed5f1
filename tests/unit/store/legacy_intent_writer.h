// The payload of an intent record as fsgate wrote it at journal formats 1-3
// (store/legacy_intent_codec.h has the layout): what an older binary left, for
// tests of its replay.
#pragma once

#include <string>

#include "base/hash.h"
#include "dirops/intent.h"
#include "dirops/intent_codec.h"
#include "dirops/record_fields.h"
#include "store/object_store.h"

namespace fsgate::store::testing {

inline void PutLegacyHeaders(std::string* out, const HeaderList& headers) {
  dirops::PutInt<uint32_t>(out, static_cast<uint32_t>(headers.size()));
  for (const auto& [name, value] : headers) {
    dirops::PutString(out, name);
    dirops::PutString(out, value);
  }
}

inline std::string EncodeLegacyIntent(const dirops::Intent& intent, const std::string& bucket,
                                      const std::string& key, const ObjectMeta& m) {
  std::string out;
  dirops::PutU8(&out, static_cast<uint8_t>(intent.op));
  dirops::PutInt<uint64_t>(&out, intent.seq);
  dirops::PutString(&out, bucket);
  dirops::PutString(&out, key);
  dirops::PutString(&out, intent.staging.path);
  dirops::PutInt<uint64_t>(&out, intent.staging.ino);
  dirops::PutU8(&out, intent.staging.delegated ? 1 : 0);
  dirops::PutInt<uint64_t>(&out, intent.target_ino);
  dirops::PutString(&out, m.etag);
  dirops::PutInt<uint64_t>(&out, m.size);
  dirops::PutInt<int64_t>(&out, m.mtime_ns);
  dirops::PutString(&out, m.content_type);
  PutLegacyHeaders(&out, m.system_headers);
  PutLegacyHeaders(&out, m.user_meta);
  PutLegacyHeaders(&out, m.checksums);
  dirops::PutInt<int32_t>(&out, m.parts_count);
  dirops::PutU8(&out, intent.inline_data ? 1 : 0);
  if (intent.inline_data) dirops::PutString(&out, *intent.inline_data);
  if (!m.part_sizes.empty()) {
    dirops::PutInt<uint32_t>(&out, static_cast<uint32_t>(m.part_sizes.size()));
    for (uint64_t size : m.part_sizes) dirops::PutInt<uint64_t>(&out, size);
  }
  return out;
}

// `payload` framed as a record of a segment whose record seed is `seed`.
inline std::string LegacyRecord(const std::string& payload, uint32_t seed) {
  std::string out;
  dirops::PutInt<uint32_t>(&out, static_cast<uint32_t>(payload.size()));
  dirops::PutInt<uint32_t>(&out, Crc32c(payload, seed));
  return out + payload;
}

}  // namespace fsgate::store::testing
