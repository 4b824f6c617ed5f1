#include "fsclient/empty_dir_sweep.h"

#include "fs/backend_util.h"
#include "fsclient/object_meta_codec.h"
#include "fsclient/store_layout.h"

namespace fsgate::fsclient {
namespace {

// Returns true when `dir` is empty once its empty subdirectories are gone.
Result<bool> PruneBelow(fs::Backend& backend, const std::string& dir, bool fsync, size_t& removed) {
  auto entries = backend.ReadDir(dir);
  if (!entries.ok()) return entries.status();
  bool empty = true;
  bool changed = false;
  for (const auto& entry : *entries) {
    std::string path = dir + "/" + entry.name;
    if (entry.type != fs::DirEntry::Type::kDirectory) {
      empty = false;
      continue;
    }
    auto child_empty = PruneBelow(backend, path, fsync, removed);
    if (!child_empty.ok()) return child_empty.status();
    auto dir_object = ReadDirObjectMeta(backend, path);
    if (!*child_empty || !dir_object.ok() || dir_object->has_value()) {
      empty = false;
      continue;
    }
    if (Status s = backend.Rmdir(path); !s.ok()) {
      empty = false;
      continue;
    }
    ++removed;
    changed = true;
  }
  if (changed && fsync) {
    if (Status s = backend.SyncDir(dir); !s.ok()) return s;
  }
  return empty;
}

}  // namespace

Result<size_t> SweepEmptyDirectories(fs::Backend& backend, bool fsync) {
  auto buckets = backend.ReadDir("");
  if (!buckets.ok()) return buckets.status();
  size_t removed = 0;
  for (const auto& bucket : *buckets) {
    if (bucket.type != fs::DirEntry::Type::kDirectory || bucket.name == layout::kRoot) continue;
    auto empty = PruneBelow(backend, bucket.name, fsync, removed);
    if (!empty.ok()) return empty.status();
  }
  return removed;
}

Result<bool> TakeCleanShutdownMarker(fs::Backend& backend, bool fsync) {
  auto st = backend.Stat(layout::kCleanShutdown);
  if (!st.ok()) {
    if (fs::IsMissing(st.status())) return false;
    return st.status();
  }
  if (Status s = backend.Unlink(layout::kCleanShutdown); !s.ok()) return s;
  if (fsync) {
    if (Status s = backend.SyncDir(layout::kRoot); !s.ok()) return s;
  }
  return true;
}

Status MarkCleanShutdown(fs::Backend& backend, bool fsync) {
  auto file = backend.Open(layout::kCleanShutdown, fs::Backend::OpenMode::kCreateTruncate);
  if (!file.ok()) return file.status();
  if (Status s = (*file)->Close(); !s.ok()) return s;
  return fsync ? backend.SyncDir(layout::kRoot) : Status::Ok();
}

}  // namespace fsgate::fsclient
