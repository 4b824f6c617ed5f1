// S3 versioning over the plain-file namespace (layout: versions_dir.h).
//
// With async dirops a PUT, and a DELETE without a version id of a key that
// has a plain file, are one intent of the engine each (OpOptions::displace_to,
// marker, drop): the old latest is displaced to its history entry (unless it
// is the null version a Suspended write replaces) and the new file linked, or
// the delete marker made and the name unlinked; Suspended, the null version
// of the history is dropped. Answered once the intent is journaled; until the
// applier has made them, the old latest and the marker are read at their
// entries' paths from the engine's overlay (Namespace::Displaced), so GET/HEAD
// ?versionId and ListObjectVersions see them at once. Replay repeats every
// step not done, idempotently.
//
// Every other write of a versioned bucket (by version id, a DELETE of a key
// whose latest is a marker, what a crash left to clean up, and every one with
// sync dirops) is made synchronously (sync fallback "versioned") under the key's version
// lock, in an order that leaves, after kill -9 or a power cut at any point,
// every answered version in place and the latest right:
//   PUT     the old latest is hard-linked into the key's history and that
//           directory synced; then the new file is renamed over the key (its
//           parent synced). A crash in between leaves the old latest under
//           both names: one version, known by its id (KeyHistory::duplicate).
//           A backend without hard links renames it there instead: a crash
//           in between leaves no plain file and the moved version newest in
//           the history, still the latest, put back at the next start.
//   DELETE  the same, then the delete marker made and synced, then the plain
//           file unlinked (a crash before that leaves a marker newer than the
//           plain file: an unanswered DELETE, dropped).
//   DELETE  of a version by id: an older one is unlinked; the latest is
//           replaced by the next one renamed over it (one atomic rename), or
//           unlinked when the next is a marker or none.
// A null version replaced while versioning is Suspended is removed only after
// the new null version is durable; until then the newer one hides it
// (KeyHistory::stale).
#include <algorithm>

#include "base/hash.h"
#include "dirops/displace.h"
#include "fs/backend_util.h"
#include "store/fs_object_store.h"
#include "store/key_cursor.h"
#include "store/key_path.h"
#include "store/object_io.h"
#include "store/object_meta_codec.h"
#include "store/s3_errors.h"
#include "store/store_layout.h"
#include "store/versions_dir.h"

namespace fsgate::store {
namespace {

constexpr std::string_view kEnabled = "Enabled";

Status NoSuchVersion() {
  return S3Error(s3err::kNoSuchVersion, "The specified version does not exist.");
}

OpOptions VersionedOp() {
  OpOptions op;
  op.sync = true;
  op.versioned = true;
  return op;
}

// Where `name` is in `names` (matched by S3 id), or names.size().
size_t FindById(const std::vector<VersionName>& names, const std::string& version_id) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].S3Id() == version_id) return i;
  }
  return names.size();
}

// Suspended: the entry of `dir` a new null version (or null delete marker)
// replaces — the one null version among `older` (a second would be stale, and
// such a history takes the sync path); empty: none.
std::string SupersededNull(const std::string& dir, const std::vector<VersionName>& older,
                           bool enabled) {
  if (enabled) return {};
  for (const VersionName& name : older) {
    if (name.null) return dir + "/" + EncodeVersionName(name);
  }
  return {};
}

}  // namespace

Result<std::string> FsObjectStore::VersioningOf(const std::string& bucket) {
  auto info = HeadBucket(bucket);
  if (!info.ok()) return info.status();
  return std::move(info->attributes.versioning);
}

Status FsObjectStore::PutBucketVersioning(const std::string& bucket, const std::string& state) {
  // Pending async ops of the bucket land first: from now on its writes move
  // what is on disk.
  if (Status s = ns_->WaitTop(bucket); !s.ok()) return s;
  bool locked = false;
  Status s = UpdateBucketAttributes(bucket, [&](BucketAttributes& attributes) {
    // Object lock keeps every version: versioning stays Enabled.
    locked = !attributes.object_lock.empty() && state != "Enabled";
    if (!locked) attributes.versioning = state;
  });
  if (!s.ok()) return s;
  if (locked) {
    return S3Error(s3err::kInvalidBucketState,
                   "An Object Lock configuration is present on this bucket, so the versioning "
                   "state cannot be changed.");
  }
  return Status::Ok();
}

