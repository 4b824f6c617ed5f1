// Buckets: a directory under ROOT, its record (creation time, owner, region, tags)
// in .fsgate/buckets/<name>.
#include <algorithm>
#include <chrono>

#include "base/clock.h"
#include "fs/backend_util.h"
#include "store/bucket_record.h"
#include "store/fs_object_store.h"
#include "store/key_cursor.h"
#include "store/key_path.h"
#include "store/nested_key.h"
#include "store/s3_errors.h"
#include "store/store_layout.h"
#include "store/versions_dir.h"

namespace fsgate::store {
namespace {

Status NoSuchBucket() {
  return S3Error(s3err::kNoSuchBucket, "The specified bucket does not exist");
}

std::string BucketRecordPath(const std::string& bucket) {
  return std::string(layout::kBuckets) + "/" + bucket;
}

// The bucket's record; a bucket without one (made by another program) has
// creation time 0 and no attributes.
Result<BucketRecord> ReadBucketRecord(fs::Backend& backend, const std::string& bucket) {
  auto text = ReadSmallFile(backend, BucketRecordPath(bucket));
  if (!text.ok()) {
    if (fs::IsMissing(text.status())) return BucketRecord{};
    return text.status();
  }
  auto record = DecodeBucketRecord(*text);
  if (!record.ok()) {
    return Status::Errno(record.status().err(),
                         record.status().message() + ": " + BucketRecordPath(bucket));
  }
  return record;
}

// A bucket directory made by another program has no record, or one without
// a date: it is dated by the directory's mtime (a full stat: StatBucket's
// reads no times). `created_ns` is left as it is when it has a date.
Status DateForeignBucket(fs::Backend& backend, const std::string& bucket, int64_t& created_ns) {
  if (created_ns != 0) return Status::Ok();
  auto st = backend.Stat(bucket);
  if (!st.ok()) return st.status();
  created_ns = st->mtime_ns;
  return Status::Ok();
}

}  // namespace

Result<fs::FileStat> FsObjectStore::StatBucket(const std::string& bucket) {
  if (Status s = ValidateBucketName(bucket); !s.ok()) return s;
  auto st = backend_->StatNoTimes(bucket);  // its kind and inode number
  if (st.ok() && st->is_dir) return st;
  if (st.ok() || st.status().IsErrno(ENOENT) || st.status().IsErrno(ENOTDIR)) {
    return NoSuchBucket();
  }
  return st.status();
}

Status FsObjectStore::CheckBucket(const std::string& bucket) {
  auto st = StatBucket(bucket);
  return st.ok() ? Status::Ok() : st.status();
}

Status FsObjectStore::ValidateObjectNames(const std::string& bucket, const std::string& key) {
  if (Status s = ValidateBucketName(bucket); !s.ok()) return s;
  return ValidateKey(key);
}

Status FsObjectStore::CheckObject(const std::string& bucket, const std::string& key) {
  if (Status s = ValidateObjectNames(bucket, key); !s.ok()) return s;
  return CheckBucket(bucket);
}

Status FsObjectStore::KeyMissing(const std::string& bucket, const std::string& key, Status engine) {
  Status status = S3StatusOf(std::move(engine), key);
  if (status.Is(s3err::kNoSuchKey)) {
    if (Status s = CheckBucket(bucket); !s.ok()) return s;
  }
  return status;
}

Status FsObjectStore::CreateBucket(const std::string& bucket, const BucketAttributes& attributes) {
  if (Status s = ValidateBucketName(bucket); !s.ok()) return s;
  // Exclusive from mkdir to the record: a lookup in between would take the
  // bucket for one without a record and give it the default owner.
  auto gate = bucket_gate_.Delete(bucket);
  Status s = backend_->Mkdir(bucket);
  if (s.IsErrno(EEXIST)) {
    return S3Error(s3err::kBucketAlreadyOwnedByYou,
                   "Your previous request to create the named bucket succeeded and you "
                   "already own it.");
  }
  if (!s.ok()) return s;
  const std::string record = EncodeBucketRecord({.created_ns = NowNs(), .attributes = attributes});
  if (Status rec = WriteFileAtomic(*backend_, BucketRecordPath(bucket), record, options_.fsync);
      !rec.ok()) {
    (void)backend_->Rmdir(bucket);
    return rec;
  }
  bucket_cache_.Forget(bucket);
  return options_.fsync ? backend_->SyncDir("") : Status::Ok();
}

Result<BucketInfo> FsObjectStore::HeadBucket(const std::string& bucket) {
  auto st = StatBucket(bucket);
  if (!st.ok()) return st.status();
  auto cached = bucket_cache_.Find(bucket, st->ino);
  if (cached.info) return std::move(*cached.info);
  auto record = ReadBucketRecord(*backend_, bucket);
  if (!record.ok()) return record.status();
  BucketInfo info{
      .name = bucket, .created_ns = record->created_ns, .attributes = record->attributes};
  if (Status s = DateForeignBucket(*backend_, bucket, info.created_ns); !s.ok()) {
    return fs::IsMissing(s) ? NoSuchBucket() : s;
  }
  if (info.attributes.owner.empty() && !options_.default_bucket_owner.empty()) {
    if (Status s = AdoptBucket(bucket, info); !s.ok()) return s;
  }
  bucket_cache_.Put(cached.generation, st->ino, info);
  return info;
}

Status FsObjectStore::AdoptBucket(const std::string& bucket, BucketInfo& info) {
  // Shared gate: not while this bucket is created or deleted, so a record is
  // never written for a bucket just removed, nor over its creator's.
  auto gate = bucket_gate_.Write(bucket);
  if (Status s = CheckBucket(bucket); !s.ok()) return s;
  auto record = ReadBucketRecord(*backend_, bucket);
  if (!record.ok()) return record.status();
  if (!record->attributes.owner.empty()) {  // its creator's record landed meanwhile
    info.created_ns = record->created_ns;
    info.attributes = record->attributes;
    return Status::Ok();
  }
  info.attributes.owner = options_.default_bucket_owner;
  return WriteFileAtomic(
      *backend_, BucketRecordPath(bucket),
      EncodeBucketRecord({.created_ns = info.created_ns, .attributes = info.attributes}),
      options_.fsync);
}

Status FsObjectStore::UpdateBucketAttributes(const std::string& bucket,
                                             const std::function<void(BucketAttributes&)>& change) {
  // Shared gate: the record is never written for a bucket being deleted.
  auto gate = bucket_gate_.Write(bucket);
  if (Status s = CheckBucket(bucket); !s.ok()) return s;
  auto record = ReadBucketRecord(*backend_, bucket);
  if (!record.ok()) return record.status();
  if (Status s = DateForeignBucket(*backend_, bucket, record->created_ns); !s.ok()) return s;
  change(record->attributes);
  Status s = WriteFileAtomic(*backend_, BucketRecordPath(bucket), EncodeBucketRecord(*record),
                             options_.fsync);
  bucket_cache_.Forget(bucket);
  return s;
}

Status FsObjectStore::PutBucketTagging(const std::string& bucket, HeaderList tags) {
  return UpdateBucketAttributes(
      bucket, [&tags](BucketAttributes& attributes) { attributes.tags = std::move(tags); });
}

Status FsObjectStore::PutBucketPolicy(const std::string& bucket, std::string policy) {
  return UpdateBucketAttributes(
      bucket, [&policy](BucketAttributes& attributes) { attributes.policy = std::move(policy); });
}

Status FsObjectStore::PutBucketAcl(const std::string& bucket, std::string acl) {
  return UpdateBucketAttributes(
      bucket, [&acl](BucketAttributes& attributes) { attributes.acl = std::move(acl); });
}

Status FsObjectStore::PutPublicAccessBlock(const std::string& bucket, std::string block) {
  return UpdateBucketAttributes(bucket, [&block](BucketAttributes& attributes) {
    attributes.public_access_block = std::move(block);
  });
}

Status FsObjectStore::PutBucketOwnershipControls(const std::string& bucket, std::string ownership) {
  return UpdateBucketAttributes(bucket, [&ownership](BucketAttributes& attributes) {
    attributes.ownership = std::move(ownership);
  });
}

Status FsObjectStore::PutBucketCors(const std::string& bucket, std::string cors) {
  return UpdateBucketAttributes(
      bucket, [&cors](BucketAttributes& attributes) { attributes.cors = std::move(cors); });
}

Status FsObjectStore::PutBucketObjectLock(const std::string& bucket, std::string object_lock) {
  bool versioned = false;
  Status s = UpdateBucketAttributes(bucket, [&](BucketAttributes& attributes) {
    versioned = attributes.versioning == "Enabled";
    if (versioned) attributes.object_lock = std::move(object_lock);
  });
  if (!s.ok()) return s;
  if (!versioned) {
    return S3Error(s3err::kInvalidBucketState,
                   "Versioning must be 'Enabled' on the bucket to apply a Object Lock "
                   "configuration");
  }
  return Status::Ok();
}

Result<std::vector<BucketInfo>> FsObjectStore::ListBuckets() {
  auto entries = backend_->ReadDir("");
  if (!entries.ok()) return entries.status();
  std::vector<BucketInfo> buckets;
  for (const auto& entry : *entries) {
    if (entry.type != fs::DirEntry::Type::kDirectory &&
        entry.type != fs::DirEntry::Type::kUnknown) {
      continue;
    }
    if (!ValidateBucketName(entry.name).ok()) continue;  // also excludes ".fsgate"
    auto info = HeadBucket(entry.name);
    if (info.ok()) buckets.push_back(std::move(*info));
  }
  std::sort(buckets.begin(), buckets.end(),
            [](const BucketInfo& a, const BucketInfo& b) { return a.name < b.name; });
  return buckets;
}

Status FsObjectStore::DeleteBucket(const std::string& bucket) {
  if (Status s = CheckBucket(bucket); !s.ok()) return s;
  auto gate = bucket_gate_.Delete(bucket);
  if (Status s = ns_->WaitTop(bucket); !s.ok()) return s;
  auto pending = ns_->Pending(bucket, "", "");
  if (!pending.ok()) return S3StatusOf(pending.status(), "");
  auto cursor = MergePending(
      PendingKeys(std::move(*pending), "", ""),
      MakeDirKeyCursor(*backend_, bucket, "", "", nullptr, options_.nest_key_conflicts));
  auto first = cursor->Next();
  if (!first.ok()) return first.status();
  const Status not_empty =
      S3Error(s3err::kBucketNotEmpty, "The bucket you tried to delete is not empty");
  if (first->has_value()) return not_empty;
  // Older versions and delete markers keep a bucket, as in S3.
  auto history = MakeHistoryKeyCursor(*backend_, bucket, "", "")->Next();
  if (!history.ok()) return history.status();
  if (history->has_value()) return not_empty;
  // Only directories without objects remain: remove them bottom-up. Anything
  // else found (a symlink, a special file) keeps the bucket.
  std::vector<std::string> dirs{bucket};
  for (size_t i = 0; i < dirs.size(); ++i) {
    auto entries = backend_->ReadDir(dirs[i]);
    if (!entries.ok()) return entries.status();
    for (const auto& entry : *entries) {
      std::string path = dirs[i] + "/" + entry.name;
      bool is_dir = entry.type == fs::DirEntry::Type::kDirectory;
      if (entry.type == fs::DirEntry::Type::kUnknown) {
        auto st = backend_->Stat(path);
        is_dir = st.ok() && st->is_dir;
      }
      if (!is_dir) return not_empty;
      dirs.push_back(std::move(path));
    }
  }
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    Status s = backend_->Rmdir(*it);
    if (s.IsErrno(ENOTEMPTY) || s.IsErrno(EEXIST)) return not_empty;  // a PUT raced us
    if (!s.ok() && !s.IsErrno(ENOENT)) return s;
  }
  // Its owner goes with it: a directory later made under this name by
  // another program must not inherit the owner.
  if (Status s = backend_->Unlink(BucketRecordPath(bucket)); !s.ok() && !fs::IsMissing(s)) return s;
  RemoveVersionsRoot(*backend_, bucket);
  bucket_cache_.Forget(bucket);
  if (options_.fsync) {
    if (Status s = backend_->SyncDir(layout::kBuckets); !s.ok()) return s;
  }
  if (Status s = RemoveUploadsOf(bucket); !s.ok()) return s;
  return options_.fsync ? backend_->SyncDir("") : Status::Ok();
}

}  // namespace fsgate::store
