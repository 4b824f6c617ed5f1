// Object metadata <-> extended attributes.
//
//   user.fsgate.v     format version ("1"); a newer one is refused, never guessed at
//   user.fsgate.etag  the ETag without quotes (read alone by listings)
//   user.fsgate.meta  JSON: content type, system headers, user metadata,
//                     checksums, parts count (and mtime for directory objects)
//
// A file without user.fsgate.v was placed by another program: it is served as
// binary/octet-stream with a derived ETag (see DerivedEtag).
#pragma once

#include <optional>
#include <string>

#include "fsclient/backend.h"
#include "fsclient/object_store.h"
#include "fsclient/status.h"

namespace fsgate::fsclient {

inline constexpr int kMetaFormatVersion = 1;
inline constexpr const char* kXattrVersion = "user.fsgate.v";
inline constexpr const char* kXattrEtag = "user.fsgate.etag";
inline constexpr const char* kXattrMeta = "user.fsgate.meta";
inline constexpr const char* kDefaultContentType = "binary/octet-stream";

// The ETag of a file fsgate did not write, stable while the file is unchanged
// (NooBaa NSFS style, from inode, size and mtime): hex(md5("<ino>:<size>:<mtime_ns>"))
// + "-1". The "-N" suffix marks it, as multipart ETags are marked, as not being
// the MD5 of the content, so clients (rclone, s3cmd) do not verify bodies against it.
std::string DerivedEtag(const FileStat& st);

// The JSON of user.fsgate.meta (everything but etag and size), for reuse by the
// intent journal.
std::string EncodeMetaJson(const ObjectMeta& meta);
Result<ObjectMeta> DecodeMetaJson(std::string_view json);

// Writes every xattr of `meta` on a (staging) file.
Status WriteObjectMeta(File& file, const ObjectMeta& meta);
// Reads the metadata of an open object file: xattrs plus size and mtime from
// fstat; a foreign file gets the defaults above.
Result<ObjectMeta> ReadObjectMeta(File& file);
// The ETag alone (for listings), derived for foreign files.
Result<std::string> ReadObjectEtag(File& file, const FileStat& st);

// Directory objects ("key/"): the directory's own xattrs.
Status WriteDirObjectMeta(Backend& backend, const std::string& path, const ObjectMeta& meta);
// nullopt when the directory is not a directory object (no user.fsgate.v).
Result<std::optional<ObjectMeta>> ReadDirObjectMeta(Backend& backend, const std::string& path);
// Makes the directory an implicit one again.
Status RemoveDirObjectMeta(Backend& backend, const std::string& path);

// Sum of the bytes of user metadata names and values, as S3 counts it (limit 2 KB).
size_t UserMetaBytes(const ObjectMeta& meta);
inline constexpr size_t kMaxUserMetaBytes = 2048;

}  // namespace fsgate::fsclient
