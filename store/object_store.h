// ObjectStore: S3 buckets and objects on a Backend — the only store type the
// gateway uses. It validates bucket names and keys, maps keys to paths, keeps
// object metadata in xattrs, and (with async dirops) answers creates and
// unlinks from its overlay before the applier has made them on disk.
//
// Every reader through one ObjectStore sees every answered change at once
// (read-after-write, list-after-delete, ...), whatever the applier's lag.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "fs/backend.h"
#include "store/s3_errors.h"

namespace fsgate::metrics {
class Metrics;
}

namespace fsgate::store {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Object Lock of one version (object_lock.h).
struct ObjectLock {
  std::string mode;     // "GOVERNANCE" or "COMPLIANCE"; empty: no retention
  int64_t until_s = 0;  // retain until, seconds since the epoch
  bool legal_hold = false;
};

struct ObjectMeta {
  std::string etag;  // without quotes: hex MD5, or "<hex>-<parts>" for multipart
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  std::string content_type;
  // Content-Encoding, Content-Disposition, Content-Language, Cache-Control,
  // Expires: lower-case header name -> value as sent.
  HeaderList system_headers;
  // x-amz-meta-*: lower-case name without the prefix -> value as sent.
  HeaderList user_meta;
  // Additional checksums: algorithm ("CRC32", "CRC32C", "SHA1", "SHA256",
  // "CRC64NVME") -> base64 value.
  HeaderList checksums;
  int parts_count = 0;  // > 0 for multipart objects
  // Sizes of a multipart object's parts, in part order (GET ?partNumber=N).
  // Empty for single-part objects and for multipart objects completed before
  // fsgate recorded them.
  std::vector<uint64_t> part_sizes;
  // Object tags (x-amz-tagging, PutObjectTagging): key -> value, at most 10.
  HeaderList tags;
  // How `checksums` cover a multipart object: "COMPOSITE" (a checksum of the
  // parts' checksums, shown "<base64>-N") or "FULL_OBJECT" (of all the bytes).
  // Empty: FULL_OBJECT, as every single-part object's checksum is.
  std::string checksum_type;
  // A multipart object's part checksums (base64, of the algorithm in
  // `checksums`), in part order (GetObjectAttributes, GET ?partNumber=N).
  std::vector<std::string> part_checksums;
  // The object's ACL in auth/acl.h's codec (owner and grants); empty: private
  // to the bucket's owner, as every object written before ACLs existed.
  std::string acl;
  // In a bucket that has had versioning: the S3 version id ("null" for the
  // null version). Empty in a bucket that never had it.
  std::string version_id;
  ObjectLock lock;
};

// Stored with a bucket. The store keeps them and gives them back; what an
// owner may do, and what a region means, is the gateway's business.
struct BucketAttributes {
  std::string owner;   // the user who created the bucket
  std::string region;  // where it was created; empty when never stated
  HeaderList tags;     // PutBucketTagging; empty: no tag set
  std::string policy;  // PutBucketPolicy's JSON as sent; empty: no policy
  std::string acl;     // auth/acl.h's codec; empty: private to the owner
  // PutPublicAccessBlock's four flags as "0101" (BlockPublicAcls,
  // IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets); empty: none.
  std::string public_access_block;
  // PutBucketOwnershipControls' ObjectOwnership; empty: none (ObjectWriter).
  std::string ownership;
  std::string cors;  // PutBucketCors' CORSConfiguration, as GetBucketCors answers it
  // PutBucketVersioning: "Enabled" or "Suspended"; empty: never enabled.
  std::string versioning;
  // Object Lock, object_lock.h's EncodeBucketObjectLock; empty: none.
  std::string object_lock;
};

struct BucketInfo {
  std::string name;
  int64_t created_ns = 0;
  BucketAttributes attributes;
};

// Conditions of a conditional write (PutObject, CompleteMultipartUpload, CopyObject
// target): checked atomically with the commit.
struct WriteConditions {
  std::optional<std::string> if_match;       // ETag without quotes, or "*"
  std::optional<std::string> if_none_match;  // only "*" is meaningful for writes
};

struct PutRequest {
  std::string bucket;
  std::string key;
  ObjectMeta meta;  // content type, headers, user metadata, checksums
  WriteConditions conditions;
  bool sync_dirops = false;    // x-fsgate-dirops: sync
  int64_t expected_size = -1;  // Content-Length of the decoded body, -1 when unknown
  // The caller found the bucket while handling this request (the gateway's
  // Authorize stats it): BeginPut checks the names only, unless the key names
  // a directory object. The commit's versioning lookup stats the bucket again,
  // which is what answers NoSuchBucket for a bucket removed meanwhile (an
  // rmdir, another gateway). Measured: 2 stats of the bucket's directory per
  // PUT, not 3.
  bool bucket_found = false;
  // CreateMultipartUpload: x-amz-checksum-algorithm ("CRC32", ...; empty:
  // none), its type in meta.checksum_type.
  std::string checksum_algorithm;
  // CreateMultipartUpload: the user who initiates it; empty: anonymous.
  std::string initiator;
};

// Streams a new object's (or part's) body to the filesystem. Destroying a
// writer that was not committed discards everything it wrote.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual Status Write(std::span<const char> data) = 0;
  virtual uint64_t bytes_written() const = 0;
  // Raw 16-byte MD5 of everything written so far.
  virtual std::string Md5() = 0;
  // Publishes the object: `meta.etag` and `meta.size` are filled in by the
  // writer. Durable before it returns (per the store's fsync option).
  virtual Result<ObjectMeta> Commit(ObjectMeta meta) = 0;
};

