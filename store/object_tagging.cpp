// PutObjectTagging (and DeleteObjectTagging, an empty tag set) and
// PutObjectAcl: a change of the metadata of the version the key names, never
// of its data.
#include "dirops/node_attrs.h"
#include "store/fs_object_store.h"
#include "store/key_path.h"
#include "store/object_meta_codec.h"
#include "store/s3_errors.h"

namespace fsgate::store {
namespace {

// A PUT answered between the wait and the lookup is found pending and waited
// for again; only a key rewritten that often, back to back, runs out.
constexpr int kMaxAttempts = 16;

}  // namespace

Result<ObjectMeta> FsObjectStore::PutObjectTagging(const std::string& bucket,
                                                   const std::string& key, HeaderList tags) {
  return UpdateObjectMeta(bucket, key, [&tags](ObjectMeta& meta) { meta.tags = tags; });
}

Result<ObjectMeta> FsObjectStore::PutObjectAcl(const std::string& bucket, const std::string& key,
                                               std::string acl) {
  return UpdateObjectMeta(bucket, key, [&acl](ObjectMeta& meta) { meta.acl = acl; });
}

Result<ObjectMeta> FsObjectStore::UpdateObjectMeta(const std::string& bucket,
                                                   const std::string& key,
                                                   const std::function<void(ObjectMeta&)>& change) {
  if (Status s = CheckObject(bucket, key); !s.ok()) return s;
  std::unique_lock<std::mutex> nest_lock;
  if (options_.nest_key_conflicts) nest_lock = nest_locks_.LockKey(bucket, key);
  auto gate = bucket_gate_.Write(bucket);
  const dirops::NodePath node = KeyNode(bucket, key);
  const std::string& path = node.path;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    // The key's pending create or unlink lands first: the file at its path is
    // then the version found, and its xattr the one place its metadata lives.
    if (Status s = ns_->WaitNode(node); !s.ok()) return s;
    auto version = Find(bucket, key);
    if (!version.ok()) return version.status();
    ObjectMeta meta = std::move(version->meta);
    change(meta);
    if (node.kind == dirops::NodeKind::kDirectory) {
      Status s = dirops::WriteDirAttrs(*backend_, path, ObjectAttrNames(),
                                       EncodeObjectAttrs(meta, /*directory=*/true));
      if (s.ok() && options_.fsync) s = backend_->SyncDir(path);
      if (!s.ok()) return s;
      return meta;
    }
    if (!version->data) continue;  // pending: its data is not at the path yet
    auto found = version->data->Stat();
    if (!found.ok()) return found.status();
    auto at_path = backend_->Stat(path);
    // Still pending (a PUT answered after the wait): wait for it too.
    if (!at_path.ok() || at_path->ino != found->ino) continue;
    // Written through the open file: exactly that version, even if a later
    // PUT replaces the key meanwhile (this call then took effect before it).
    Status s = RewriteObjectMeta(*version->data, meta);
    if (s.ok() && options_.fsync) s = version->data->Sync();
    if (!s.ok()) return s;
    return meta;
  }
  return S3Error(s3err::kSlowDown, "The object was replaced too often to change its metadata.");
}

}  // namespace fsgate::store
