#include "store/meta_record.h"

#include <climits>
#include <cstdint>
#include <vector>

#include "base/hash.h"
#include "base/tlv_fields.h"
#include "store/object_lock.h"
#include "store/s3_errors.h"
#include "store/version_id.h"

namespace fsgate::store {
namespace {

constexpr std::string_view kDefaultType = "binary/octet-stream";

void PutHeaderFields(std::string& out, char tag, const HeaderList& headers) {
  for (const auto& [name, value] : headers) {
    std::string bytes;
    PutVarint(bytes, name.size());
    bytes += name;
    bytes += value;
    PutField(out, tag, bytes);
  }
}

// A plain MD5 ETag: 32 lower-case hex digits.
bool IsHexMd5(std::string_view etag) {
  if (etag.size() != 32) return false;
  for (char c : etag) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Reads varints and fields off the front of a record; an overrun fails.
bool DecodePartSizes(std::string_view bytes, std::vector<uint64_t>& out) {
  FieldReader r(bytes);
  while (!r.done()) {
    uint64_t size = 0;
    if (!r.Varint(size)) return false;
    out.push_back(size);
  }
  return !out.empty();
}

bool DecodeHeader(std::string_view bytes, HeaderList& out) {
  FieldReader r(bytes);
  uint64_t name_size = 0;
  std::string_view name;
  if (!r.Varint(name_size) || !r.Bytes(name_size, name)) return false;
  out.emplace_back(std::string(name), std::string(r.rest()));
  return true;
}

bool DecodeRetention(std::string_view bytes, ObjectMeta& meta) {
  FieldReader r(bytes);
  uint64_t until = 0;
  if (!r.Varint(until) || until > INT64_MAX) return false;
  meta.lock.until_s = static_cast<int64_t>(until);
  meta.lock.mode = std::string(r.rest());
  return IsRetentionMode(meta.lock.mode);
}

}  // namespace

Status NewerMetaFormat(int version) {
  return S3Error(s3err::kInternalError,
                 "object metadata format " + std::to_string(version) +
                     " was written by a newer fsgate; this binary knows formats up to " +
                     std::to_string(kMetaRecordVersion) + " and refuses to serve it");
}

Status CorruptMeta(const std::string& why) {
  return S3Error(s3err::kInternalError, "object metadata is corrupt: " + why);
}

// A version id other than the null version's: kept in the record (format 5).
bool HasVersionId(const ObjectMeta& meta) {
  return !meta.version_id.empty() && meta.version_id != kNullVersionId;
}

std::string EncodeMetaRecord(const ObjectMeta& meta, bool with_mtime) {
  // The lowest format that holds the record: an older fsgate still reads it.
  const bool v4 = !meta.tags.empty() || !meta.checksum_type.empty() || !meta.part_checksums.empty();
  const bool v5 = !meta.acl.empty() || HasVersionId(meta);
  const bool v6 = !meta.lock.mode.empty() || meta.lock.legal_hold;
  const uint8_t version = v6                         ? kMetaRecordVersion
                          : v5                       ? uint8_t{5}
                          : v4                       ? uint8_t{4}
                          : !meta.part_sizes.empty() ? uint8_t{3}
                                                     : kMetaRecordOldestVersion;
  std::string out(1, static_cast<char>(version));
  if (IsHexMd5(meta.etag)) {
    PutField(out, 'm', *HexDecode(meta.etag));
  } else {
    PutField(out, 'e', meta.etag);
  }
  if (meta.content_type != kDefaultType) PutField(out, 'c', meta.content_type);
  PutHeaderFields(out, 'h', meta.system_headers);
  PutHeaderFields(out, 'u', meta.user_meta);
  PutHeaderFields(out, 'k', meta.checksums);
  if (meta.parts_count > 0) PutVarintField(out, 'p', static_cast<uint64_t>(meta.parts_count));
  if (with_mtime) PutVarintField(out, 't', static_cast<uint64_t>(meta.mtime_ns));
  if (!meta.part_sizes.empty()) {
    std::string sizes;
    for (uint64_t size : meta.part_sizes) PutVarint(sizes, size);
    PutField(out, 'z', sizes);
  }
  PutHeaderFields(out, 'g', meta.tags);
  if (!meta.checksum_type.empty()) PutField(out, 'y', meta.checksum_type);
  for (const std::string& checksum : meta.part_checksums) PutField(out, 'x', checksum);
  if (!meta.acl.empty()) PutField(out, 'a', meta.acl);
  if (HasVersionId(meta)) PutField(out, 'v', meta.version_id);
  if (!meta.lock.mode.empty()) {
    std::string retention;
    PutVarint(retention, static_cast<uint64_t>(meta.lock.until_s));
    retention += meta.lock.mode;
    PutField(out, 'r', retention);
  }
  if (meta.lock.legal_hold) PutField(out, 'o', "ON");
  return out;
}

Result<MetaRecord> DecodeMetaRecord(std::string_view value) {
  if (value.empty()) return CorruptMeta("empty record");
  const auto version = static_cast<uint8_t>(value.front());
  if (version > kMetaRecordVersion) return NewerMetaFormat(version);
  if (version < kMetaRecordOldestVersion) {
    return CorruptMeta("record version " + std::to_string(version));
  }
  MetaRecord record;
  ObjectMeta& meta = record.meta;
  meta.content_type = kDefaultType;
  bool has_etag = false;
  FieldReader r(value.substr(1));
  while (!r.done()) {
    char tag = 0;
    std::string_view bytes;
    if (!r.Field(tag, bytes)) return CorruptMeta("truncated record");
    uint64_t n = 0;
    bool ok = true;
    switch (tag) {
      case 'm':
        ok = bytes.size() == 16;
        meta.etag = HexEncode(bytes);
        has_etag = true;
        break;
      case 'e':
        meta.etag = std::string(bytes);
        has_etag = true;
        break;
      case 's':
        ok = DecodeVarint(bytes, record.seq);
        break;
      case 'c':
        meta.content_type = std::string(bytes);
        break;
      case 'h':
        ok = DecodeHeader(bytes, meta.system_headers);
        break;
      case 'u':
        ok = DecodeHeader(bytes, meta.user_meta);
        break;
      case 'k':
        ok = DecodeHeader(bytes, meta.checksums);
        break;
      case 'p':
        ok = DecodeVarint(bytes, n) && n <= INT32_MAX;
        meta.parts_count = static_cast<int>(n);
        break;
      case 't':
        ok = DecodeVarint(bytes, n);
        meta.mtime_ns = static_cast<int64_t>(n);
        break;
      case 'z':
        ok = version >= 3 && DecodePartSizes(bytes, meta.part_sizes);
        break;
      case 'g':
        ok = version >= 4 && DecodeHeader(bytes, meta.tags);
        break;
      case 'y':
        ok = version >= 4;
        meta.checksum_type = std::string(bytes);
        break;
      case 'x':
        ok = version >= 4;
        meta.part_checksums.emplace_back(bytes);
        break;
      case 'a':
        ok = version >= 5;
        meta.acl = std::string(bytes);
        break;
      case 'v':
        ok = version >= 5 && DecodeVersionId(bytes).has_value();
        meta.version_id = std::string(bytes);
        break;
      case 'r':
        ok = version >= 6 && DecodeRetention(bytes, meta);
        break;
      case 'o':
        ok = version >= 6 && bytes == "ON";
        meta.lock.legal_hold = true;
        break;
      default:
        ok = false;
    }
    if (!ok) return CorruptMeta(std::string("bad field '") + tag + "'");
  }
  if (!has_etag) return CorruptMeta("no etag");
  return record;
}

}  // namespace fsgate::store