std::unique_lock<std::mutex> FsObjectStore::LockVersions(const std::string& bucket,
                                                         const std::string& key) {
  const size_t slot = std::hash<std::string>{}(bucket + "/" + key) % version_locks_.size();
  return std::unique_lock(version_locks_[slot]);
}

Result<FsObjectStore::KeyHistory> FsObjectStore::LoadHistory(const std::string& bucket,
                                                             const std::string& key) {
  KeyHistory history;
  // The plain file at its nested name too (nest mode): its history is the
  // key's all the same.
  dirops::NodePath& node = history.node;
  auto view = FindNode(bucket, key, node);
  if (view.ok()) {
    auto meta = MetaOfNode(*backend_, node, *view);
    if (!meta.ok()) return meta.status();
    history.plain = Found{std::move(*meta), view->data};
    history.plain_view = std::move(*view);
  } else if (!view.status().Is(StatusCode::kNotFound)) {
    return view.status();
  }
  // The versions answered writes are moving into the history, read before
  // the history itself: one applied in between is then found on disk.
  auto moved = DisplacedOf(bucket, key);
  if (!moved.ok()) return moved.status();
  const std::string dir = VersionDirOf(bucket, key);
  auto names = ReadVersionNames(*backend_, dir);
  if (!names.ok()) return names.status();
  AddPendingVersionNames(*names, *moved, dir);
  bool null_seen = false;
  if (history.plain) {
    const std::string& id = history.plain->meta.version_id;
    if (auto stamp = DecodeVersionId(id)) {
      history.plain_name.stamp = *stamp;
    } else {
      // The null version: newer than everything in the history.
      history.plain_name.null = true;
      null_seen = true;
      history.plain_name.stamp =
          static_cast<uint64_t>(std::max<int64_t>(history.plain->meta.mtime_ns, 0));
      if (!names->empty()) {
        history.plain_name.stamp = std::max(history.plain_name.stamp, names->front().stamp + 1);
      }
    }
  }
  for (const VersionName& name : *names) {
    // The same version twice: a promotion's rename whose source directory a
    // power cut did not keep; the plain file is that version.
    const bool duplicate = history.plain && !name.null && !history.plain_name.null &&
                           name.stamp == history.plain_name.stamp && !name.delete_marker;
    if (duplicate) {
      history.duplicate = name;
      continue;
    }
    // Newer than the plain file that has an id: a marker whose DELETE a
    // crash cut short before it removed the plain file (never answered).
    const bool unanswered =
        history.plain && !history.plain_name.null && name.stamp > history.plain_name.stamp;
    if ((name.null && null_seen) || unanswered) {
      history.stale.push_back(name);
      continue;
    }
    null_seen = null_seen || name.null;
    history.older.push_back(name);
  }
  return history;
}

Result<FsObjectStore::Found> FsObjectStore::OpenEntry(const std::string& bucket,
                                                      const std::string& key,
                                                      const VersionName& name) {
  const std::string path = VersionDirOf(bucket, key) + "/" + EncodeVersionName(name);
  // Still being moved there by an answered write: read where it is now.
  auto moved = DisplacedOf(bucket, key);
  if (!moved.ok()) return moved.status();
  for (auto& [to, view] : *moved) {
    if (to != path) continue;
    auto meta = MetaOfNode(*backend_, dirops::NodePath{to, dirops::NodeKind::kFile}, view);
    if (!meta.ok()) return meta.status();
    meta->version_id = name.S3Id();
    return Found{std::move(*meta), std::move(view.data)};
  }
  auto file = backend_->Open(path, fs::Backend::OpenMode::kRead);
  if (!file.ok()) return fs::IsMissing(file.status()) ? NoSuchVersion() : file.status();
  std::shared_ptr<fs::File> data = std::move(*file);
  auto meta = ReadObjectMeta(*data);
  if (!meta.ok()) return meta.status();
  meta->version_id = name.S3Id();
  return Found{std::move(*meta), std::move(data)};
}

