// PutObject, GetObject, HeadObject, DeleteObject, CopyObject.
#include "base/hash.h"
#include "store/fs_object_store.h"
#include "store/key_path.h"
#include "store/object_io.h"
#include "store/object_meta_codec.h"
#include "store/s3_errors.h"

namespace fsgate::store {
namespace {

Status CheckUserMeta(const ObjectMeta& meta) {
  if (UserMetaBytes(meta) > kMaxUserMetaBytes) {
    return S3Error(s3err::kMetadataTooLarge,
                   "Your metadata headers exceed the maximum allowed metadata size of 2 KB "
                   "(" +
                       std::to_string(UserMetaBytes(meta)) + " bytes)");
  }
  return Status::Ok();
}

Status DirectoryObjectHasData() {
  return S3Error(s3err::kInvalidArgument,
                 "A key ending in '/' is stored as a directory and cannot hold data");
}

// A plain (single-part) MD5 ETag, which a copy of the same bytes keeps.
bool IsPlainMd5Etag(const std::string& etag) {
  return etag.size() == 32 && etag.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// The digest of a file's first `size` bytes.
Result<std::string> HashFile(fs::File& file, uint64_t size, HashAlgorithm algorithm) {
  Hasher hasher(algorithm);
  std::string buf(1 << 20, '\0');
  for (uint64_t offset = 0; offset < size;) {
    auto n = file.PRead(offset, std::span<char>(buf.data(), buf.size()));
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    hasher.Update(std::string_view(buf.data(), *n));
    offset += *n;
  }
  return hasher.Finish();
}

// The checksums a copy of `src`'s bytes keeps: a composite one is of the
// parts' checksums, not of the bytes, and the copy has no parts.
HeaderList WholeObjectChecksums(const ObjectMeta& src) {
  if (src.checksum_type == "COMPOSITE") return {};
  return src.checksums;
}

}  // namespace

Result<std::unique_ptr<ObjectWriter>> FsObjectStore::BeginPut(PutRequest request) {
  const bool dir_key = IsDirectoryKey(request.key);
  // A directory object's commit has no versioning lookup to stat the bucket.
  if (Status s = request.bucket_found && !dir_key ? ValidateObjectNames(request.bucket, request.key)
                                                  : CheckObject(request.bucket, request.key);
      !s.ok()) {
    return s;
  }
  if (Status s = CheckUserMeta(request.meta); !s.ok()) return s;
  if (dir_key && request.expected_size > 0) return DirectoryObjectHasData();
  auto staging = ns_->AcquireStaging();
  if (!staging.ok()) return staging.status();
  auto shared = std::make_shared<PutRequest>(std::move(request));
  StagingFile staged = *staging;
  auto publish = [this, shared, staged, dir_key](
                     ObjectMeta meta,
                     std::shared_ptr<const std::string> inline_data) -> Result<ObjectMeta> {
    if (dir_key && meta.size > 0) return DirectoryObjectHasData();
    if (Status s = CheckUserMeta(meta); !s.ok()) return s;
    return Publish(shared->bucket, shared->key, staged, std::move(meta), std::move(inline_data),
                   shared->conditions, shared->sync_dirops);
  };
  auto discard = [this, staged] { ns_->ReleaseStaging(staged); };
  StagingWriter::Options writer_options;
  writer_options.fsync = options_.fsync;
  writer_options.expected_size = shared->expected_size;
  writer_options.inline_max = kInlineObjectMax;
  return std::unique_ptr<ObjectWriter>(
      std::make_unique<StagingWriter>(*backend_, staged.path, shared->meta, writer_options,
                                      std::move(publish), std::move(discard)));
}

Result<std::unique_ptr<ObjectReader>> FsObjectStore::GetObject(const std::string& bucket,
                                                               const std::string& key) {
  if (Status s = ValidateBucketName(bucket); !s.ok()) return s;
  if (Status s = ValidateKey(key); !s.ok()) return s;
  auto version = Find(bucket, key);
  if (!version.ok()) return version.status();
  return std::unique_ptr<ObjectReader>(
      std::make_unique<FileReader>(std::move(version->meta), std::move(version->data)));
}

Result<ObjectMeta> FsObjectStore::HeadObject(const std::string& bucket, const std::string& key) {
  if (Status s = ValidateBucketName(bucket); !s.ok()) return s;
  if (Status s = ValidateKey(key); !s.ok()) return s;
  auto version = Find(bucket, key);
  if (!version.ok()) return version.status();
  return std::move(version->meta);
}

Status FsObjectStore::DeleteObject(const std::string& bucket, const std::string& key,
                                   bool sync_dirops, bool bucket_found) {
  if (Status s = bucket_found ? ValidateObjectNames(bucket, key) : CheckObject(bucket, key);
      !s.ok()) {
    return s;
  }
  return RemoveObject(bucket, key, sync_dirops, nullptr);
}

std::vector<Status> FsObjectStore::DeleteObjects(const std::string& bucket,
                                                 const std::vector<std::string>& keys,
                                                 bool sync_dirops) {
  std::vector<Status> results(keys.size());
  std::vector<dirops::NodePath> valid;
  std::vector<size_t> owners;
  std::vector<std::unique_lock<std::mutex>> nest_locks;
  if (options_.nest_key_conflicts) nest_locks = nest_locks_.LockKeys(bucket, keys);
  for (size_t i = 0; i < keys.size(); ++i) {
    results[i] = CheckObject(bucket, keys[i]);
    if (!results[i].ok()) continue;
    valid.push_back(KeyNode(bucket, keys[i]));
    owners.push_back(i);
  }
  if (valid.empty()) return results;
  OpOptions op;
  op.sync = sync_dirops;
  auto gate = bucket_gate_.Write(bucket);
  std::vector<Status> removed = ns_->RemoveMany(valid, op);
  for (size_t j = 0; j < owners.size(); ++j)
    results[owners[j]] = S3StatusOf(std::move(removed[j]), keys[owners[j]]);
  return results;
}

Result<ObjectMeta> FsObjectStore::PublishStaged(const std::string& bucket, const std::string& key,
                                                StagingFile staging, fs::File& file,
                                                ObjectMeta meta, const WriteConditions& conditions,
                                                bool sync_dirops) {
  Status s = WriteObjectMeta(file, meta);
  if (s.ok() && options_.fsync) s = file.Sync();
  if (s.ok()) s = file.Close();
  if (!s.ok()) {
    ns_->ReleaseStaging(staging);
    return s;
  }
  auto published = Publish(bucket, key, staging, std::move(meta), nullptr, conditions, sync_dirops);
  if (!published.ok()) ns_->ReleaseStaging(staging);
  return published;
}

Result<ObjectMeta> FsObjectStore::CopyObject(const CopyRequest& request) {
  if (Status s = CheckObject(request.dst_bucket, request.dst_key); !s.ok()) return s;
  if (Status s = ValidateBucketName(request.src_bucket); !s.ok()) return s;
  if (Status s = ValidateKey(request.src_key); !s.ok()) return s;
  if (request.replace_metadata) {
    if (Status s = CheckUserMeta(request.new_meta); !s.ok()) return s;
  }
  if (request.src_bucket == request.dst_bucket && request.src_key == request.dst_key &&
      request.src_version_id.empty() && !request.replace_metadata) {
    return S3Error(s3err::kInvalidRequest,
                   "This copy request is illegal because it is trying to copy an object to "
                   "itself without changing the object's metadata, storage class, website "
                   "redirect location or encryption attributes.");
  }
  auto source = request.src_version_id.empty()
                    ? Find(request.src_bucket, request.src_key)
                    : FindVersion(request.src_bucket, request.src_key, request.src_version_id);
  if (!source.ok()) return source.status();
  if (request.check_source) {
    if (Status s = request.check_source(source->meta); !s.ok()) return s;
  }
  const ObjectMeta& src = source->meta;
  if (IsDirectoryKey(request.dst_key) && src.size > 0) return DirectoryObjectHasData();

  ObjectMeta meta;
  if (request.replace_metadata) {
    meta = request.new_meta;
    if (meta.checksums.empty()) meta.checksums = WholeObjectChecksums(src);  // same bytes
  } else {
    meta.content_type = src.content_type;
    meta.system_headers = src.system_headers;
    meta.user_meta = src.user_meta;
    meta.checksums = WholeObjectChecksums(src);
  }
  meta.tags = request.replace_tags ? request.new_tags : src.tags;
  meta.acl = request.acl;
  meta.lock = request.lock;
  if (meta.content_type.empty()) meta.content_type = kDefaultContentType;
  meta.size = src.size;
  meta.parts_count = 0;  // a copy is a single-part object

  auto staging = ns_->AcquireStaging();
  if (!staging.ok()) return staging.status();
  auto file = backend_->Open(staging->path, fs::Backend::OpenMode::kReadWrite);
  if (!file.ok()) {
    ns_->ReleaseStaging(*staging);
    return file.status();
  }
  if (source->data && src.size > 0) {
    Status s = (*file)->CopyFrom(*source->data, 0, 0, src.size);
    if (!s.ok()) {
      file->reset();
      ns_->ReleaseStaging(*staging);
      return s;
    }
  }
  // Digests of the copy's bytes, read back from the staged copy: the source
  // may change meanwhile, the copy does not.
  auto digest = [&](HashAlgorithm algorithm) -> Result<std::string> {
    if (!source->data) return Digest(algorithm, "");
    return HashFile(**file, src.size, algorithm);
  };
  Status hashed = Status::Ok();
  if (IsPlainMd5Etag(src.etag) && src.parts_count == 0) {
    meta.etag = src.etag;
  } else if (auto md5 = digest(HashAlgorithm::kMd5); md5.ok()) {
    meta.etag = HexEncode(*md5);
  } else {
    hashed = md5.status();
  }
  const auto algorithm = ChecksumAlgorithmFromName(request.checksum_algorithm);
  if (algorithm && hashed.ok() &&
      !(meta.checksums.size() == 1 && meta.checksums[0].first == request.checksum_algorithm)) {
    if (auto sum = digest(*algorithm); sum.ok()) {
      meta.checksums = {{request.checksum_algorithm, Base64Encode(*sum)}};
    } else {
      hashed = sum.status();
    }
  }
  if (!hashed.ok()) {
    file->reset();
    ns_->ReleaseStaging(*staging);
    return hashed;
  }
  return PublishStaged(request.dst_bucket, request.dst_key, *staging, **file, std::move(meta),
                       request.conditions, request.sync_dirops);
}

}  // namespace fsgate::store
