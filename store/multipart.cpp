// Multipart uploads, kept per bucket under .fsgate/multipart/ (store/multipart_layout.h).
// Completion joins the parts with copy_file_range into a staging file and
// publishes it through the namespace like any PUT.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "base/clock.h"
#include "base/hash.h"
#include "metrics/metrics.h"
#include "store/fs_object_store.h"
#include "store/key_path.h"
#include "store/multipart_checksums.h"
#include "store/multipart_layout.h"
#include "store/object_io.h"
#include "store/object_meta_codec.h"
#include "store/s3_errors.h"
#include "store/store_layout.h"

namespace fsgate::store {
namespace {

constexpr int kMaxPartNumber = 10000;
constexpr uint64_t kMinPartSize = 5ull << 20;

using multipart::BucketUploadsDir;
using multipart::IsValidUploadId;
using multipart::UploadDir;
using multipart::UploadRecord;

std::string PartName(int number) {
  char name[16];
  std::snprintf(name, sizeof(name), "part-%05d", number);
  return name;
}

// The part number of a "part-NNNNN" name, 0 for anything else.
int ParsePartName(const std::string& name) {
  if (name.size() != 10 || name.compare(0, 5, "part-") != 0) return 0;
  int number = 0;
  for (size_t i = 5; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    number = number * 10 + (name[i] - '0');
  }
  return number >= 1 && number <= kMaxPartNumber ? number : 0;
}

// S3's ETag of a multipart object: the MD5 of its parts' raw MD5s, then
// "-" and the number of parts.
std::string MultipartEtag(std::string_view raw_md5s, size_t parts) {
  return HexEncode(Digest(HashAlgorithm::kMd5, raw_md5s)) + "-" + std::to_string(parts);
}

Status NoSuchUpload() {
  return S3Error(s3err::kNoSuchUpload,
                 "The specified upload does not exist. The upload ID may be invalid, or the "
                 "upload may have been aborted or completed.");
}

std::string Unquote(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return etag;
}

// The initiation time in 16 hex digits, then 16 random ones. ListMultipartUploads
// orders one key's uploads by initiation time, and its upload-id-marker compares
// ids as strings (as AWS defines both): with the time first the two orders
// agree, so paging through many uploads of one key skips none.
std::string NewUploadId(int64_t initiated_ns) {
  char time_hex[17];
  std::snprintf(time_hex, sizeof(time_hex), "%016llx",
                static_cast<unsigned long long>(initiated_ns));
  return time_hex + RandomHex(8);
}

// The upload `id` of exactly bucket/key.
Result<UploadRecord> LoadUploadOf(fs::Backend& backend, const std::string& bucket,
                                  const std::string& key, const std::string& id) {
  if (!IsValidUploadId(id)) return NoSuchUpload();
  auto upload = multipart::LoadUploadRecord(backend, UploadDir(bucket, id));
  if (!upload.ok()) return upload.status().IsErrno(ENOENT) ? NoSuchUpload() : upload.status();
  if (upload->bucket != bucket || upload->key != key) return NoSuchUpload();
  return upload;
}

UploadInfo InfoOf(const UploadRecord& upload, const std::string& id) {
  return UploadInfo{upload.key,
                    id,
                    upload.initiated_ns,
                    upload.checksum_algorithm,
                    upload.meta.checksum_type,
                    upload.initiator,
                    upload.meta.acl};
}

// Makes the upload disappear at once (one rename), then deletes its files.
Status RemoveUploadDir(fs::Backend& backend, const std::string& bucket, const std::string& id,
                       bool fsync) {
  const std::string dir = UploadDir(bucket, id);
  const std::string doomed = dir + ".removed-" + RandomHex(6);
  Status s = backend.Rename(dir, doomed);
  if (s.IsErrno(ENOENT)) return NoSuchUpload();
  if (!s.ok()) return s;
  if (fsync) {
    if (Status sync = backend.SyncDir(BucketUploadsDir(bucket)); !sync.ok()) return sync;
  }
  multipart::RemoveUploadTree(backend, doomed);
  return Status::Ok();
}

}  // namespace

Result<std::string> FsObjectStore::CreateMultipartUpload(const PutRequest& request) {
  // Against DeleteBucket: the upload is made before it (and discarded with the
  // bucket) or finds no bucket, never left behind under a deleted bucket.
  auto gate = bucket_gate_.Write(request.bucket);
  if (Status s = CheckObject(request.bucket, request.key); !s.ok()) return s;
  if (IsDirectoryKey(request.key)) {
    return S3Error(s3err::kInvalidArgument,
                   "A key ending in '/' is stored as a directory and cannot hold data");
  }
  if (UserMetaBytes(request.meta) > kMaxUserMetaBytes) {
    return S3Error(s3err::kMetadataTooLarge,
                   "Your metadata headers exceed the maximum allowed metadata size of 2 KB");
  }
  UploadRecord upload;
  upload.bucket = request.bucket;
  upload.key = request.key;
  upload.initiated_ns = NowNs();
  upload.meta = request.meta;
  upload.checksum_algorithm = request.checksum_algorithm;
  upload.initiator = request.initiator;
  const std::string id = NewUploadId(upload.initiated_ns);
  const std::string bucket_dir = BucketUploadsDir(request.bucket);
  Status made = backend_->Mkdir(bucket_dir);
  if (made.ok() && options_.fsync) made = backend_->SyncDir(layout::kMultipart);
  if (!made.ok() && !made.IsErrno(EEXIST)) return made;
  const std::string dir = UploadDir(request.bucket, id);
  if (Status s = backend_->Mkdir(dir); !s.ok()) return s;
  if (Status s = WriteFileAtomic(*backend_, dir + "/upload", multipart::EncodeUploadRecord(upload),
                                 options_.fsync);
      !s.ok()) {
    (void)RemoveUploadDir(*backend_, request.bucket, id, false);
    return s;
  }
  if (options_.fsync) {
    if (Status s = backend_->SyncDir(bucket_dir); !s.ok()) return s;
  }
  return id;
}

Result<std::unique_ptr<ObjectWriter>> FsObjectStore::BeginUploadPart(const std::string& bucket,
                                                                     const std::string& key,
                                                                     const std::string& upload_id,
                                                                     int part_number) {
  if (Status s = CheckObject(bucket, key); !s.ok()) return s;
  if (part_number < 1 || part_number > kMaxPartNumber) {
    return S3Error(s3err::kInvalidArgument,
                   "Part number must be an integer between 1 and 10000, inclusive");
  }
  auto upload = LoadUploadOf(*backend_, bucket, key, upload_id);
  if (!upload.ok()) return upload.status();
  const std::string dir = UploadDir(bucket, upload_id);
  const std::string part = dir + "/" + PartName(part_number);
  const std::string tmp = part + ".tmp-" + RandomHex(6);
  auto created = backend_->Open(tmp, fs::Backend::OpenMode::kCreateExclusive);
  if (!created.ok()) return created.status().IsErrno(ENOENT) ? NoSuchUpload() : created.status();
  (void)(*created)->Close();
  fs::Backend& backend = *backend_;
  const bool fsync = options_.fsync;
  auto publish = [&backend, dir, part, tmp, fsync](
                     ObjectMeta meta, std::shared_ptr<const std::string>) -> Result<ObjectMeta> {
    // Re-uploading a part number replaces the previous part. Its mtime is
    // the part's LastModified (UploadPartCopy's answer, ListParts).
    fs::FileStat linked;
    Status s = backend.RenameAndStat(tmp, part, &linked);
    if (s.IsErrno(ENOENT)) return NoSuchUpload();  // aborted meanwhile
    if (!s.ok()) return s;
    meta.mtime_ns = linked.mtime_ns;
    if (fsync) {
      if (Status sync = backend.SyncDir(dir); !sync.ok()) return sync;
    }
    return meta;
  };
  auto discard = [&backend, tmp] { (void)backend.Unlink(tmp); };
  StagingWriter::Options writer_options;
  writer_options.fsync = options_.fsync;
  writer_options.inline_max = 0;  // parts always go to their file
  return std::unique_ptr<ObjectWriter>(std::make_unique<StagingWriter>(
      *backend_, tmp, ObjectMeta{}, writer_options, std::move(publish), std::move(discard)));
}

Result<UploadInfo> FsObjectStore::HeadUpload(const std::string& bucket, const std::string& key,
                                             const std::string& upload_id) {
  if (Status s = CheckObject(bucket, key); !s.ok()) return s;
  auto upload = LoadUploadOf(*backend_, bucket, key, upload_id);
  if (!upload.ok()) return upload.status();
  return InfoOf(*upload, upload_id);
}

Result<std::vector<PartInfo>> FsObjectStore::ListParts(const std::string& bucket,
                                                       const std::string& key,
                                                       const std::string& upload_id) {
  if (Status s = CheckObject(bucket, key); !s.ok()) return s;
  auto upload = LoadUploadOf(*backend_, bucket, key, upload_id);
  if (!upload.ok()) return upload.status();
  const std::string dir = UploadDir(bucket, upload_id);
  auto entries = backend_->ReadDir(dir);
  if (!entries.ok()) return entries.status().IsErrno(ENOENT) ? NoSuchUpload() : entries.status();
  std::vector<PartInfo> parts;
  for (const auto& entry : *entries) {
    int number = ParsePartName(entry.name);
    if (number == 0) continue;
    auto file = backend_->Open(dir + "/" + entry.name, fs::Backend::OpenMode::kRead);
    if (!file.ok()) continue;  // replaced or aborted meanwhile
    auto meta = ReadObjectMeta(**file);
    if (!meta.ok()) return meta.status();
    parts.push_back(
        PartInfo{number, meta->etag, meta->size, meta->mtime_ns, std::move(meta->checksums)});
  }
  std::sort(parts.begin(), parts.end(),
            [](const PartInfo& a, const PartInfo& b) { return a.number < b.number; });
  return parts;
}

Result<ObjectMeta> FsObjectStore::CompleteMultipartUpload(const std::string& bucket,
                                                          const std::string& key,
                                                          const std::string& upload_id,
                                                          const std::vector<CompletedPart>& parts,
                                                          const WriteConditions& conditions,
                                                          const CompleteClaims& claims) {
  if (Status s = CheckObject(bucket, key); !s.ok()) return s;
  auto upload = LoadUploadOf(*backend_, bucket, key, upload_id);
  if (!upload.ok()) {
    // A retry of a completion whose answer was lost (AWS answers it again):
    // the upload is gone, and the key holds the object these parts make.
    if (upload.status().Is(s3err::kNoSuchUpload) && IsValidUploadId(upload_id)) {
      if (auto done = CompletedFrom(bucket, key, parts); done) return *done;
    }
    return upload.status();
  }
  if (parts.empty()) {
    return S3Error(s3err::kMalformedXML,
                   "The XML you provided was not well-formed or did not validate against our "
                   "published schema: at least one part must be specified");
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].number <= parts[i - 1].number) {
      return S3Error(s3err::kInvalidPartOrder,
                     "The list of parts was not in ascending order. Parts must be ordered by "
                     "part number.");
    }
  }
  // Open every part once: the data copied is exactly the data checked.
  std::vector<std::unique_ptr<fs::File>> files;
  std::vector<uint64_t> sizes;
  std::string md5s;
  PartChecksums checksums(upload->checksum_algorithm, upload->meta.checksum_type);
  for (size_t i = 0; i < parts.size(); ++i) {
    const CompletedPart& part = parts[i];
    if (part.number < 1 || part.number > kMaxPartNumber) return InvalidPart();
    auto file = backend_->Open(UploadDir(bucket, upload_id) + "/" + PartName(part.number),
                               fs::Backend::OpenMode::kRead);
    if (!file.ok()) return file.status().IsErrno(ENOENT) ? InvalidPart() : file.status();
    auto meta = ReadObjectMeta(**file);
    if (!meta.ok()) return meta.status();
    auto raw = HexDecode(meta->etag);
    if (Unquote(part.etag) != meta->etag || !raw) return InvalidPart();
    if (i + 1 < parts.size() && meta->size < kMinPartSize) {
      return S3Error(s3err::kEntityTooSmall,
                     "Your proposed upload is smaller than the minimum allowed object size. "
                     "Each part but the last must be at least 5 MB (part " +
                         std::to_string(part.number) + " is " + std::to_string(meta->size) +
                         " bytes).");
    }
    if (Status s = checksums.Add(part, i, *meta); !s.ok()) return s;
    md5s += *raw;
    sizes.push_back(meta->size);
    files.push_back(std::move(*file));
  }

  ObjectMeta meta = upload->meta;
  if (meta.content_type.empty()) meta.content_type = kDefaultContentType;
  // The object's checksum, from its parts' (none without an algorithm).
  if (Status s = checksums.Finish(sizes, meta); !s.ok()) return s;
  if (Status s = checksums.CheckClaims(claims, sizes, meta); !s.ok()) return s;
  meta.parts_count = static_cast<int>(parts.size());
  meta.etag = MultipartEtag(md5s, parts.size());

  auto staging = ns_->AcquireStaging();
  if (!staging.ok()) return staging.status();
  auto target = backend_->Open(staging->path, fs::Backend::OpenMode::kReadWrite);
  if (!target.ok()) {
    ns_->ReleaseStaging(*staging);
    return target.status();
  }
  uint64_t offset = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    if (Status s = (*target)->CopyFrom(*files[i], 0, offset, sizes[i]); !s.ok()) {
      target->reset();
      ns_->ReleaseStaging(*staging);
      return s;
    }
    offset += sizes[i];
  }
  files.clear();
  meta.size = offset;
  meta.part_sizes = std::move(sizes);  // for GET ?partNumber=N
  auto published = PublishStaged(bucket, key, *staging, **target, std::move(meta), conditions,
                                 /*sync_dirops=*/false);
  if (!published.ok()) return published;
  (void)RemoveUploadDir(*backend_, bucket, upload_id, options_.fsync);
  return published;
}

