// Conditional deletes (object_store.h DeleteConditions): the conditions are
// judged where the delete itself is serialized — an unversioned key under its
// name's lock in the engine (OpOptions::remove_check, beside the unlink), a
// versioned one under the key's version lock, which every versioned write of
// the key holds — so a PUT racing the DELETE is either seen by the check or
// comes after the delete, never between them.
#include <algorithm>

#include "store/fs_object_store.h"
#include "store/key_path.h"
#include "store/object_meta_codec.h"
#include "store/s3_errors.h"

namespace fsgate::store {
namespace {

// What a delete's conditions are judged against.
struct DeleteTarget {
  std::optional<std::string> etag;  // none for a delete marker
  int64_t mtime_ns = 0;
  uint64_t size = 0;
};

DeleteTarget TargetOf(const ObjectMeta& meta) { return {meta.etag, meta.mtime_ns, meta.size}; }

DeleteTarget MarkerTarget(const VersionName& marker) {
  return {std::nullopt, static_cast<int64_t>(marker.stamp), 0};
}

// "*" holds for whatever the delete acts on, a delete marker too (it is
// there to be hidden again); an ETag never matches a marker. Times compare in
// whole seconds, as HTTP dates carry them.
Status CheckTarget(const DeleteConditions& conditions, const DeleteTarget& target) {
  const bool holds = (!conditions.if_match || *conditions.if_match == "*" ||
                      (target.etag && *conditions.if_match == *target.etag)) &&
                     (!conditions.last_modified_s ||
                      *conditions.last_modified_s == target.mtime_ns / 1'000'000'000) &&
                     (!conditions.size || *conditions.size == target.size);
  if (holds) return Status::Ok();
  return S3Error(s3err::kPreconditionFailed,
                 "At least one of the pre-conditions you specified did not hold");
}

}  // namespace

Result<DeletedVersion> FsObjectStore::DeleteObjectIf(const std::string& bucket,
                                                     const std::string& key,
                                                     const std::string& version_id,
                                                     const DeleteConditions& conditions,
                                                     bool sync_dirops) {
  return DeleteVersion(bucket, key, version_id, sync_dirops, &conditions);
}

Status FsObjectStore::RemoveObject(const std::string& bucket, const std::string& key,
                                   bool sync_dirops, const DeleteConditions* conditions) {
  OpOptions op;
  op.sync = sync_dirops;
  std::unique_lock<std::mutex> nest_lock;
  if (options_.nest_key_conflicts) nest_lock = nest_locks_.LockKey(bucket, key);
  const dirops::NodePath node = KeyNode(bucket, key);
  dirops::WriteCheck check;  // built only for a conditional delete: every DELETE comes here
  if (conditions != nullptr) {
    check = [&](const dirops::NodeView* current) -> Status {
      if (current == nullptr) return Status::Ok();
      auto meta = MetaOfNode(*backend_, node, *current);
      if (!meta.ok()) return meta.status().Is(StatusCode::kNotFound) ? Status::Ok() : meta.status();
      return CheckTarget(*conditions, TargetOf(*meta));
    };
    op.remove_check = &check;
  }
  auto gate = bucket_gate_.Write(bucket);
  return S3StatusOf(ns_->Remove(node, op), key);
}

Result<bool> FsObjectStore::CheckVersionConditions(const std::string& bucket,
                                                   const std::string& key,
                                                   const KeyHistory& history,
                                                   const std::string& version_id,
                                                   const DeleteConditions& conditions) {
  std::optional<DeleteTarget> target;
  const std::vector<VersionName>& older = history.older;
  if (history.plain && (version_id.empty() || history.plain_name.S3Id() == version_id)) {
    target = TargetOf(history.plain->meta);
  } else if (auto at = version_id.empty() ? older.begin()
                                          : std::find_if(older.begin(), older.end(),
                                                         [&](const auto& name) {
                                                           return name.S3Id() == version_id;
                                                         });
             at != older.end()) {
    if (at->delete_marker) {
      target = MarkerTarget(*at);
    } else {
      auto found = OpenEntry(bucket, key, *at);
      if (found.ok()) {
        target = TargetOf(found->meta);
      } else if (!found.status().Is(StatusCode::kNotFound)) {
        return found.status();
      }
    }
  }
  if (!target) return false;
  if (Status s = CheckTarget(conditions, *target); !s.ok()) return s;
  return true;
}

}  // namespace fsgate::store