Result<bool> FsObjectStore::KeepPlainInHistory(const std::string& bucket, const std::string& key,
                                               const KeyHistory& history) {
  if (Status s = MakeVersionDir(*backend_, bucket, key, options_.fsync); !s.ok()) {
    return S3StatusOf(s, key);
  }
  // A hard link keeps the plain file in place: readers and listings see the
  // key throughout. Without links, a rename, and the key has no file until
  // the caller links the next one. Its bytes are made durable first: an
  // async create's may not be yet (dirops/displace.h).
  auto moved = dirops::DisplaceFile(
      *backend_, history.node.path,
      VersionDirOf(bucket, key) + "/" + EncodeVersionName(history.plain_name), options_.fsync);
  if (!moved.ok()) return moved.status();
  return *moved != dirops::Displacement::kRenamed;
}

Status FsObjectStore::RemovePlain(const std::string& bucket, const std::string& key,
                                  const dirops::NodePath& node, bool linked) {
  if (linked) return S3StatusOf(ns_->Remove(node, VersionedOp()), key);
  // Renamed away: its removal made durable (or a power cut could bring the
  // old latest back in front of a delete marker), and the key's directories
  // pruned when it was their last object (never a directory object); a crash
  // before that leaves them to the start-up sweep.
  const std::string& path = node.path;
  if (options_.fsync) {
    if (Status s = backend_->SyncDir(fs::ParentPath(path)); !s.ok()) return s;
  }
  for (std::string parent = fs::ParentPath(path); parent != bucket && !parent.empty();
       parent = fs::ParentPath(parent)) {
    auto dir_object = ReadDirObjectMeta(*backend_, parent);
    if (!dir_object.ok() || dir_object->has_value()) break;
    if (!backend_->Rmdir(parent).ok()) break;
  }
  return Status::Ok();
}

Status FsObjectStore::PromoteEntry(const std::string& bucket, const std::string& key,
                                   const VersionName& name, std::unique_lock<std::mutex>& nest) {
  const std::string path = VersionDirOf(bucket, key) + "/" + EncodeVersionName(name);
  auto st = backend_->Stat(path);
  if (!st.ok()) return st.status();
  StagedNode staged;
  staged.file.path = path;
  staged.size = st->size;
  staged.mtime_ns = st->mtime_ns;
  // At the key's nested name when "key/" is a directory (nest mode).
  auto linked = PublishAtKey(bucket, key, std::move(staged), {}, VersionedOp(), nest);
  return linked.ok() ? Status::Ok() : S3StatusOf(linked.status(), key);
}

Status FsObjectStore::RemoveEntries(const std::string& bucket, const std::string& key,
                                    const std::vector<VersionName>& names) {
  if (names.empty()) return Status::Ok();
  const std::string dir = VersionDirOf(bucket, key);
  for (const VersionName& name : names) {
    Status s = backend_->Unlink(dir + "/" + EncodeVersionName(name));
    if (!s.ok() && !fs::IsMissing(s)) return s;
  }
  if (options_.fsync) {
    if (Status s = backend_->SyncDir(dir); !s.ok() && !fs::IsMissing(s)) return s;
  }
  PruneVersionDirs(*backend_, bucket, dir);
  return Status::Ok();
}

Status FsObjectStore::DropDuplicate(const std::string& bucket, const std::string& key,
                                    KeyHistory& history) {
  if (!history.duplicate) return Status::Ok();
  // Both names are one inode: a rename of one over the other would do nothing.
  Status s = RemoveEntries(bucket, key, {*history.duplicate});
  if (s.ok()) history.duplicate.reset();
  return s;
}