// Reads one version of an object; stays valid if the key is later replaced or deleted.
class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  virtual const ObjectMeta& meta() const = 0;
  virtual Result<size_t> Read(uint64_t offset, std::span<char> buf) = 0;
};

struct ListRequest {
  std::string prefix;
  std::string delimiter;
  std::string marker;  // exclusive: list keys (and prefixes) strictly after it
  size_t max_keys = 1000;
};

struct ListEntry {
  std::string key;
  ObjectMeta meta;
};

struct ListResult {
  std::vector<ListEntry> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_marker;  // the last key or common prefix returned
};

struct CopyRequest {
  std::string src_bucket, src_key;
  std::string dst_bucket, dst_key;
  bool replace_metadata = false;  // x-amz-metadata-directive: REPLACE
  ObjectMeta new_meta;            // used when replace_metadata
  bool replace_tags = false;      // x-amz-tagging-directive: REPLACE
  HeaderList new_tags;            // used when replace_tags
  std::string acl;                // the copy's ACL (ObjectMeta::acl): never the source's
  ObjectLock lock;                // the copy's object lock: never the source's
  // Called with the source's metadata before copying (x-amz-copy-source-if-*).
  std::function<Status(const ObjectMeta&)> check_source;
  std::string src_version_id;  // x-amz-copy-source's ?versionId; empty: the latest
  // x-amz-checksum-algorithm (upper case): the copy's checksum, of its bytes;
  // empty: the source's whole-object checksum, if it has one.
  std::string checksum_algorithm;
  WriteConditions conditions;  // on the destination
  bool sync_dirops = false;
};

// What DeleteObject did in a bucket that has had versioning.
struct DeletedVersion {
  std::string version_id;      // of the version removed, or of the delete marker made
  bool delete_marker = false;  // a delete marker was made, or the version removed was one
};

// Conditions of a conditional delete (DeleteObject's If-Match,
// x-amz-if-match-last-modified-time and x-amz-if-match-size; DeleteObjects'
// ETag, LastModifiedTime and Size): each that is set must hold for the
// version the delete removes or hides (a delete marker has no ETag), checked
// atomically with the delete; a key or version that is not there is deleted
// as usual (204), a condition that does not hold is PreconditionFailed.
struct DeleteConditions {
  std::optional<std::string> if_match;     // ETag without quotes, or "*"
  std::optional<int64_t> last_modified_s;  // seconds since the epoch
  std::optional<uint64_t> size;
  bool Any() const { return if_match || last_modified_s || size; }
};