std::optional<ObjectMeta> FsObjectStore::CompletedFrom(const std::string& bucket,
                                                       const std::string& key,
                                                       const std::vector<CompletedPart>& parts) {
  // The multipart ETag depends on the parts' MD5s alone, which the request
  // names: no state of the finished upload need be kept to recognise it.
  std::string md5s;
  for (const CompletedPart& part : parts) {
    auto raw = HexDecode(Unquote(part.etag));
    if (!raw || raw->size() != 16) return std::nullopt;
    md5s += *raw;
  }
  if (parts.empty()) return std::nullopt;
  const std::string etag = MultipartEtag(md5s, parts.size());
  auto current = HeadObject(bucket, key);
  if (!current.ok() || current->etag != etag) return std::nullopt;
  return *current;
}

Status FsObjectStore::AbortMultipartUpload(const std::string& bucket, const std::string& key,
                                           const std::string& upload_id) {
  if (Status s = CheckObject(bucket, key); !s.ok()) return s;
  auto upload = LoadUploadOf(*backend_, bucket, key, upload_id);
  if (!upload.ok()) return upload.status();
  return RemoveUploadDir(*backend_, bucket, upload_id, options_.fsync);
}

// Reads this bucket's directory alone: other buckets' uploads cost nothing.
Result<std::vector<UploadInfo>> FsObjectStore::ListMultipartUploads(const std::string& bucket) {
  if (Status s = CheckBucket(bucket); !s.ok()) return s;
  std::vector<UploadInfo> uploads;
  auto entries = backend_->ReadDir(BucketUploadsDir(bucket));
  if (!entries.ok()) {
    if (entries.status().IsErrno(ENOENT)) return uploads;  // none ever started here
    return entries.status();
  }
  for (const auto& entry : *entries) {
    if (!IsValidUploadId(entry.name)) continue;  // also skips uploads being removed
    auto upload = multipart::LoadUploadRecord(*backend_, UploadDir(bucket, entry.name));
    if (!upload.ok() || upload->bucket != bucket) continue;
    uploads.push_back(InfoOf(*upload, entry.name));
  }
  std::sort(uploads.begin(), uploads.end(), [](const UploadInfo& a, const UploadInfo& b) {
    return a.key != b.key ? a.key < b.key : a.initiated_ns < b.initiated_ns;
  });
  return uploads;
}

