// The object metadata record of format 2: an object's ObjectMeta (but size
// and, for files, mtime, which come from fstat), as one xattr value — the one
// codec of ObjectMeta: the blob the engine's journal, the xattrs and multipart
// carry.
//
//   byte 0        format version (2)
//   then fields   tag byte, varint length, bytes; in any order
//     'm' the ETag as 16 raw bytes (a plain MD5), or 'e' the ETag as text
//     's' the engine's seq (varint), appended and stripped by the engine
//         (dirops/node_attrs.h); decoded here for records that hold it
//                               'c' content type (absent: binary/octet-stream)
//     'h' system header, 'u' user metadata, 'k' checksum: varint name length,
//         name, value           'p' parts count (varint)   't' mtime_ns (varint)
//     'z' part sizes (varints, one per part, in order)    -- format 3
//     'g' tag: varint key length, key, value
//     'y' checksum type ("COMPOSITE" / "FULL_OBJECT")
//     'x' part checksum (base64), one field per part, in order  -- format 4
//     'a' the object's ACL (auth/acl.h's codec)                 -- format 5
//     'v' the S3 version id (version_id.h) of a version made in a versioned
//         bucket; absent: the null version                  -- format 5
//     'r' Object Lock retention: varint retain-until (seconds since the
//         epoch), then the mode ("GOVERNANCE" / "COMPLIANCE") -- format 6
//     'o' legal hold ON (absent: OFF)                           -- format 6
//
// A record is written with the lowest version that holds its fields: 2 unless
// it carries part sizes, 4 when it carries tags, a checksum type or part
// checksums, 5 when it carries an ACL or a version id, 6 with object lock
// fields. An older binary then refuses only the objects whose fields it could
// not keep, with a clear message: it never serves, nor lets a client delete,
// a locked version as if it were not locked.
//
// Why one compact value: ext4 keeps about 64 bytes of a single xattr's value
// inside a 256-byte inode. The four xattrs of format 1 needed an extra 4 KiB
// xattr block per object (measured: a 3,787-byte object used 16 sectors, 8
// with one 60-byte xattr) — a block allocation and a metadata write per PUT.
// A typical object (an MD5 ETag, a seq, a default or short content type, a
// CRC32 checksum) stays under that; larger metadata simply spills as before.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/object_store.h"

namespace fsgate::store {

inline constexpr uint8_t kMetaRecordVersion = 6;
inline constexpr uint8_t kMetaRecordOldestVersion = 2;

struct MetaRecord {
  ObjectMeta meta;   // size and (for files) mtime_ns left 0 unless stored
  uint64_t seq = 0;  // 0: not written by an async create
};

std::string EncodeMetaRecord(const ObjectMeta& meta, bool with_mtime);
// The InternalError of unreadable object metadata.
Status CorruptMeta(const std::string& why);
// The InternalError of metadata of a format newer than this binary knows.
Status NewerMetaFormat(int version);

// Refuses a newer version (written by a newer fsgate) and malformed records.
Result<MetaRecord> DecodeMetaRecord(std::string_view value);

}  // namespace fsgate::store
