#include "fsclient/object_meta_codec.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <functional>

#include "auth/hash.h"

namespace fsgate::fsclient {
namespace {

using Getter = std::function<Result<std::string>(const char*)>;

void WriteHeaders(rapidjson::Writer<rapidjson::StringBuffer>& w, const char* name,
                  const HeaderList& headers) {
  if (headers.empty()) return;
  w.Key(name);
  w.StartArray();
  for (const auto& [k, v] : headers) {
    w.StartArray();
    w.String(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    w.EndArray();
  }
  w.EndArray();
}

bool ReadHeaders(const rapidjson::Value& doc, const char* name, HeaderList& out) {
  auto it = doc.FindMember(name);
  if (it == doc.MemberEnd()) return true;
  if (!it->value.IsArray()) return false;
  for (const auto& pair : it->value.GetArray()) {
    if (!pair.IsArray() || pair.Size() != 2 || !pair[0].IsString() || !pair[1].IsString()) {
      return false;
    }
    out.emplace_back(std::string(pair[0].GetString(), pair[0].GetStringLength()),
                     std::string(pair[1].GetString(), pair[1].GetStringLength()));
  }
  return true;
}

Status Corrupt(const std::string& why) {
  return Status::S3(s3err::kInternalError, "object metadata is corrupt: " + why);
}

// nullopt: no fsgate xattrs (a foreign file or an implicit directory).
Result<std::optional<int>> ReadVersion(const Getter& get) {
  auto v = get(kXattrVersion);
  if (!v.ok()) {
    if (v.status().IsErrno(ENODATA)) return std::optional<int>();
    return v.status();
  }
  int version = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), version);
  if (ec != std::errc() || ptr != v->data() + v->size() || version <= 0) {
    return Corrupt("bad " + std::string(kXattrVersion) + " '" + *v + "'");
  }
  if (version > kMetaFormatVersion) {
    return Status::S3(s3err::kInternalError,
                      "object metadata format " + std::to_string(version) +
                          " was written by a newer fsgate; this binary knows format " +
                          std::to_string(kMetaFormatVersion) + " and refuses to serve it");
  }
  return std::optional<int>(version);
}

// The fsgate metadata of a versioned node; false when the node has none.
Result<bool> ReadVersioned(const Getter& get, ObjectMeta& meta) {
  auto version = ReadVersion(get);
  if (!version.ok()) return version.status();
  if (!version->has_value()) return false;
  auto etag = get(kXattrEtag);
  if (!etag.ok()) return etag.status().IsErrno(ENODATA) ? Corrupt("no etag") : etag.status();
  auto json = get(kXattrMeta);
  if (!json.ok() && !json.status().IsErrno(ENODATA)) return json.status();
  if (json.ok()) {
    auto decoded = DecodeMetaJson(*json);
    if (!decoded.ok()) return decoded.status();
    meta = std::move(*decoded);
  }
  meta.etag = std::move(*etag);
  return true;
}

}  // namespace

std::string DerivedEtag(const FileStat& st) {
  return auth::HexEncode(auth::Digest(auth::HashAlgorithm::kMd5, std::to_string(st.ino) + ":" +
                                                                     std::to_string(st.size) + ":" +
                                                                     std::to_string(st.mtime_ns))) +
         "-1";
}