struct VersionListRequest {
  std::string prefix;
  std::string delimiter;
  std::string key_marker;         // exclusive, unless version_id_marker is set
  std::string version_id_marker;  // list key_marker's versions after this one
  size_t max_keys = 1000;
};

struct VersionListEntry {
  std::string key;
  ObjectMeta meta;  // its version_id set; for a delete marker only mtime_ns
  bool is_latest = false;
  bool delete_marker = false;
};

struct VersionListResult {
  std::vector<VersionListEntry> versions;  // keys in order, each key's newest first
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_key_marker, next_version_id_marker;
};

struct CompletedPart {
  CompletedPart() = default;
  CompletedPart(int n, std::string e, HeaderList c = {})
      : number(n), etag(std::move(e)), checksums(std::move(c)) {}
  int number = 0;
  std::string etag;      // without quotes
  HeaderList checksums;  // ChecksumCRC32, ...: algorithm ("CRC32") -> base64, as sent
};

// What a CompleteMultipartUpload request states of the object it makes:
// x-amz-checksum-<algorithm> (the object's checksum, as the upload's type
// makes it), x-amz-checksum-type and x-amz-mp-object-size.
struct CompleteClaims {
  HeaderList checksums;  // algorithm ("CRC32") -> base64
  std::string checksum_type;
  std::optional<uint64_t> object_size;
};

struct PartInfo {
  int number = 0;
  std::string etag;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  HeaderList checksums;  // algorithm -> base64, as verified when the part was uploaded
};

struct UploadInfo {
  std::string key;
  std::string upload_id;
  int64_t initiated_ns = 0;
  std::string checksum_algorithm;  // empty: the upload has none
  std::string checksum_type;       // "COMPOSITE" or "FULL_OBJECT" with an algorithm
  // Who initiated it (its Initiator, who may list its parts and abort it);
  // empty: anonymous, or an upload begun before initiators were kept.
  std::string initiator;
  std::string acl;  // the object-to-be's ACL (ObjectMeta::acl), which names its Owner
};

struct StoreOptions {
  bool async_dirops = true;  // --dirops async|sync
  bool fsync = true;         // --fsync on|off
  // A bucket found without an owner (a directory made by another program, or
  // a bucket of an older fsgate) is given this one when first looked up, and
  // it is recorded: who owns a bucket never changes with the configuration.
  // Empty: such buckets stay without an owner.
  std::string default_bucket_owner;
  // --multipart-expiry: uploads initiated longer ago are aborted in the
  // background; 0 keeps them until completed or aborted.
  std::chrono::seconds multipart_expiry{0};
  // --gateway-id: whose engine state (.fsgate/gw/<id>/) this store runs on.
  // Empty: the id stored in .fsgate/gateway-id, made on the first start.
  std::string gateway_id;
  // Between passes that replay the journals of dead gateways of the root
  // (journal_adoption.h); 0: only the pass at Open.
  std::chrono::milliseconds adopt_interval{2000};
  // --key-conflicts nest: an object "a" beside objects under "a/" is kept
  // inside the directory "a" (nested_key.h) instead of refused.
  bool nest_key_conflicts = false;
  // --list-cache-mib: the bound of the directory listings and ETags kept
  // between pages (dir_listing_cache.h).
  size_t list_cache_bytes = size_t{128} << 20;
};

class ObjectStore {
 public:
  // Opens the store on `backend`: checks the on-disk format, replays the intent
  // journal, and returns only when every answered operation is in place.
  static Result<std::unique_ptr<ObjectStore>> Open(std::unique_ptr<fs::Backend> backend,
                                                   StoreOptions options, metrics::Metrics& metrics);
  virtual ~ObjectStore() = default;

  // Buckets.
  // BucketAlreadyOwnedByYou when the bucket exists, whoever owns it. The
  // attributes are durable before it returns.
  virtual Status CreateBucket(const std::string& bucket, const BucketAttributes& attributes) = 0;
  Status CreateBucket(const std::string& bucket) { return CreateBucket(bucket, {}); }
  virtual Status DeleteBucket(const std::string& bucket) = 0;
  virtual Result<BucketInfo> HeadBucket(const std::string& bucket) = 0;
  virtual Result<std::vector<BucketInfo>> ListBuckets() = 0;

