// FsObjectStore: the ObjectStore over a Namespace and a Backend. Everything
// S3-shaped happens here (validation, key mapping, metadata, copy, multipart,
// delimiter folding); every namespace change and read goes through the Namespace.
//
// The implementation is split by S3 area: bucket_ops.cpp, object_ops.cpp,
// list_objects.cpp, multipart.cpp; object_store_open.cpp builds it.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "dirops/async_namespace.h"
#include "dirops/namespace.h"
#include "fs/backend.h"
#include "store/bucket_cache.h"
#include "store/bucket_gate.h"
#include "store/dir_listing_cache.h"
#include "store/gateway_state.h"
#include "store/journal_adoption.h"
#include "store/multipart_expiry.h"
#include "store/nest_locks.h"
#include "store/object_store.h"
#include "store/version_id.h"

namespace fsgate::store {

using dirops::kInlineObjectMax;
using dirops::Namespace;
using dirops::OpOptions;
using dirops::StagedNode;
using dirops::StagingFile;

class FsObjectStore final : public ObjectStore {
 public:
  // `gateway` (the lock on its engine state) is held as long as the store.
  FsObjectStore(std::unique_ptr<fs::Backend> backend, std::unique_ptr<GatewayState> gateway,
                std::unique_ptr<Namespace> ns, StoreOptions options, metrics::Metrics& metrics);
  ~FsObjectStore() override;

  using ObjectStore::CreateBucket;
  Status CreateBucket(const std::string& bucket, const BucketAttributes& attributes) override;
  Status DeleteBucket(const std::string& bucket) override;
  Result<BucketInfo> HeadBucket(const std::string& bucket) override;
  Result<std::vector<BucketInfo>> ListBuckets() override;

  Result<std::unique_ptr<ObjectWriter>> BeginPut(PutRequest request) override;
  Result<std::unique_ptr<ObjectReader>> GetObject(const std::string& bucket,
                                                  const std::string& key) override;
  Result<ObjectMeta> HeadObject(const std::string& bucket, const std::string& key) override;
  Status DeleteObject(const std::string& bucket, const std::string& key, bool sync_dirops,
                      bool bucket_found = false) override;
  std::vector<Status> DeleteObjects(const std::string& bucket, const std::vector<std::string>& keys,
                                    bool sync_dirops) override;
  Result<ObjectMeta> CopyObject(const CopyRequest& request) override;
  Result<ListResult> ListObjects(const std::string& bucket, const ListRequest& request) override;
  Result<ObjectMeta> PutObjectTagging(const std::string& bucket, const std::string& key,
                                      HeaderList tags) override;
  Result<ObjectMeta> PutObjectAcl(const std::string& bucket, const std::string& key,
                                  std::string acl) override;
  Status PutBucketVersioning(const std::string& bucket, const std::string& state) override;
  Result<std::unique_ptr<ObjectReader>> GetObjectVersion(const std::string& bucket,
                                                         const std::string& key,
                                                         const std::string& version_id) override;
  Result<std::string> LatestDeleteMarker(const std::string& bucket,
                                         const std::string& key) override;
  Result<DeletedVersion> DeleteObjectVersion(const std::string& bucket, const std::string& key,
                                             const std::string& version_id,
                                             bool sync_dirops) override;
  Result<DeletedVersion> DeleteObjectIf(const std::string& bucket, const std::string& key,
                                        const std::string& version_id,
                                        const DeleteConditions& conditions,
                                        bool sync_dirops) override;
  Result<ObjectMeta> UpdateVersionMeta(const std::string& bucket, const std::string& key,
                                       const std::string& version_id,
                                       const std::function<Status(ObjectMeta&)>& change) override;
  Result<ObjectMeta> PutObjectVersionTagging(const std::string& bucket, const std::string& key,
                                             const std::string& version_id,
                                             HeaderList tags) override;
  Result<VersionListResult> ListObjectVersions(const std::string& bucket,
                                               const VersionListRequest& request) override;
  Status PutBucketTagging(const std::string& bucket, HeaderList tags) override;
  Status PutBucketPolicy(const std::string& bucket, std::string policy) override;
  Status PutBucketAcl(const std::string& bucket, std::string acl) override;
  Status PutPublicAccessBlock(const std::string& bucket, std::string block) override;
  Status PutBucketOwnershipControls(const std::string& bucket, std::string ownership) override;
  Status PutBucketCors(const std::string& bucket, std::string cors) override;
  Status PutBucketObjectLock(const std::string& bucket, std::string object_lock) override;