std::string EncodeMetaJson(const ObjectMeta& meta) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("ct");
  w.String(meta.content_type.data(), static_cast<rapidjson::SizeType>(meta.content_type.size()));
  WriteHeaders(w, "sys", meta.system_headers);
  WriteHeaders(w, "user", meta.user_meta);
  WriteHeaders(w, "ck", meta.checksums);
  if (meta.parts_count > 0) {
    w.Key("parts");
    w.Int(meta.parts_count);
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

Result<ObjectMeta> DecodeMetaJson(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return Corrupt("unparsable JSON");
  ObjectMeta meta;
  if (auto it = doc.FindMember("ct"); it != doc.MemberEnd() && it->value.IsString()) {
    meta.content_type.assign(it->value.GetString(), it->value.GetStringLength());
  }
  if (!ReadHeaders(doc, "sys", meta.system_headers) || !ReadHeaders(doc, "user", meta.user_meta) ||
      !ReadHeaders(doc, "ck", meta.checksums)) {
    return Corrupt("bad header list");
  }
  if (auto it = doc.FindMember("parts"); it != doc.MemberEnd() && it->value.IsInt()) {
    meta.parts_count = it->value.GetInt();
  }
  if (auto it = doc.FindMember("mtime"); it != doc.MemberEnd() && it->value.IsInt64()) {
    meta.mtime_ns = it->value.GetInt64();
  }
  return meta;
}

Status WriteObjectMeta(File& file, const ObjectMeta& meta) {
  if (Status s = file.SetXattr(kXattrMeta, EncodeMetaJson(meta)); !s.ok()) return s;
  if (Status s = file.SetXattr(kXattrEtag, meta.etag); !s.ok()) return s;
  return file.SetXattr(kXattrVersion, std::to_string(kMetaFormatVersion));
}

Result<ObjectMeta> ReadObjectMeta(File& file) {
  auto st = file.Stat();
  if (!st.ok()) return st.status();
  ObjectMeta meta;
  auto versioned = ReadVersioned([&](const char* name) { return file.GetXattr(name); }, meta);
  if (!versioned.ok()) return versioned.status();
  if (!*versioned) {
    meta.etag = DerivedEtag(*st);
    meta.content_type = kDefaultContentType;
  }
  meta.size = st->size;
  meta.mtime_ns = st->mtime_ns;
  return meta;
}

Result<std::string> ReadObjectEtag(File& file, const FileStat& st) {
  auto etag = file.GetXattr(kXattrEtag);
  if (etag.ok()) return etag;
  if (etag.status().IsErrno(ENODATA)) return DerivedEtag(st);
  return etag.status();
}

Status WriteDirObjectMeta(Backend& backend, const std::string& path, const ObjectMeta& meta) {
  // A directory's mtime moves with its entries: keep the object's own time.
  std::string json = EncodeMetaJson(meta);
  json.pop_back();  // reopen the JSON object to add the time
  json += ",\"mtime\":" + std::to_string(meta.mtime_ns) + "}";
  if (Status s = backend.SetXattr(path, kXattrMeta, json); !s.ok()) return s;
  if (Status s = backend.SetXattr(path, kXattrEtag, meta.etag); !s.ok()) return s;
  return backend.SetXattr(path, kXattrVersion, std::to_string(kMetaFormatVersion));
}

Result<std::optional<ObjectMeta>> ReadDirObjectMeta(Backend& backend, const std::string& path) {
  ObjectMeta meta;
  auto versioned =
      ReadVersioned([&](const char* name) { return backend.GetXattr(path, name); }, meta);
  if (!versioned.ok()) return versioned.status();
  if (!*versioned) return std::optional<ObjectMeta>();
  meta.size = 0;
  if (meta.mtime_ns == 0) {
    auto st = backend.Stat(path);
    if (!st.ok()) return st.status();
    meta.mtime_ns = st->mtime_ns;
  }
  return std::optional<ObjectMeta>(std::move(meta));
}

Status RemoveDirObjectMeta(Backend& backend, const std::string& path) {
  // The version goes first: without it the rest is ignored.
  for (const char* name : {kXattrVersion, kXattrEtag, kXattrMeta}) {
    Status s = backend.RemoveXattr(path, name);
    if (!s.ok() && !s.IsErrno(ENODATA)) return s;
  }
  return Status::Ok();
}

size_t UserMetaBytes(const ObjectMeta& meta) {
  size_t total = 0;
  for (const auto& [k, v] : meta.user_meta) total += k.size() + v.size();
  return total;
}

}  // namespace fsgate::fsclient
