// DirKeyCursor: the keys of one bucket, in byte order of the whole key, read
// lazily from the directory tree.
//
// Within a directory the entries are sorted by name, a subdirectory sorting as
// name + "/" ("a.b" < "a/" < "a0"), which makes a depth-first walk yield keys in
// S3 order. A subdirectory is read only when the walk reaches it; subtrees that
// lie wholly before the marker or outside the prefix are never opened, and
// SkipPrefix drops a subtree (a delimiter's common prefix) without reading it.
// ".fsgate" at the top of the bucket, symlinks, special files and names that are
// not valid keys are never listed; directories holding no object yield nothing;
// a directory object yields "dir/" just before its contents. The hidden name
// of a nested object is never listed as a key of its own.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dirops/namespace.h"
#include "fs/backend.h"
#include "store/dir_listing_cache.h"
#include "store/object_store.h"

namespace fsgate::store {

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

// `cache` (may be null) keeps sorted directory listings between calls. With
// `nested_keys` (--key-conflicts nest), a directory "a" holding the nested
// object "a" (nested_key.h) yields the key "a" at its place, before "a!".
std::unique_ptr<KeyCursor> MakeDirKeyCursor(fs::Backend& backend, std::string bucket,
                                            std::string prefix, std::string marker,
                                            DirListingCache* cache = nullptr,
                                            bool nested_keys = false);

// `disk` with the engine's pending entries of the bucket (Namespace::Pending,
// named by key: store/key_path.h) merged in, in key order: pending creates
// appear (replacing the disk entry), pending unlinks hide.
std::unique_ptr<KeyCursor> MergePending(std::vector<dirops::PendingNode> pending,
                                        std::unique_ptr<KeyCursor> disk);

// The keys that have older versions or delete markers in a versioned bucket
// (versions_dir.h), in the same order; each with an empty ListEntry::meta.
std::unique_ptr<KeyCursor> MakeHistoryKeyCursor(fs::Backend& backend, const std::string& bucket,
                                                std::string prefix, std::string marker);

// The keys of `a` and of `b`, each once (with `a`'s entry when both have it).
std::unique_ptr<KeyCursor> UnionKeys(std::unique_ptr<KeyCursor> a, std::unique_ptr<KeyCursor> b);

}  // namespace fsgate::store