  // Objects.
  virtual Result<std::unique_ptr<ObjectWriter>> BeginPut(PutRequest request) = 0;
  virtual Result<std::unique_ptr<ObjectReader>> GetObject(const std::string& bucket,
                                                          const std::string& key) = 0;
  virtual Result<ObjectMeta> HeadObject(const std::string& bucket, const std::string& key) = 0;
  // Succeeds also when the key does not exist (S3 answers 204 either way).
  // `bucket_found`: the caller found the bucket while handling this request
  // (the gateway's Authorize stats it), so only the names are checked; a
  // bucket removed since is a delete ordered before that removal. Measured:
  // 1 stat of the bucket's directory per DELETE, not 2.
  virtual Status DeleteObject(const std::string& bucket, const std::string& key,
                              bool sync_dirops = false, bool bucket_found = false) = 0;
  // DeleteObject for each key (DeleteObjects), one status per key, in order.
  virtual std::vector<Status> DeleteObjects(const std::string& bucket,
                                            const std::vector<std::string>& keys,
                                            bool sync_dirops = false) = 0;
  virtual Result<ObjectMeta> CopyObject(const CopyRequest& request) = 0;
  virtual Result<ListResult> ListObjects(const std::string& bucket, const ListRequest& request) = 0;
  // Replaces the tags (empty: removes them) of the current version of
  // bucket/key, and nothing else of it: its data, ETag and Last-Modified stay.
  // Durable before it returns; the new metadata.
  virtual Result<ObjectMeta> PutObjectTagging(const std::string& bucket, const std::string& key,
                                              HeaderList tags) = 0;
  // Replaces the ACL (ObjectMeta::acl) of the current version of bucket/key,
  // as PutObjectTagging replaces its tags.
  virtual Result<ObjectMeta> PutObjectAcl(const std::string& bucket, const std::string& key,
                                          std::string acl) = 0;

  // Versioning. The bucket's state (BucketAttributes::versioning): "Enabled"
  // or "Suspended"; durable before it returns. A bucket with object lock
  // cannot be suspended (InvalidBucketState).
  virtual Status PutBucketVersioning(const std::string& bucket, const std::string& state) = 0;
  // One version of bucket/key: `version_id` ("null" or an id) or, empty, the
  // latest. A delete marker is NoSuchKey as the latest, MethodNotAllowed by
  // its id; an id the key does not have is NoSuchVersion.
  virtual Result<std::unique_ptr<ObjectReader>> GetObjectVersion(const std::string& bucket,
                                                                 const std::string& key,
                                                                 const std::string& version_id) = 0;
  // The id of the delete marker that is bucket/key's latest version;
  // NoSuchKey when the latest is not one.
  virtual Result<std::string> LatestDeleteMarker(const std::string& bucket,
                                                 const std::string& key) = 0;
  // DeleteObject with S3 versioning: without `version_id` a versioned bucket
  // gets a delete marker; with it, that version is removed for good (the next
  // one becoming the latest). Unversioned buckets delete as DeleteObject.
  virtual Result<DeletedVersion> DeleteObjectVersion(const std::string& bucket,
                                                     const std::string& key,
                                                     const std::string& version_id,
                                                     bool sync_dirops) = 0;
  // DeleteObjectVersion (DeleteObject without a version, unversioned buckets)
  // made only if `conditions` hold.
  virtual Result<DeletedVersion> DeleteObjectIf(const std::string& bucket, const std::string& key,
                                                const std::string& version_id,
                                                const DeleteConditions& conditions,
                                                bool sync_dirops) = 0;
  // Changes the metadata of one version (`version_id` empty: the latest) by
  // `change`, under the key's version lock, so that what it checks of the
  // version (its object lock) still holds when the change is written; an
  // error of `change` changes nothing. Durable before it returns.
  virtual Result<ObjectMeta> UpdateVersionMeta(
      const std::string& bucket, const std::string& key, const std::string& version_id,
      const std::function<Status(ObjectMeta&)>& change) = 0;
  // PutObjectTagging of one version (`version_id` empty: the latest).
  virtual Result<ObjectMeta> PutObjectVersionTagging(const std::string& bucket,
                                                     const std::string& key,
                                                     const std::string& version_id,
                                                     HeaderList tags) = 0;
  virtual Result<VersionListResult> ListObjectVersions(const std::string& bucket,
                                                       const VersionListRequest& request) = 0;
  // Replaces the bucket's tags (empty: removes them); durable before it returns.
  virtual Status PutBucketTagging(const std::string& bucket, HeaderList tags) = 0;
  // Replaces the bucket's policy (empty: removes it); durable before it returns.
  virtual Status PutBucketPolicy(const std::string& bucket, std::string policy) = 0;
  // Replace the bucket's ACL, public access block, ownership controls (the
  // BucketAttributes fields; empty: removes it); durable before they return.
  virtual Status PutBucketAcl(const std::string& bucket, std::string acl) = 0;
  virtual Status PutPublicAccessBlock(const std::string& bucket, std::string block) = 0;
  virtual Status PutBucketOwnershipControls(const std::string& bucket, std::string ownership) = 0;
  // The CORSConfiguration document; empty deletes it.
  virtual Status PutBucketCors(const std::string& bucket, std::string cors) = 0;
  // Sets the bucket's object lock (BucketAttributes::object_lock, never
  // empty): InvalidBucketState unless its versioning is Enabled, checked
  // with the write. Durable before it returns.
  virtual Status PutBucketObjectLock(const std::string& bucket, std::string object_lock) = 0;

