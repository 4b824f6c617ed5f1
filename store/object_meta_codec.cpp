#include "store/object_meta_codec.h"

#include <rapidjson/document.h>

#include <charconv>
#include <cstdlib>
#include <functional>

#include "base/hash.h"
#include "store/meta_record.h"

namespace fsgate::store {
namespace {

using Getter = std::function<Result<std::string>(const char*)>;

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

Result<int> ParseV1Version(const std::string& v) {
  int version = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
  if (ec != std::errc() || ptr != v.data() + v.size() || version <= 0) {
    return CorruptMeta("bad " + std::string(kXattrVersion) + " '" + v + "'");
  }
  // Format 1 is the only one told by user.fsgate.v; later ones are records.
  if (version > 1) return NewerMetaFormat(version);
  return version;
}

// The format 1 metadata of a node; nullopt when it has none.
Result<std::optional<MetaRecord>> ReadV1(const Getter& get) {
  auto v = get(kXattrVersion);
  if (!v.ok()) {
    if (v.status().IsErrno(ENODATA)) return std::optional<MetaRecord>();
    return v.status();
  }
  if (auto version = ParseV1Version(*v); !version.ok()) return version.status();
  MetaRecord record;
  auto json = get(kXattrMeta);
  if (!json.ok() && !json.status().IsErrno(ENODATA)) return json.status();
  if (json.ok()) {
    auto decoded = DecodeMetaJson(*json);
    if (!decoded.ok()) return decoded.status();
    record.meta = std::move(*decoded);
  }
  auto etag = get(kXattrEtag);
  if (!etag.ok()) return etag.status().IsErrno(ENODATA) ? CorruptMeta("no etag") : etag.status();
  record.meta.etag = std::move(*etag);
  if (auto seq = get(kXattrSeq); seq.ok()) {
    record.seq = std::strtoull(seq->c_str(), nullptr, 10);
  } else if (!seq.status().IsErrno(ENODATA)) {
    return seq.status();
  }
  return std::optional<MetaRecord>(std::move(record));
}

// The format 2 record of a node; nullopt when it has none.
Result<std::optional<MetaRecord>> ReadV2(const Getter& get) {
  auto value = get(kXattrRecord);
  if (!value.ok()) {
    if (value.status().IsErrno(ENODATA)) return std::optional<MetaRecord>();
    return value.status();
  }
  auto record = DecodeMetaRecord(*value);
  if (!record.ok()) return record.status();
  return std::optional<MetaRecord>(std::move(*record));
}

// The fsgate metadata of a node, either format; nullopt when it has none (a
// foreign file or an implicit directory).
Result<std::optional<MetaRecord>> ReadRecord(const Getter& get) {
  auto record = ReadV2(get);
  if (!record.ok() || record->has_value()) return record;
  return ReadV1(get);
}

}  // namespace

std::string DerivedEtag(const fs::FileStat& st) {
  return HexEncode(Digest(HashAlgorithm::kMd5, std::to_string(st.ino) + ":" +
                                                   std::to_string(st.size) + ":" +
                                                   std::to_string(st.mtime_ns))) +
         "-1";
}

Result<ObjectMeta> DecodeMetaJson(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return CorruptMeta("unparsable JSON");
  ObjectMeta meta;
  if (auto it = doc.FindMember("ct"); it != doc.MemberEnd() && it->value.IsString()) {
    meta.content_type.assign(it->value.GetString(), it->value.GetStringLength());
  }
  if (!ReadHeaders(doc, "sys", meta.system_headers) || !ReadHeaders(doc, "user", meta.user_meta) ||
      !ReadHeaders(doc, "ck", meta.checksums) || !ReadHeaders(doc, "tags", meta.tags)) {
    return CorruptMeta("bad header list");
  }
  if (auto it = doc.FindMember("cktype"); it != doc.MemberEnd() && it->value.IsString()) {
    meta.checksum_type.assign(it->value.GetString(), it->value.GetStringLength());
  }
  if (auto it = doc.FindMember("parts"); it != doc.MemberEnd() && it->value.IsInt()) {
    meta.parts_count = it->value.GetInt();
  }
  if (auto it = doc.FindMember("mtime"); it != doc.MemberEnd() && it->value.IsInt64()) {
    meta.mtime_ns = it->value.GetInt64();
  }
  return meta;
}

dirops::NodeAttrNames ObjectAttrNames() {
  dirops::NodeAttrNames names;
  names.xattr = kXattrRecord;
  names.legacy = {kXattrVersion, kXattrEtag, kXattrMeta, kXattrSeq};
  return names;
}

std::string EncodeObjectAttrs(const ObjectMeta& meta, bool directory) {
  return EncodeMetaRecord(meta, /*with_mtime=*/directory);
}

namespace {

// The ETag of a file's record. Records of files written by fsgate carry no
// mtime; one that does holds the derived ETag of a foreign file as of that
// mtime, and a file changed since gets its derived ETag anew.
std::string StoredEtag(MetaRecord& record, const fs::FileStat& st) {
  if (record.meta.mtime_ns != 0 && record.meta.mtime_ns != st.mtime_ns) return DerivedEtag(st);
  return std::move(record.meta.etag);
}

// The metadata of an open object file of stat `st`: its record (only format
// 1's when `record_absent`: its reader found no format 2 one), else a foreign
// file's defaults.
Result<ObjectMeta> MetaOfFile(fs::File& file, const fs::FileStat& st, bool record_absent) {
  const Getter get = [&](const char* name) { return file.GetXattr(name); };
  auto record = record_absent ? ReadV1(get) : ReadRecord(get);
  if (!record.ok()) return record.status();
  ObjectMeta meta;
  if (record->has_value()) {
    std::string etag = StoredEtag(**record, st);
    meta = std::move((*record)->meta);
    meta.etag = std::move(etag);
  } else {
    meta.etag = DerivedEtag(st);
    meta.content_type = kDefaultContentType;
  }
  meta.size = st.size;
  meta.mtime_ns = st.mtime_ns;
  return meta;
}

}  // namespace

Result<ObjectMeta> MetaOfNode(fs::Backend& backend, const dirops::NodePath& node,
                              const dirops::NodeView& view) {
  const bool directory = node.kind == dirops::NodeKind::kDirectory;
  if (!view.attrs) {
    if (!directory && view.data) {
      // The engine found no record (NodeView::attrs) and stat'ed the file: a
      // GET of a file another program placed made an fstat and a read of
      // user.fsgate.m more, two syscalls of its ten.
      fs::FileStat st;
      st.ino = view.ino;
      st.size = view.size;
      st.mtime_ns = view.mtime_ns;
      return MetaOfFile(*view.data, st, /*record_absent=*/true);
    }
    auto meta = ReadDirObjectMeta(backend, node.path);
    if (!meta.ok()) return meta.status();
    if (!meta->has_value()) return dirops::NameNotFound();
    return std::move(**meta);
  }
  auto record = DecodeMetaRecord(*view.attrs);
  if (!record.ok()) return record.status();
  if (!directory) {
    fs::FileStat st;
    st.ino = view.ino;
    st.size = view.size;
    st.mtime_ns = view.mtime_ns;
    record->meta.etag = StoredEtag(*record, st);
  }
  ObjectMeta meta = std::move(record->meta);
  meta.size = directory ? 0 : view.size;
  if (!directory || meta.mtime_ns == 0) meta.mtime_ns = view.mtime_ns;
  return meta;
}

Status WriteObjectMeta(fs::File& file, const ObjectMeta& meta) {
  return file.SetXattr(kXattrRecord, EncodeMetaRecord(meta, /*with_mtime=*/false));
}

Status RewriteObjectMeta(fs::File& file, const ObjectMeta& meta) {
  auto record = ReadRecord([&](const char* name) { return file.GetXattr(name); });
  if (!record.ok()) return record.status();
  if (!record->has_value()) {
    // A file another program placed: its derived ETag is recorded with the
    // mtime it was derived from, so that a later change of the file by that
    // program still changes the ETag (see StoredEtag).
    return file.SetXattr(kXattrRecord, EncodeMetaRecord(meta, /*with_mtime=*/true));
  }
  return dirops::WriteFileAttrs(file, ObjectAttrNames(),
                                EncodeMetaRecord(meta, /*with_mtime=*/false), (*record)->seq);
}

Result<ObjectMeta> ReadObjectMeta(fs::File& file) {
  auto st = file.Stat();
  if (!st.ok()) return st.status();
  return MetaOfFile(file, *st, /*record_absent=*/false);
}

namespace {

// Listings read this per file: only what holds the ETag, and the ACL the
// same record holds (format 1 and foreign files have none).
template <typename Getter>
Status EtagVia(Getter get, const fs::FileStat& st, ObjectMeta& meta) {
  auto record = ReadV2(get);
  if (!record.ok()) return record.status();
  if (record->has_value()) {
    meta.etag = StoredEtag(**record, st);
    meta.acl = std::move((*record)->meta.acl);
    return Status::Ok();
  }
  auto etag = get(kXattrEtag);  // format 1
  if (etag.ok()) {
    meta.etag = std::move(*etag);
  } else if (etag.status().IsErrno(ENODATA)) {
    meta.etag = DerivedEtag(st);
  } else {
    return etag.status();
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> ReadObjectEtag(fs::File& file, const fs::FileStat& st) {
  ObjectMeta meta;
  if (Status s = EtagVia([&](const char* name) { return file.GetXattr(name); }, st, meta);
      !s.ok()) {
    return s;
  }
  return std::move(meta.etag);
}

Status ReadEntryEtag(fs::Dir& dir, const std::string& name, const fs::FileStat& st,
                     ObjectMeta& meta) {
  return EtagVia([&](const char* xattr) { return dir.GetXattrAt(name, xattr); }, st, meta);
}

Result<std::optional<ObjectMeta>> ReadDirObjectMeta(fs::Backend& backend, const std::string& path) {
  auto record = ReadRecord([&](const char* name) { return backend.GetXattr(path, name); });
  if (!record.ok()) return record.status();
  if (!record->has_value()) return std::optional<ObjectMeta>();
  ObjectMeta meta = std::move((*record)->meta);
  meta.size = 0;
  if (meta.mtime_ns == 0) {
    auto st = backend.Stat(path);
    if (!st.ok()) return st.status();
    meta.mtime_ns = st->mtime_ns;
  }
  return std::optional<ObjectMeta>(std::move(meta));
}

size_t UserMetaBytes(const ObjectMeta& meta) {
  size_t total = 0;
  for (const auto& [k, v] : meta.user_meta) total += k.size() + v.size();
  return total;
}

}  // namespace fsgate::store
