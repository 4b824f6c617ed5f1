// Key mapping: S3 bucket names and keys -> backend paths.
//
//   bucket "photos", key "2024/jan/a.jpg"  ->  "photos/2024/jan/a.jpg"
//   bucket "photos", key "2024/"           ->  "photos/2024" (a directory object:
//                                              the directory itself, metadata in
//                                              its xattrs)
//
// Keys a POSIX tree cannot hold get a clear S3 error here, before any path is
// built: over 1024 bytes or a component over 255 bytes (KeyTooLongError), empty
// key, invalid UTF-8, NUL, empty components ("a//b", "/a"), "." or ".."
// components, anything at or under ".fsgate" at the top of a bucket, and any
// ".fsgate-object" component (the name of a nested object, nested_key.h)
// (InvalidArgument). An object "a" next to an object "a/b" is a conflict found
// only at write time (see kKeyConflictCode), unless --key-conflicts nest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "dirops/node.h"
#include "store/s3_errors.h"

namespace fsgate::store {

inline constexpr size_t kMaxKeyBytes = 1024;
inline constexpr size_t kMaxComponentBytes = 255;
// The internal directory: ROOT/.fsgate, and reserved at the top of every bucket.
inline constexpr std::string_view kInternalDir = ".fsgate";

// The S3 error for "a" and "a/b" at once (a file where a directory is needed or
// the reverse). 400 InvalidRequest with a message naming the conflict: every S3
// client shows it, and it is never retried as a server fault.
inline constexpr std::string_view kKeyConflictCode = "InvalidRequest";
// The error for a key that would need a file where a directory stands, or
// the other way round.
Status KeyConflictError(const std::string& key);

// S3 general purpose bucket naming rules: 3-63 characters of [a-z0-9.-],
// starting and ending with a letter or digit, no "..", not an IPv4 address, no
// reserved prefix ("xn--", "sthree-", "amzn-s3-demo-") or suffix ("-s3alias",
// "--ol-s3", ".mrap", "--x-s3", "--table-s3"). InvalidBucketName otherwise.
Status ValidateBucketName(std::string_view bucket);

// The rules above for keys. Ok for a valid key, trailing '/' included.
Status ValidateKey(std::string_view key);

// True for "dir/" keys (directory objects).
inline bool IsDirectoryKey(std::string_view key) { return !key.empty() && key.back() == '/'; }

// Backend path of a (validated) bucket and key; a directory key loses its '/'.
std::string ObjectPath(std::string_view bucket, std::string_view key);

// The engine's node of a (validated) bucket and key: the file at ObjectPath, or
// for a directory key the directory itself. The engine's name of the node
// under the bucket's directory (dirops/node.h) is then the key itself, so a
// pending entry's name is its key and the engine's name order is key order.
inline dirops::NodePath ObjectNode(std::string_view bucket, std::string_view key) {
  return dirops::NodePath{ObjectPath(bucket, key), IsDirectoryKey(key)
                                                       ? dirops::NodeKind::kDirectory
                                                       : dirops::NodeKind::kFile};
}

}  // namespace fsgate::store