  // Multipart uploads.
  virtual Result<std::string> CreateMultipartUpload(const PutRequest& request) = 0;
  // The writer's Commit() stores the part; its ObjectMeta carries the part ETag.
  virtual Result<std::unique_ptr<ObjectWriter>> BeginUploadPart(const std::string& bucket,
                                                                const std::string& key,
                                                                const std::string& upload_id,
                                                                int part_number) = 0;
  // `claims`: what the request says of the whole object, checked before it is published.
  virtual Result<ObjectMeta> CompleteMultipartUpload(const std::string& bucket,
                                                     const std::string& key,
                                                     const std::string& upload_id,
                                                     const std::vector<CompletedPart>& parts,
                                                     const WriteConditions& conditions,
                                                     const CompleteClaims& claims) = 0;
  Result<ObjectMeta> CompleteMultipartUpload(const std::string& bucket, const std::string& key,
                                             const std::string& upload_id,
                                             const std::vector<CompletedPart>& parts,
                                             const WriteConditions& conditions) {
    return CompleteMultipartUpload(bucket, key, upload_id, parts, conditions, {});
  }
  virtual Status AbortMultipartUpload(const std::string& bucket, const std::string& key,
                                      const std::string& upload_id) = 0;
  // The upload `upload_id` of exactly bucket/key (NoSuchUpload otherwise).
  virtual Result<UploadInfo> HeadUpload(const std::string& bucket, const std::string& key,
                                        const std::string& upload_id) = 0;
  virtual Result<std::vector<PartInfo>> ListParts(const std::string& bucket, const std::string& key,
                                                  const std::string& upload_id) = 0;
  virtual Result<std::vector<UploadInfo>> ListMultipartUploads(const std::string& bucket) = 0;
  // Aborts every upload, in any bucket, initiated before `initiated_before_ns`
  // (system clock); each is logged and counted (fsgate_multipart_expired_total).
  // Returns how many were aborted.
  virtual Result<size_t> AbortExpiredUploads(int64_t initiated_before_ns) = 0;

  // Operations.
  // Waits until every answered operation has been applied to the filesystem.
  virtual Status Drain() = 0;
  // JSON for GET /admin/async: pending counts per op, oldest pending age, failed ops.
  virtual std::string AsyncStatusJson() = 0;
  // Why writes cannot be answered any more (a failed journal sync), or Ok:
  // /readyz turns 503 so a load balancer sends writes elsewhere.
  virtual Status WriteHealth() = 0;
};

}  // namespace fsgate::store