Result<ObjectMeta> FsObjectStore::PublishVersioned(const std::string& bucket,
                                                   const std::string& key, StagedNode staged,
                                                   ObjectMeta meta, const dirops::WriteCheck& check,
                                                   const std::string& versioning,
                                                   bool sync_dirops) {
  auto lock = LockVersions(bucket, key);
  // Held throughout: the plain file stays at the name its history found it.
  auto nest = LockNest(bucket, key);
  const bool enabled = versioning == kEnabled;
  // With async dirops a write is one intent of the engine: the old latest
  // displaced into the history (unless it is the null version a Suspended
  // write replaces) and the new one linked, and, Suspended, the null version
  // in the history dropped; answered once journaled, read from the overlay at
  // both paths until applied (a dropped null version is hidden by the newer
  // one meanwhile: KeyHistory::stale). What a crash left to clean up (a
  // duplicate, stale entries) takes the sync path.
  bool as_intent = options_.async_dirops;
  std::optional<KeyHistory> history;
  auto load = [&]() -> Status {
    auto loaded = LoadHistory(bucket, key);
    if (!loaded.ok()) return loaded.status();
    history = std::move(*loaded);
    return Status::Ok();
  };
  if (as_intent) {
    if (Status s = load(); !s.ok()) return s;
    as_intent = !history->duplicate && history->stale.empty();
  }
  if (!as_intent) {
    if (Status s = WaitKey(bucket, key); !s.ok()) return s;
    if (Status s = load(); !s.ok()) return s;
    if (Status s = DropDuplicate(bucket, key, *history); !s.ok()) return s;
  }
  if (check) {
    Status s = check(history->plain_view ? &*history->plain_view : nullptr);
    if (!s.ok()) return S3StatusOf(s, key);
  }
  uint64_t newest = history->plain ? history->plain_name.stamp : 0;
  if (!history->older.empty()) newest = std::max(newest, history->older.front().stamp);
  meta.version_id = enabled ? EncodeVersionId(version_clock_.Next(newest + 1)) : "";
  if (enabled) {
    // The record the staging file holds must name the version.
    staged.attrs = EncodeObjectAttrs(meta, false);
    if (!staged.inline_data) {
      auto file = backend_->Open(staged.file.path, fs::Backend::OpenMode::kReadWrite);
      if (!file.ok()) return file.status();
      Status s = WriteObjectMeta(**file, meta);
      if (s.ok() && options_.fsync) s = (*file)->Sync();
      if (s.ok()) s = (*file)->Close();
      if (!s.ok()) return s;
    }
  }
  // Suspended: a null latest is replaced in place; any other latest is kept.
  const bool keep_plain = history->plain && (enabled || !history->plain_name.null);
  bool linked = false;
  OpOptions op = VersionedOp();
  if (as_intent) {
    op = OpOptions{};
    op.sync = sync_dirops;  // the engine then moves and links before answering
    if (keep_plain) {
      // A version entry of a key above standing in the way is refused before
      // the answer; the applier makes the directory.
      if (Status s = CheckVersionDir(*backend_, bucket, key); !s.ok()) return S3StatusOf(s, key);
      op.displace_to = VersionDirOf(bucket, key) + "/" + EncodeVersionName(history->plain_name);
    }
    op.drop = SupersededNull(VersionDirOf(bucket, key), history->older, enabled);
  } else if (keep_plain) {
    auto kept = KeepPlainInHistory(bucket, key, *history);
    if (!kept.ok()) return kept.status();
    linked = *kept;
  }
  // At the plain file's name; with none, a name conflict nests (nest mode):
  // the file of a key above moves into its directory first (only a new key
  // meets one: the plain file's name holds no conflict), or the key goes in
  // its own directory, as for an unversioned key.
  auto mtime = PublishAtKey(bucket, key, std::move(staged), {}, op, nest);
  if (!mtime.ok()) {
    if (as_intent) return S3StatusOf(mtime.status(), key);  // the engine undid its move
    // The old latest stays the latest either way; its history name goes, or
    // (renamed there) it goes back in place.
    if (keep_plain && linked) (void)RemoveEntries(bucket, key, {history->plain_name});
    if (keep_plain && !linked) (void)PromoteEntry(bucket, key, history->plain_name, nest);
    return S3StatusOf(mtime.status(), key);
  }
  if (!as_intent) {
    std::vector<VersionName> replaced = history->stale;
    if (!enabled) {
      for (const VersionName& name : history->older) {
        if (name.null) replaced.push_back(name);
      }
    }
    if (Status s = RemoveEntries(bucket, key, replaced); !s.ok()) return s;
  }
  meta.mtime_ns = *mtime;
  meta.version_id = enabled ? meta.version_id : std::string(kNullVersionId);
  return meta;
}

