// The store over the engine's API: an object's node (key_path.h ObjectNode),
// its metadata as the engine's opaque blob (object_meta_codec.h), S3 write
// conditions as the engine's check, the engine's neutral failures as S3 errors.
#include "base/clock.h"
#include "store/fs_object_store.h"
#include "store/key_path.h"
#include "store/object_meta_codec.h"
#include "store/s3_errors.h"

namespace fsgate::store {
namespace {

Status ConditionFails() {
  return Status::Error(StatusCode::kFailedPrecondition, "a write condition does not hold");
}

// S3 write conditions against the current version (nullptr: absent).
Status CheckWriteConditions(const ObjectMeta* current, const WriteConditions& conditions) {
  if (conditions.if_none_match) {
    const std::string& want = *conditions.if_none_match;
    if (current != nullptr && (want == "*" || want == current->etag)) return ConditionFails();
  }
  if (conditions.if_match) {
    if (current == nullptr) return dirops::NameNotFound();
    if (*conditions.if_match != "*" && *conditions.if_match != current->etag) {
      return ConditionFails();
    }
  }
  return Status::Ok();
}

}  // namespace

Result<ObjectMeta> FsObjectStore::Publish(const std::string& bucket, const std::string& key,
                                          StagingFile staging, ObjectMeta meta,
                                          std::shared_ptr<const std::string> inline_data,
                                          const WriteConditions& conditions, bool sync_dirops) {
  const dirops::NodePath node = ObjectNode(bucket, key);
  const bool directory = node.kind == dirops::NodeKind::kDirectory;
  if (directory) {
    // A directory's mtime moves with its entries: the object keeps its own.
    meta.size = 0;
    meta.mtime_ns = NowNs();
  }
  StagedNode staged;
  staged.file = std::move(staging);
  staged.attrs = EncodeObjectAttrs(meta, directory);
  staged.size = meta.size;
  staged.mtime_ns = meta.mtime_ns;
  staged.inline_data = std::move(inline_data);
  dirops::WriteCheck check;
  if (conditions.if_match || conditions.if_none_match) {
    check = [this, &node, &conditions](const dirops::NodeView* current) -> Status {
      if (current == nullptr) return CheckWriteConditions(nullptr, conditions);
      auto found = MetaOfNode(*backend_, node, *current);
      if (!found.ok()) {
        if (found.status().Is(StatusCode::kNotFound))
          return CheckWriteConditions(nullptr, conditions);
        return found.status();
      }
      return CheckWriteConditions(&*found, conditions);
    };
  }
  if (!directory) {  // directory objects have no versions
    auto versioning = VersioningOf(bucket);
    if (!versioning.ok()) return versioning.status();
    if (!versioning->empty()) {
      auto gate = bucket_gate_.Write(bucket);
      return PublishVersioned(bucket, key, std::move(staged), std::move(meta), check, *versioning,
                              sync_dirops);
    }
  }
  auto gate = bucket_gate_.Write(bucket);
  OpOptions op;
  op.sync = sync_dirops;
  op.no_replace = conditions.if_none_match == "*";
  std::unique_lock<std::mutex> nest_lock;
  auto mtime = PublishAtKey(bucket, key, std::move(staged), check, op, nest_lock);
  if (!mtime.ok()) return S3StatusOf(mtime.status(), key);
  meta.mtime_ns = *mtime;
  return meta;
}

Result<FsObjectStore::Found> FsObjectStore::Find(const std::string& bucket,
                                                 const std::string& key) {
  dirops::NodePath node;
  auto view = FindNode(bucket, key, node);
  if (!view.ok()) return KeyMissing(bucket, key, view.status());
  auto meta = MetaOfNode(*backend_, node, *view);
  if (!meta.ok()) return KeyMissing(bucket, key, meta.status());
  return Found{std::move(*meta), std::move(view->data)};
}

}  // namespace fsgate::store