  Result<std::string> CreateMultipartUpload(const PutRequest& request) override;
  Result<std::unique_ptr<ObjectWriter>> BeginUploadPart(const std::string& bucket,
                                                        const std::string& key,
                                                        const std::string& upload_id,
                                                        int part_number) override;
  using ObjectStore::CompleteMultipartUpload;
  Result<ObjectMeta> CompleteMultipartUpload(const std::string& bucket, const std::string& key,
                                             const std::string& upload_id,
                                             const std::vector<CompletedPart>& parts,
                                             const WriteConditions& conditions,
                                             const CompleteClaims& claims) override;
  Status AbortMultipartUpload(const std::string& bucket, const std::string& key,
                              const std::string& upload_id) override;
  Result<UploadInfo> HeadUpload(const std::string& bucket, const std::string& key,
                                const std::string& upload_id) override;
  Result<std::vector<PartInfo>> ListParts(const std::string& bucket, const std::string& key,
                                          const std::string& upload_id) override;
  Result<std::vector<UploadInfo>> ListMultipartUploads(const std::string& bucket) override;
  Result<size_t> AbortExpiredUploads(int64_t initiated_before_ns) override;

  Status Drain() override;
  std::string AsyncStatusJson() override;
  Status WriteHealth() override;

  // After an unclean stop: puts back, as the plain file, each latest version
  // a crash left only in its key's history (object_versions.cpp), and drops
  // replaced null versions. How many were put back.
  Result<size_t> RepairVersions();

  fs::Backend& backend() { return *backend_; }
  // Drops what is cached about `bucket` (its attributes): called when this
  // gateway takes the bucket's cap, since another gateway may have changed it.
  void ForgetBucket(const std::string& bucket) { bucket_cache_.Forget(bucket); }
  Namespace& ns() { return *ns_; }
  // Takes over the adoption of dead gateways' journals and starts its passes
  // (StoreOptions::adopt_interval).
  void StartAdoption(std::unique_ptr<JournalAdoption> adoption);
  // The before_acquire hook of bucket caps: adoption().AdoptDeadGateways().
  JournalAdoption& adoption() { return *adoption_; }

 private:
  // The object at bucket/key when it is the one CompleteMultipartUpload of
  // `parts` made (its multipart ETag): a completion's retry answers it again.
  std::optional<ObjectMeta> CompletedFrom(const std::string& bucket, const std::string& key,
                                          const std::vector<CompletedPart>& parts);
  // NoSuchBucket (or InvalidBucketName) unless the bucket exists.
  Status CheckBucket(const std::string& bucket);
  // CheckBucket, and the directory's stat when it exists: its kind and inode
  // number, no times (fs::Backend::StatNoTimes).
  Result<fs::FileStat> StatBucket(const std::string& bucket);
  // Bucket and key both valid, bucket existing.
  Status CheckObject(const std::string& bucket, const std::string& key);
  // CheckObject without the bucket's stat.
  static Status ValidateObjectNames(const std::string& bucket, const std::string& key);
  // The S3 error a failed lookup of `key` means (S3StatusOf); NoSuchKey
  // becomes NoSuchBucket when the bucket is gone.
  Status KeyMissing(const std::string& bucket, const std::string& key, Status engine);
  // Publishes an object at bucket/key through the engine: its node, its
  // metadata as the engine's blob, the write conditions as its check. The
  // object's metadata as answered.
  Result<ObjectMeta> Publish(const std::string& bucket, const std::string& key, StagingFile staging,
                             ObjectMeta meta, std::shared_ptr<const std::string> inline_data,
                             const WriteConditions& conditions, bool sync_dirops);
  // The current version of bucket/key: its metadata and open data file.
  struct Found {
    ObjectMeta meta;
    std::shared_ptr<fs::File> data;  // null for a directory object
  };
  Result<Found> Find(const std::string& bucket, const std::string& key);