Result<FsObjectStore::Found> FsObjectStore::FindVersion(const std::string& bucket,
                                                        const std::string& key,
                                                        const std::string& version_id) {
  auto versioning = VersioningOf(bucket);
  if (!versioning.ok()) return versioning.status();
  if (versioning->empty()) {
    if (!version_id.empty() && version_id != kNullVersionId) return NoSuchVersion();
    return Find(bucket, key);
  }
  auto history = LoadHistory(bucket, key);
  if (!history.ok()) return history.status();
  if (history->plain) {
    history->plain->meta.version_id = history->plain_name.S3Id();
    if (version_id.empty() || version_id == history->plain->meta.version_id) {
      return std::move(*history->plain);
    }
  }
  const std::vector<VersionName>& older = history->older;
  const size_t at = version_id.empty() ? (history->plain || older.empty() ? older.size() : 0)
                                       : FindById(older, version_id);
  if (at == older.size())
    return version_id.empty() ? KeyMissing(bucket, key, dirops::NameNotFound()) : NoSuchVersion();
  if (older[at].delete_marker) {
    if (version_id.empty()) return S3Error(s3err::kNoSuchKey, "The specified key does not exist.");
    return S3Error(s3err::kMethodNotAllowed,
                   "The specified method is not allowed against this resource.");
  }
  return OpenEntry(bucket, key, older[at]);
}

Result<std::unique_ptr<ObjectReader>> FsObjectStore::GetObjectVersion(
    const std::string& bucket, const std::string& key, const std::string& version_id) {
  if (Status s = ValidateBucketName(bucket); !s.ok()) return s;
  if (Status s = ValidateKey(key); !s.ok()) return s;
  auto version = FindVersion(bucket, key, version_id);
  if (!version.ok()) return version.status();
  return std::unique_ptr<ObjectReader>(
      std::make_unique<FileReader>(std::move(version->meta), std::move(version->data)));
}

Result<ObjectMeta> FsObjectStore::UpdateVersionMeta(
    const std::string& bucket, const std::string& key, const std::string& version_id,
    const std::function<Status(ObjectMeta&)>& change) {
  if (Status s = CheckObject(bucket, key); !s.ok()) return s;
  auto gate = bucket_gate_.Write(bucket);
  auto lock = LockVersions(bucket, key);
  auto nest = LockNest(bucket, key);
  if (Status s = WaitKey(bucket, key); !s.ok()) return s;
  auto version = FindVersion(bucket, key, version_id);
  if (!version.ok()) return version.status();
  ObjectMeta changed = version->meta;
  if (Status s = change(changed); !s.ok()) return s;
  if (!version->data) {  // a directory: its one metadata, as for an unversioned key
    if (nest.owns_lock()) nest.unlock();  // UpdateObjectMeta takes it
    // `change` succeeded on what was found; it is applied again to what the
    // write finds, and fails the same way only if that changed meanwhile.
    return UpdateObjectMeta(bucket, key, [&change](ObjectMeta& meta) { (void)change(meta); });
  }
  // Through the open file: its inode is the version's wherever its name is.
  Status s = RewriteObjectMeta(*version->data, changed);
  if (s.ok() && options_.fsync) s = version->data->Sync();
  if (!s.ok()) return s;
  return changed;
}

Result<ObjectMeta> FsObjectStore::PutObjectVersionTagging(const std::string& bucket,
                                                          const std::string& key,
                                                          const std::string& version_id,
                                                          HeaderList tags) {
  return UpdateVersionMeta(bucket, key, version_id, [&tags](ObjectMeta& meta) {
    meta.tags = std::move(tags);
    return Status::Ok();
  });
}

