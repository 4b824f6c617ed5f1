#include "store/multipart_layout.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <set>

#include "base/hash.h"
#include "store/meta_record.h"
#include "store/object_meta_codec.h"
#include "store/s3_errors.h"
#include "store/store_layout.h"

namespace fsgate::store::multipart {
namespace {

constexpr const char* kRecordName = "upload";
// A flat upload parked while its bucket's directory takes its name (a bucket
// called like its own upload id). A leading '.' never starts a bucket name.
constexpr std::string_view kParkedPrefix = ".flat-";

std::string InMultipart(const std::string& name) {
  return std::string(layout::kMultipart) + "/" + name;
}

// The upload id of a flat-layout directory name, or "" for anything else.
std::string FlatUploadId(const std::string& name) {
  if (IsValidUploadId(name)) return name;
  if (name.starts_with(kParkedPrefix)) {
    std::string id = name.substr(kParkedPrefix.size());
    if (IsValidUploadId(id)) return id;
  }
  return {};
}

bool IsRegularFile(fs::Backend& backend, const std::string& path) {
  auto st = backend.Stat(path);
  return st.ok() && !st->is_dir;
}

Status MkdirIfMissing(fs::Backend& backend, const std::string& path) {
  Status s = backend.Mkdir(path);
  return s.IsErrno(EEXIST) ? Status::Ok() : s;
}

}  // namespace

bool IsValidUploadId(const std::string& id) {
  return id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string BucketUploadsDir(const std::string& bucket) { return InMultipart(bucket); }

std::string UploadDir(const std::string& bucket, const std::string& upload_id) {
  return BucketUploadsDir(bucket) + "/" + upload_id;
}

std::string EncodeUploadRecord(const UploadRecord& upload) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  const std::string record = HexEncode(EncodeMetaRecord(upload.meta, /*with_mtime=*/false));
  w.StartObject();
  w.Key("bucket");
  w.String(upload.bucket.c_str());
  w.Key("key");
  w.String(upload.key.data(), static_cast<rapidjson::SizeType>(upload.key.size()));
  w.Key("initiated");
  w.Int64(upload.initiated_ns);
  w.Key("record");
  w.String(record.data(), static_cast<rapidjson::SizeType>(record.size()));
  if (!upload.checksum_algorithm.empty()) {
    w.Key("ckalg");
    w.String(upload.checksum_algorithm.c_str());
  }
  if (!upload.initiator.empty()) {
    w.Key("initiator");
    w.String(upload.initiator.data(), static_cast<rapidjson::SizeType>(upload.initiator.size()));
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

Result<UploadRecord> LoadUploadRecord(fs::Backend& backend, const std::string& upload_dir) {
  auto text = ReadSmallFile(backend, upload_dir + "/" + kRecordName);
  if (!text.ok()) return text.status();
  rapidjson::Document doc;
  doc.Parse(text->data(), text->size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("bucket") ||
      !doc["bucket"].IsString() || !doc.HasMember("key") || !doc["key"].IsString() ||
      !doc.HasMember("initiated") || !doc["initiated"].IsInt64()) {
    return S3Error(s3err::kInternalError, "multipart upload record is corrupt: " + upload_dir);
  }
  const char* field = doc.HasMember("record") ? "record" : "meta";  // "meta": an older fsgate's
  if (!doc.HasMember(field) || !doc[field].IsString()) {
    return S3Error(s3err::kInternalError, "multipart upload record is corrupt: " + upload_dir);
  }
  const std::string_view value(doc[field].GetString(), doc[field].GetStringLength());
  UploadRecord upload;
  upload.bucket = doc["bucket"].GetString();
  upload.key.assign(doc["key"].GetString(), doc["key"].GetStringLength());
  upload.initiated_ns = doc["initiated"].GetInt64();
  if (field == std::string_view("meta")) {
    auto meta = DecodeMetaJson(value);
    if (!meta.ok()) return meta.status();
    upload.meta = std::move(*meta);
  } else {
    auto bytes = HexDecode(value);
    if (!bytes) return CorruptMeta("multipart upload record " + upload_dir);
    auto record = DecodeMetaRecord(*bytes);
    if (!record.ok()) return record.status();
    upload.meta = std::move(record->meta);
  }
  if (auto it = doc.FindMember("ckalg"); it != doc.MemberEnd() && it->value.IsString()) {
    upload.checksum_algorithm = it->value.GetString();
  }
  if (auto it = doc.FindMember("initiator"); it != doc.MemberEnd() && it->value.IsString()) {
    upload.initiator.assign(it->value.GetString(), it->value.GetStringLength());
  }
  return upload;
}

void RemoveUploadTree(fs::Backend& backend, const std::string& dir) {
  auto entries = backend.ReadDir(dir);
  if (entries.ok()) {
    for (const auto& entry : *entries) {
      const std::string path = dir + "/" + entry.name;
      if (entry.type == fs::DirEntry::Type::kDirectory ||
          entry.type == fs::DirEntry::Type::kUnknown) {
        if (auto files = backend.ReadDir(path); files.ok()) {
          for (const auto& file : *files) (void)backend.Unlink(path + "/" + file.name);
          (void)backend.Rmdir(path);
          continue;
        }
      }
      (void)backend.Unlink(path);
    }
  }
  (void)backend.Rmdir(dir);
}

Result<size_t> MigrateFlatUploads(fs::Backend& backend, bool fsync) {
  auto entries = backend.ReadDir(layout::kMultipart);
  if (!entries.ok()) return entries.status();
  std::set<std::string> touched_dirs;
  size_t moved = 0;
  for (const auto& entry : *entries) {
    const std::string id = FlatUploadId(entry.name);
    if (id.empty()) continue;
    std::string from = InMultipart(entry.name);
    // A bucket's directory, never a flat upload, when it holds no record.
    if (!IsRegularFile(backend, from + "/" + kRecordName)) continue;
    auto upload = LoadUploadRecord(backend, from);
    if (!upload.ok()) {
      spdlog::warn("multipart: flat upload {} left in place, its record is unreadable: {}",
                   entry.name, upload.status().message());
      continue;
    }
    if (upload->bucket == entry.name) {
      const std::string parked = InMultipart(std::string(kParkedPrefix) + id);
      if (Status s = backend.Rename(from, parked); !s.ok()) return s;
      from = parked;
    }
    if (Status s = MkdirIfMissing(backend, BucketUploadsDir(upload->bucket)); !s.ok()) return s;
    if (Status s = backend.Rename(from, UploadDir(upload->bucket, id)); !s.ok()) return s;
    touched_dirs.insert(BucketUploadsDir(upload->bucket));
    ++moved;
  }
  if (fsync && moved > 0) {
    for (const auto& dir : touched_dirs) {
      if (Status s = backend.SyncDir(dir); !s.ok()) return s;
    }
    if (Status s = backend.SyncDir(layout::kMultipart); !s.ok()) return s;
  }
  if (moved > 0) {
    spdlog::info("multipart: moved {} uploads in progress to per-bucket directories", moved);
  }
  return moved;
}

}  // namespace fsgate::store::multipart
