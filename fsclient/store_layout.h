// The store's internal directory, ROOT/.fsgate, and its format version.
//
//   .fsgate/format      store-wide format version ("1\n"); a newer one is refused
//   .fsgate/staging/    files being written, renamed into place when published
//   .fsgate/journal/    the intent journal (async dirops)
//   .fsgate/multipart/  uploads in progress, per bucket (fsclient/multipart_layout.h)
//   .fsgate/buckets/    one record per bucket: creation time, owner, region (bucket_record.h)
#pragma once

#include <string>

#include "base/status.h"
#include "fs/backend.h"

namespace fsgate::fsclient {

inline constexpr int kStoreFormatVersion = 1;

namespace layout {
inline constexpr const char* kRoot = ".fsgate";
inline constexpr const char* kFormat = ".fsgate/format";
inline constexpr const char* kStaging = ".fsgate/staging";
inline constexpr const char* kJournal = ".fsgate/journal";
inline constexpr const char* kMultipart = ".fsgate/multipart";
inline constexpr const char* kBuckets = ".fsgate/buckets";
// Present only between a drained shutdown and the next start.
inline constexpr const char* kCleanShutdown = ".fsgate/clean-shutdown";
}  // namespace layout

// Creates the internal directories and the format file when missing; refuses a
// store whose format is newer than this binary (or unreadable) with a clear message.
Status InitStoreLayout(fs::Backend& backend, bool fsync);

// Writes `data` to `path` atomically: a temporary file beside it, synced with
// `fsync`, renamed over `path`, the directory synced.
Status WriteFileAtomic(fs::Backend& backend, const std::string& path, const std::string& data,
                       bool fsync);
// The whole content of a small file.
Result<std::string> ReadSmallFile(fs::Backend& backend, const std::string& path);

// Random lower-case hex of `bytes` random bytes (upload ids, staging names).
std::string RandomHex(size_t bytes);

}  // namespace fsgate::fsclient