Result<std::string> FsObjectStore::LatestDeleteMarker(const std::string& bucket,
                                                      const std::string& key) {
  if (Status s = CheckObject(bucket, key); !s.ok()) return s;
  auto history = LoadHistory(bucket, key);
  if (!history.ok()) return history.status();
  if (history->plain || history->older.empty() || !history->older.front().delete_marker) {
    return S3Error(s3err::kNoSuchKey, "The specified key does not exist.");
  }
  return history->older.front().S3Id();
}

Result<size_t> FsObjectStore::RepairVersions() {
  auto buckets = backend_->ReadDir(layout::kVersions);
  if (!buckets.ok()) {
    if (fs::IsMissing(buckets.status())) return size_t{0};
    return buckets.status();
  }
  size_t repaired = 0;
  for (const auto& entry : *buckets) {
    const std::string& bucket = entry.name;
    if (!CheckBucket(bucket).ok()) continue;
    auto cursor = MakeHistoryKeyCursor(*backend_, bucket, "", "");
    for (;;) {
      auto next = cursor->Next();
      if (!next.ok()) return next.status();
      if (!next->has_value()) break;
      const std::string& key = (*next)->key;
      auto lock = LockVersions(bucket, key);
      auto nest = LockNest(bucket, key);
      auto history = LoadHistory(bucket, key);
      if (!history.ok()) return history.status();
      if (Status s = DropDuplicate(bucket, key, *history); !s.ok()) return s;
      if (Status s = RemoveEntries(bucket, key, history->stale); !s.ok()) return s;
      // A version moved out of the way of a PUT that never linked its own.
      if (!history->plain && !history->older.empty() && !history->older.front().delete_marker) {
        if (Status s = PromoteEntry(bucket, key, history->older.front(), nest); !s.ok()) return s;
        ++repaired;
      }
    }
  }
  return repaired;
}

// One intent of the engine: the plain file displaced to its history entry
// (unless it is the null version a Suspended DELETE replaces: then it goes),
// the delete marker made beside it, and, Suspended, the older null version
// dropped. Until applied the overlay serves the key as deleted, the moved
// version and the marker at their entries' paths.
Result<DeletedVersion> FsObjectStore::DeleteAsIntent(const std::string& bucket,
                                                     const std::string& key,
                                                     const KeyHistory& history, bool enabled,
                                                     bool sync_dirops) {
  uint64_t newest = history.plain_name.stamp;
  if (!history.older.empty()) newest = std::max(newest, history.older.front().stamp);
  const VersionName marker{version_clock_.Next(newest + 1), !enabled, true};
  // A version entry of a key above standing in the way is refused before the
  // answer; the applier makes the directory.
  if (Status s = CheckVersionDir(*backend_, bucket, key); !s.ok()) return S3StatusOf(s, key);
  const std::string dir = VersionDirOf(bucket, key);
  OpOptions op;
  op.sync = sync_dirops;  // the engine then makes every step before answering
  op.marker = dir + "/" + EncodeVersionName(marker);
  if (enabled || !history.plain_name.null) {
    op.displace_to = dir + "/" + EncodeVersionName(history.plain_name);
  }
  op.drop = SupersededNull(dir, history.older, enabled);
  if (Status s = ns_->Remove(history.node, op); !s.ok()) return S3StatusOf(s, key);
  return DeletedVersion{marker.S3Id(), true};
}

Result<DeletedVersion> FsObjectStore::DeleteObjectVersion(const std::string& bucket,
                                                          const std::string& key,
                                                          const std::string& version_id,
                                                          bool sync_dirops) {
  return DeleteVersion(bucket, key, version_id, sync_dirops, nullptr);
}

