// Object metadata <-> extended attributes.
//
// Format 2 (written): one xattr, user.fsgate.m, holding the record of
// meta_record.h (ETag, content type, headers, user metadata, checksums, parts
// count; mtime for directory objects) and the engine's seq of the async create
// (dirops/node_attrs.h). The engine writes and reads it as an opaque blob.
//
// Format 1 (read, never written): user.fsgate.v "1", user.fsgate.etag,
// user.fsgate.meta (JSON), user.fsgate.seq. Objects written by an older fsgate
// keep working; a record or version newer than this binary knows is refused,
// never guessed at.
//
// A file with neither was placed by another program: it is served as
// binary/octet-stream with a derived ETag (see DerivedEtag).
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "dirops/namespace.h"
#include "dirops/node_attrs.h"
#include "fs/backend.h"
#include "store/object_store.h"

namespace fsgate::store {

inline constexpr const char* kXattrRecord = "user.fsgate.m";
// Format 1 names.
inline constexpr const char* kXattrVersion = "user.fsgate.v";
inline constexpr const char* kXattrEtag = "user.fsgate.etag";
inline constexpr const char* kXattrMeta = "user.fsgate.meta";
inline constexpr const char* kXattrSeq = "user.fsgate.seq";
inline constexpr const char* kDefaultContentType = "binary/octet-stream";

// The ETag of a file fsgate did not write, stable while the file is unchanged
// (NooBaa NSFS style, from inode, size and mtime): hex(md5("<ino>:<size>:<mtime_ns>"))
// + "-1". The "-N" suffix marks it, as multipart ETags are marked, as not being
// the MD5 of the content, so clients (rclone, s3cmd) do not verify bodies against it.
std::string DerivedEtag(const fs::FileStat& st);

// The JSON of format 1's user.fsgate.meta (everything but etag and size), read
// there and in multipart upload records an older fsgate began; nothing writes
// it any more (meta_record.h is the one codec).
Result<ObjectMeta> DecodeMetaJson(std::string_view json);

// The xattrs the engine keeps an object's record under (dirops/node_attrs.h),
// with format 1's, which mark a directory object too.
dirops::NodeAttrNames ObjectAttrNames();
// The blob the engine carries for `meta` (meta_record.h; a directory object's
// with its mtime, which the directory's own moves with its entries).
std::string EncodeObjectAttrs(const ObjectMeta& meta, bool directory);
// The object of an engine node as found: its record, else format 1's xattrs
// (read from the open file, or at the directory), else a foreign file's defaults.
Result<ObjectMeta> MetaOfNode(fs::Backend& backend, const dirops::NodePath& node,
                              const dirops::NodeView& view);

// Writes the metadata of `meta` on a (staging) file, before the engine links it.
Status WriteObjectMeta(fs::File& file, const ObjectMeta& meta);
// Replaces the metadata of a published object file with `meta`, keeping the
// seq its async create stamped (replay tells creates apart by it).
Status RewriteObjectMeta(fs::File& file, const ObjectMeta& meta);
// Reads the metadata of an open object file: xattrs plus size and mtime from
// fstat; a foreign file gets the defaults above.
Result<ObjectMeta> ReadObjectMeta(fs::File& file);
// The ETag alone (for listings), derived for foreign files.
Result<std::string> ReadObjectEtag(fs::File& file, const fs::FileStat& st);
// The same, of the file `name` in an open directory (listings), into
// meta.etag, with meta.acl from the same record: no read more for the owner.
[[nodiscard]] Status ReadEntryEtag(fs::Dir& dir, const std::string& name, const fs::FileStat& st,
                                   ObjectMeta& meta);

// Directory objects ("key/"): nullopt when the directory is not one.
Result<std::optional<ObjectMeta>> ReadDirObjectMeta(fs::Backend& backend, const std::string& path);

// Sum of the bytes of user metadata names and values, as S3 counts it (limit 2 KB).
size_t UserMetaBytes(const ObjectMeta& meta);
inline constexpr size_t kMaxUserMetaBytes = 2048;

}  // namespace fsgate::store
