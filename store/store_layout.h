// The store's internal directory, ROOT/.fsgate, and its format version.
//
//   .fsgate/format      store-wide format version ("2\n"); a newer one is refused
//   .fsgate/gateway-id  the id a gateway started without --gateway-id runs as
//   .fsgate/gw/<id>/    one gateway's engine state (gateway_state.h): journal/,
//                       staging/ (files being written, renamed into place when
//                       published), lock
//   .fsgate/multipart/  uploads in progress, per bucket (store/multipart_layout.h)
//   .fsgate/buckets/    one record per bucket: creation time, owner, region (bucket_record.h)
//   .fsgate/versions/   older versions and delete markers of versioned buckets,
//                       one directory per key (store/versions_dir.h)
//   .fsgate/caps/       one lease file per bucket, locked by the gateways using
//                       it (dirops/bucket_caps.h)
//
// Format 1 kept one gateway's journal and staging at .fsgate/journal and
// .fsgate/staging; the first start of format 2 adopts them (legacy_state.h).
// An older binary would not look under gw/, so it refuses format 2.
#pragma once

#include <string>

#include "base/hash.h"
#include "base/status.h"
#include "fs/backend.h"

namespace fsgate::store {

inline constexpr int kStoreFormatVersion = 2;

namespace layout {
inline constexpr const char* kRoot = ".fsgate";
inline constexpr const char* kFormat = ".fsgate/format";
inline constexpr const char* kGatewayId = ".fsgate/gateway-id";
inline constexpr const char* kGateways = ".fsgate/gw";
// Format 1's single-gateway state.
inline constexpr const char* kLegacyStaging = ".fsgate/staging";
inline constexpr const char* kLegacyJournal = ".fsgate/journal";
inline constexpr const char* kMultipart = ".fsgate/multipart";
inline constexpr const char* kBuckets = ".fsgate/buckets";
inline constexpr const char* kCaps = ".fsgate/caps";
inline constexpr const char* kVersions = ".fsgate/versions";
// Present only between a drained shutdown and the next start.
inline constexpr const char* kCleanShutdown = ".fsgate/clean-shutdown";
}  // namespace layout

// Creates the internal directories and the format file when missing, and
// moves an older format's file to this one; refuses a store whose format is
// newer than this binary (or unreadable) with a clear message.
Status InitStoreLayout(fs::Backend& backend, bool fsync);

// Writes `data` to `path` atomically: a temporary file beside it, synced with
// `fsync`, renamed over `path`, the directory synced.
Status WriteFileAtomic(fs::Backend& backend, const std::string& path, const std::string& data,
                       bool fsync);
// The whole content of a small file.
Result<std::string> ReadSmallFile(fs::Backend& backend, const std::string& path);

}  // namespace fsgate::store