  // --key-conflicts nest (key_nesting.cpp; nested_key.h). The node of `key`
  // found, and which (its nested file or ObjectNode).
  Result<dirops::NodeView> FindNode(const std::string& bucket, const std::string& key,
                                    dirops::NodePath& node);
  // The node `key` is at now: its nested file when there is one (nest mode),
  // else ObjectNode. Stable under the key's nest lock.
  dirops::NodePath KeyNode(const std::string& bucket, const std::string& key);
  // The key's nest lock in nest mode (none for a directory key, or else):
  // held, the key's node (KeyNode) stays where it is.
  std::unique_lock<std::mutex> LockNest(const std::string& bucket, const std::string& key);
  // Publish in nest mode: at KeyNode; on a name conflict, a file above the
  // key is moved into its directory, or the key goes into its own. `lock` is
  // the key's nest lock, taken when not held, let go while a file above
  // moves, held on return.
  Result<int64_t> PublishNesting(const std::string& bucket, const std::string& key,
                                 const StagedNode& staged, const dirops::WriteCheck& check,
                                 OpOptions op, std::unique_lock<std::mutex>& lock);
  // Publish at the key's node: PublishNesting in nest mode, else at ObjectNode.
  Result<int64_t> PublishAtKey(const std::string& bucket, const std::string& key, StagedNode staged,
                               const dirops::WriteCheck& check, OpOptions op,
                               std::unique_lock<std::mutex>& lock);
  // The shortest key above `key` ("a" for "a/b/c") that is a file object.
  std::optional<std::string> FileAbove(const std::string& bucket, const std::string& key);
  // Moves the file object `key` to its nested name, durably (nested_key.h).
  Status NestKey(const std::string& bucket, const std::string& key);
  // Waits for the answered ops of the key's node (both of its names in nest
  // mode: a nested key deleted, its directory gone, may be a plain file again).
  Status WaitKey(const std::string& bucket, const std::string& key);
  // The files answered ops of the key move into its history, not there yet
  // (Namespace::Displaced of both its names in nest mode).
  Result<std::vector<dirops::DisplacedView>> DisplacedOf(const std::string& bucket,
                                                         const std::string& key);

