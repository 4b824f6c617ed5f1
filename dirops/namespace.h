// Namespace: the seam where async dirops slot in under ObjectStore.
//
// ObjectStore does everything S3-shaped (validation, key mapping, metadata,
// multipart, copy, listing with delimiters) and funnels every namespace
// change and every namespace read through this interface:
//
//   SyncNamespace   applies creates/unlinks on the Backend before returning
//                   (and fsyncs the parent directory with --fsync on).
//   AsyncNamespace  journals the intent (group commit), publishes it in its
//                   overlay, returns; its applier calls SyncNamespace later.
//                   Find/List consult the overlay first, so readers through
//                   the store always see the answered state.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "fs/backend.h"
#include "store/object_store.h"

namespace fsgate::dirops {

// The S3 vocabulary this engine still carries (bucket and key, ObjectMeta,
// WriteConditions): it leaves once operations take a path and an opaque
// attribute blob, and the store alone maps keys and decodes metadata.
using store::HeaderList;
using store::ListEntry;
using store::ObjectMeta;
using store::WriteConditions;

// The reason a kNotFound carries when the top directory a create or a lookup
// is under (the bucket's) is missing, rather than the name itself.
inline constexpr std::string_view kReasonNoBucketDir = "no-bucket-dir";
inline Status NameNotFound() { return Status::Error(StatusCode::kNotFound, "no such name"); }
// The name needs a directory where a file stands, or the reverse.
inline Status NameConflict(const std::string& name) {
  return Status::Error(StatusCode::kAlreadyExists, "a file and a directory conflict at " + name);
}
inline Status BucketDirNotFound() {
  return Status::Error(StatusCode::kNotFound, "the bucket's directory does not exist",
                       std::string(kReasonNoBucketDir));
}

// A staging file (under .fsgate/staging/) that will become an object. With a
// delegated inode it came from the pre-created pool and `ino` is known ahead.
struct StagingFile {
  std::string path;
  uint64_t ino = 0;
  bool delegated = false;
};

// A fully written object waiting to be linked at its key. Either its data and
// xattrs are in `file` (synced with --fsync on), or — for small objects — the
// body is in `inline_data` and `file` is an empty delegated staging file that
// the namespace fills later: the async namespace then makes the object durable
// by its journal record alone (one shared append instead of a file fsync on
// the request path, as the MDS journal does for metadata).
struct StagedObject {
  StagingFile file;
  ObjectMeta meta;
  std::shared_ptr<const std::string> inline_data;
};

// The current version of a key, as the namespace answers it.
struct ObjectVersion {
  ObjectMeta meta;
  // Open data file of exactly this version: it stays readable if the key is
  // replaced or deleted meanwhile. Null for directory objects ("key/").
  std::shared_ptr<fs::File> data;
};

// Keys of one bucket in byte order of the whole key.
class KeyCursor {
 public:
  virtual ~KeyCursor() = default;
  // The next key (with its listing metadata), or nullopt at the end.
  virtual Result<std::optional<ListEntry>> Next() = 0;
  // Skips every remaining key that starts with `prefix` (a delimiter's common
  // prefix), without reading the subtree when it maps to a directory.
  virtual void SkipPrefix(const std::string& prefix) = 0;
};

// Objects up to this size are handed to Publish() as inline_data.
inline constexpr uint64_t kInlineObjectMax = 64 * 1024;

struct OpOptions {
  bool sync = false;  // this op must be on disk before returning (header or sync mode)
  // false: an unlink leaves emptied directories for the caller to prune later
  // (the applier does it once per batch, not once per unlink).
  bool prune_now = true;
  // Another gateway may use the bucket too (its cap is shared, bucket_caps.h):
  // the op is made synchronously, counted as sync fallback "shared_cap".
  bool shared_cap = false;
};

class Namespace {
 public:
  virtual ~Namespace() = default;

  // A staging file for a new object's data: from the delegated pool when one is
  // available, else created on the spot (a sync fallback, counted).
  virtual Result<StagingFile> AcquireStaging() = 0;
  // Discards an unused or aborted staging file.
  virtual void ReleaseStaging(const StagingFile& file) = 0;

  // Makes `object` the current version of bucket/key, replacing any; checks
  // `conditions` against the current version atomically with the change.
  virtual Result<ObjectMeta> Publish(const std::string& bucket, const std::string& key,
                                     StagedObject object, const WriteConditions& conditions,
                                     OpOptions options) = 0;
  // Removes bucket/key if present (and prunes directories left empty).
  virtual Status Remove(const std::string& bucket, const std::string& key, OpOptions options) = 0;
  // Remove for each of `keys` (DeleteObjects), one status per key, in order.
  virtual std::vector<Status> RemoveMany(const std::string& bucket,
                                         const std::vector<std::string>& keys, OpOptions options) {
    std::vector<Status> results;
    for (const std::string& key : keys) results.push_back(Remove(bucket, key, options));
    return results;
  }

  // NoSuchKey when absent (or pending delete).
  virtual Result<ObjectVersion> Find(const std::string& bucket, const std::string& key) = 0;
  // Keys starting with `prefix`, strictly after `marker`.
  virtual Result<std::unique_ptr<KeyCursor>> List(const std::string& bucket,
                                                  const std::string& prefix,
                                                  const std::string& marker) = 0;

  // Waits until every answered op on bucket/key has reached the filesystem.
  virtual Status WaitKey(const std::string& bucket, const std::string& key) = 0;
  // Waits until every answered op in the bucket has reached the filesystem.
  virtual Status WaitBucket(const std::string& bucket) = 0;
  // Waits until every answered op has reached the filesystem.
  virtual Status Drain() = 0;
  // JSON for GET /admin/async.
  virtual std::string StatusJson() = 0;
  // Why writes cannot be answered any more (a failed journal sync), or Ok.
  virtual Status WriteHealth() { return Status::Ok(); }
};

}  // namespace fsgate::dirops