Result<DeletedVersion> FsObjectStore::DeleteVersion(const std::string& bucket,
                                                    const std::string& key,
                                                    const std::string& version_id, bool sync_dirops,
                                                    const DeleteConditions* conditions) {
  if (Status s = CheckObject(bucket, key); !s.ok()) return s;
  auto versioning = VersioningOf(bucket);
  if (!versioning.ok()) return versioning.status();
  if (versioning->empty() || IsDirectoryKey(key)) {
    if (!version_id.empty() && version_id != kNullVersionId) return DeletedVersion{version_id};
    if (Status s = RemoveObject(bucket, key, sync_dirops, conditions); !s.ok()) return s;
    return DeletedVersion{version_id};
  }
  auto gate = bucket_gate_.Write(bucket);
  auto lock = LockVersions(bucket, key);
  auto nest = LockNest(bucket, key);
  // With async dirops a DELETE of a key that has a plain file is one intent,
  // as a PUT is (PublishVersioned); anything else, or what a crash left to
  // clean up, takes the sync path once the key's pending ops have landed.
  auto loaded = LoadHistory(bucket, key);
  if (!loaded.ok()) return loaded.status();
  std::optional<KeyHistory> history = std::move(*loaded);
  const bool as_intent = version_id.empty() && options_.async_dirops && history->plain &&
                         !history->duplicate && history->stale.empty();
  if (!as_intent) {
    if (Status s = WaitKey(bucket, key); !s.ok()) return s;
    loaded = LoadHistory(bucket, key);
    if (!loaded.ok()) return loaded.status();
    history = std::move(*loaded);
    if (Status s = DropDuplicate(bucket, key, *history); !s.ok()) return s;
  }
  if (conditions != nullptr) {
    auto there = CheckVersionConditions(bucket, key, *history, version_id, *conditions);
    if (!there.ok()) return there.status();
    if (!*there) return DeletedVersion{version_id};  // nothing to delete, no marker made
  }
  const std::vector<VersionName>& older = history->older;
  if (version_id.empty()) {
    const bool enabled = *versioning == kEnabled;
    if (as_intent) return DeleteAsIntent(bucket, key, *history, enabled, sync_dirops);
    std::optional<bool> linked;  // the plain file kept in the history: by a link?
    if (history->plain) {
      auto kept = KeepPlainInHistory(bucket, key, *history);
      if (!kept.ok()) return kept.status();
      linked = *kept;
    }
    uint64_t newest = history->plain ? history->plain_name.stamp : 0;
    if (!older.empty()) newest = std::max(newest, older.front().stamp);
    VersionName marker{version_clock_.Next(newest + 1), !enabled, true};
    if (Status s = MakeVersionDir(*backend_, bucket, key, options_.fsync); !s.ok()) {
      return S3StatusOf(s, key);
    }
    if (Status s = CreateMarkerEntry(*backend_, VersionDirOf(bucket, key), marker, options_.fsync);
        !s.ok()) {
      return s;
    }
    // Only now the plain file goes: until the marker is durable it is the latest.
    if (linked) {
      if (Status s = RemovePlain(bucket, key, history->node, *linked); !s.ok()) return s;
    }
    // Suspended: the marker is the null version now; the one it replaces goes.
    std::vector<VersionName> replaced = history->stale;
    if (!enabled) {
      if (history->plain && history->plain_name.null) replaced.push_back(history->plain_name);
      for (const VersionName& name : older) {
        if (name.null) replaced.push_back(name);
      }
    }
    if (Status s = RemoveEntries(bucket, key, replaced); !s.ok()) return s;
    return DeletedVersion{marker.S3Id(), true};
  }

  if (history->plain && history->plain_name.S3Id() == version_id) {
    // The next version replaces it in one rename; a marker or nothing: unlinked.
    Status s = !older.empty() && !older[0].delete_marker
                   ? PromoteEntry(bucket, key, older[0], nest)
                   : S3StatusOf(ns_->Remove(history->node, VersionedOp()), key);
    if (!s.ok()) return s;
    return DeletedVersion{version_id, false};
  }
  const size_t at = FindById(older, version_id);
  if (at == older.size()) return DeletedVersion{version_id, false};
  const bool was_latest = !history->plain && at == 0;
  std::vector<VersionName> removed = history->stale;
  removed.push_back(older[at]);
  if (Status s = RemoveEntries(bucket, key, removed); !s.ok()) return s;
  if (was_latest && older.size() > 1 && !older[1].delete_marker) {
    if (Status s = PromoteEntry(bucket, key, older[1], nest); !s.ok()) return s;
  }
  return DeletedVersion{version_id, older[at].delete_marker};
}

}  // namespace fsgate::store