  // Versioning (object_versions.cpp). The bucket's state, "" when it never had any.
  Result<std::string> VersioningOf(const std::string& bucket);
  // A key's versions as they stand: the plain file (the latest when present)
  // and the older entries, newest first.
  struct KeyHistory {
    std::optional<Found> plain;
    std::optional<dirops::NodeView> plain_view;
    // Where the plain file is (its nested name in nest mode: nested_key.h),
    // or, with none, ObjectNode.
    dirops::NodePath node;
    VersionName plain_name;  // the plain file's place in the history
    std::vector<VersionName> older;
    // Null versions behind a newer null one, and entries newer than a plain
    // file with an id, left by a crash: hidden, removed by the next write.
    std::vector<VersionName> stale;
    // A second name of the plain file's version in the history (a promotion's
    // rename whose source directory a power cut did not keep): hidden, and
    // removed by the next write (DropDuplicate).
    std::optional<VersionName> duplicate;
  };
  Status DropDuplicate(const std::string& bucket, const std::string& key, KeyHistory& history);
  Result<KeyHistory> LoadHistory(const std::string& bucket, const std::string& key);
  // DeleteObject and DeleteObjectVersion, made only if `conditions` hold
  // (nullptr: none) for what they remove (delete_conditions.cpp).
  Status RemoveObject(const std::string& bucket, const std::string& key, bool sync_dirops,
                      const DeleteConditions* conditions);
  Result<DeletedVersion> DeleteVersion(const std::string& bucket, const std::string& key,
                                       const std::string& version_id, bool sync_dirops,
                                       const DeleteConditions* conditions);
  // `conditions` against the version `version_id` (empty: the latest) of
  // `history`, under the key's version lock: whether there is such a version
  // (a conditional delete of nothing makes no delete marker).
  Result<bool> CheckVersionConditions(const std::string& bucket, const std::string& key,
                                      const KeyHistory& history, const std::string& version_id,
                                      const DeleteConditions& conditions);
  // Serializes the versioned writes of one key (the move of the old latest
  // and the link of the new one are one step to other writers).
  std::unique_lock<std::mutex> LockVersions(const std::string& bucket, const std::string& key);
  // Publish in a versioned bucket: `check` against the latest, the old latest
  // moved into the key's history (unless the null version it replaces), then
  // the new one linked.
  Result<ObjectMeta> PublishVersioned(const std::string& bucket, const std::string& key,
                                      StagedNode staged, ObjectMeta meta,
                                      const dirops::WriteCheck& check,
                                      const std::string& versioning, bool sync_dirops);
  // Puts the plain file's version into the key's history, durably: a hard
  // link (true), or where the backend has none, a rename (false).
  Result<bool> KeepPlainInHistory(const std::string& bucket, const std::string& key,
                                  const KeyHistory& history);
  // A DELETE without a version id of a key with a plain file, as one intent
  // of the engine (async dirops).
  Result<DeletedVersion> DeleteAsIntent(const std::string& bucket, const std::string& key,
                                        const KeyHistory& history, bool enabled, bool sync_dirops);
  // Removes the plain file once kept in the history (unlinks it when it was
  // linked there) and prunes the key's emptied directories.
  Status RemovePlain(const std::string& bucket, const std::string& key,
                     const dirops::NodePath& node, bool linked);
  // Makes an entry of the key's history the plain file again (nested when
  // "key/" is a directory; `nest`: the key's nest lock, as PublishNesting).
  Status PromoteEntry(const std::string& bucket, const std::string& key, const VersionName& name,
                      std::unique_lock<std::mutex>& nest);
  // Removes history entries (stale or replaced null versions).
  Status RemoveEntries(const std::string& bucket, const std::string& key,
                       const std::vector<VersionName>& names);
  // One version: the plain file's, or an entry's (not a delete marker).
  Result<Found> FindVersion(const std::string& bucket, const std::string& key,
                            const std::string& version_id);
  Result<Found> OpenEntry(const std::string& bucket, const std::string& key,
                          const VersionName& name);
  // Writes `meta` and publishes a staged file that holds the object's data.
  Result<ObjectMeta> PublishStaged(const std::string& bucket, const std::string& key,
                                   StagingFile staging, fs::File& file, ObjectMeta meta,
                                   const WriteConditions& conditions, bool sync_dirops);
  Status RemoveUploadsOf(const std::string& bucket);
  // Records `default_bucket_owner` for a bucket found without an owner.
  Status AdoptBucket(const std::string& bucket, BucketInfo& info);
  // Rewrites the metadata of the current version of bucket/key with `change`
  // applied (PutObjectTagging, PutObjectAcl); its data stays.
  Result<ObjectMeta> UpdateObjectMeta(const std::string& bucket, const std::string& key,
                                      const std::function<void(ObjectMeta&)>& change);
  // Rewrites the bucket record with `change` applied to its attributes.
  Status UpdateBucketAttributes(const std::string& bucket,
                                const std::function<void(BucketAttributes&)>& change);

  std::unique_ptr<fs::Backend> backend_;
  // Before the namespace: its lock is let go only once the engine has stopped.
  std::unique_ptr<GatewayState> gateway_;
  std::unique_ptr<Namespace> ns_;
  BucketGate bucket_gate_;
  BucketCache bucket_cache_;
  const StoreOptions options_;
  metrics::Metrics& metrics_;
  DirListingCache listing_cache_{options_.list_cache_bytes, metrics_};
  std::array<std::mutex, 64> version_locks_;
  NestLocks nest_locks_;
  VersionClock version_clock_;
  // Last: their threads call into the members above, and stop first
  // (the destructor says in which order).
  std::unique_ptr<MultipartExpiry> multipart_expiry_;
  std::unique_ptr<JournalAdoption> adoption_;
};

// The Namespace the store runs on, over `gateway`'s engine state: the one
// switch point between sync and async dirops. The registry is required: async
// dirops count their fallbacks, pending ops and apply lag, and an engine that
// cannot be watched must not run.
Result<std::unique_ptr<Namespace>> MakeNamespace(fs::Backend& backend, const StoreOptions& options,
                                                 const GatewayState& gateway,
                                                 metrics::Metrics& metrics);

// The engine's options for the gateway state in `gateway_dir` (.fsgate/gw/<id>):
// its journal and staging directories, for its own engine or a survivor's
// replay of it (journal_adoption.h).
dirops::AsyncOptions GatewayEngineOptions(const std::string& gateway_dir, bool fsync);

}  // namespace fsgate::store