// Runs after the bucket directory is gone (AWS deletes a bucket whose uploads
// are still in progress and discards them): one rename drops them all.
Status FsObjectStore::RemoveUploadsOf(const std::string& bucket) {
  const std::string dir = BucketUploadsDir(bucket);
  const std::string doomed =
      std::string(layout::kMultipart) + "/.removed-" + bucket + "-" + RandomHex(6);
  Status s = backend_->Rename(dir, doomed);
  if (s.IsErrno(ENOENT)) return Status::Ok();
  if (!s.ok()) return s;
  if (options_.fsync) {
    if (Status sync = backend_->SyncDir(layout::kMultipart); !sync.ok()) return sync;
  }
  multipart::RemoveUploadTree(*backend_, doomed);
  return Status::Ok();
}

Result<size_t> FsObjectStore::AbortExpiredUploads(int64_t initiated_before_ns) {
  auto buckets = backend_->ReadDir(layout::kMultipart);
  if (!buckets.ok()) return buckets.status();
  size_t expired = 0;
  for (const auto& bucket : *buckets) {
    if (!ValidateBucketName(bucket.name).ok()) {
      // What a crash left of a DeleteBucket's removal.
      if (bucket.name.starts_with(".removed-")) {
        multipart::RemoveUploadTree(*backend_, std::string(layout::kMultipart) + "/" + bucket.name);
      }
      continue;
    }
    const std::string bucket_dir = BucketUploadsDir(bucket.name);
    auto entries = backend_->ReadDir(bucket_dir);
    if (!entries.ok()) continue;  // a flat upload, or removed meanwhile
    for (const auto& entry : *entries) {
      if (!IsValidUploadId(entry.name)) {
        // What a crash left of an abort or a completion.
        if (entry.name.find(".removed-") != std::string::npos) {
          multipart::RemoveUploadTree(*backend_, bucket_dir + "/" + entry.name);
        }
        continue;
      }
      auto upload = multipart::LoadUploadRecord(*backend_, UploadDir(bucket.name, entry.name));
      if (!upload.ok() || upload->initiated_ns >= initiated_before_ns) continue;
      // Exactly an abort: completed or aborted meanwhile, it is simply gone.
      Status s = RemoveUploadDir(*backend_, bucket.name, entry.name, options_.fsync);
      if (s.Is(s3err::kNoSuchUpload)) continue;
      if (!s.ok()) {
        spdlog::warn("multipart expiry: cannot abort upload bucket={} upload_id={}: {}",
                     bucket.name, entry.name, s.message());
        continue;
      }
      spdlog::info("multipart upload expired and aborted: bucket={} key={} upload_id={}",
                   bucket.name, upload->key, entry.name);
      metrics_.MultipartExpired();
      ++expired;
    }
  }
  return expired;
}

}  // namespace fsgate::store
