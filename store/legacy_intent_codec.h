// The records of intent journals of formats 1-3, which named an S3 bucket and
// key and spelt out the object's metadata fields: decoded here, where keys map
// to nodes and metadata to its one codec, and registered with the engine
// (dirops/intent_codec.h LegacyRecordDecoder) so that a journal an older
// fsgate left is replayed by this one.
//
//   payload := u8 op  u64 seq  string bucket  string key  string staging_path
//              u64 staging_ino  u8 delegated  u64 target_ino  string etag
//              u64 size  i64 mtime_ns  string content_type  headers system
//              headers user  headers checksums  i32 parts_count  u8 has_inline
//              [string inline_body]  [u32 n  u64 part_size * n]   (format 3)
//   headers := u32 n  (string name  string value) * n
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "dirops/intent.h"

namespace fsgate::store {

std::optional<dirops::Intent> DecodeLegacyIntent(uint32_t version, std::string_view payload);

}  // namespace fsgate::store
