// Object metadata <-> extended attributes.
//
// Format 2 (written): one xattr, user.fsgate.m, holding the record of
// meta_record.h (ETag, content type, headers, user metadata, checksums, parts
// count, the async create's seq; mtime for directory objects).
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

// The JSON of user.fsgate.meta (everything but etag and size), for reuse by the
// intent journal.
std::string EncodeMetaJson(const ObjectMeta& meta);
Result<ObjectMeta> DecodeMetaJson(std::string_view json);

// Writes the metadata of `meta` on a (staging) file, with the seq of the
// async create that links it (0: none) — it lets replay tell an older async
// create from the file a later op left at the name.
Status WriteObjectMeta(fs::File& file, const ObjectMeta& meta, uint64_t seq = 0);
// Replaces the metadata of a published object file with `meta`, keeping the
// seq its async create stamped (replay tells creates apart by it).
Status RewriteObjectMeta(fs::File& file, const ObjectMeta& meta);
// Reads the metadata of an open object file: xattrs plus size and mtime from
// fstat; a foreign file gets the defaults above.
Result<ObjectMeta> ReadObjectMeta(fs::File& file);
// The ETag alone (for listings), derived for foreign files.
Result<std::string> ReadObjectEtag(fs::File& file, const fs::FileStat& st);

// The seq an async create stamped on the file at `path`; 0 when none.
Result<uint64_t> ReadObjectSeq(fs::Backend& backend, const std::string& path);

// Directory objects ("key/"): the directory's own xattrs.
Status WriteDirObjectMeta(fs::Backend& backend, const std::string& path, const ObjectMeta& meta);
// nullopt when the directory is not a directory object (no user.fsgate.v).
Result<std::optional<ObjectMeta>> ReadDirObjectMeta(fs::Backend& backend, const std::string& path);
// Makes the directory an implicit one again.
Status RemoveDirObjectMeta(fs::Backend& backend, const std::string& path);

// Sum of the bytes of user metadata names and values, as S3 counts it (limit 2 KB).
size_t UserMetaBytes(const ObjectMeta& meta);
inline constexpr size_t kMaxUserMetaBytes = 2048;

}  // namespace fsgate::store
