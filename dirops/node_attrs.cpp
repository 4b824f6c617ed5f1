#include "dirops/node_attrs.h"

#include "base/tlv_fields.h"

namespace fsgate::dirops {
namespace {

constexpr char kSeqField = 's';

// The current xattr, else any older format's marker, of the directory a
// getter names (`get(xattr)`).
template <typename Get>
Result<std::optional<std::string>> ReadDirAttrsWith(Get get, const NodeAttrNames& names) {
  auto value = get(names.xattr);
  if (value.ok()) return std::optional<std::string>(UnframeAttrs(*value).blob);
  if (!value.status().IsErrno(ENODATA)) return value.status();
  for (const std::string& legacy : names.legacy) {
    auto marker = get(legacy);
    if (marker.ok()) return std::optional<std::string>(std::string());
    if (!marker.status().IsErrno(ENODATA)) return marker.status();
  }
  return std::optional<std::string>();
}

}  // namespace

std::string FrameAttrs(std::string_view blob, uint64_t seq) {
  std::string value(blob);
  if (seq != 0) PutVarintField(value, kSeqField, seq);
  return value;
}

FramedAttrs UnframeAttrs(std::string_view value) {
  FramedAttrs out;
  if (value.empty()) return out;
  std::string blob(value.substr(0, 1));
  FieldReader r(value.substr(1));
  while (!r.done()) {
    const std::string_view field_start = r.rest();
    char tag = 0;
    std::string_view bytes;
    if (!r.Field(tag, bytes)) return FramedAttrs{std::string(value), 0};
    if (tag == kSeqField) {
      if (!DecodeVarint(bytes, out.seq)) return FramedAttrs{std::string(value), 0};
      continue;
    }
    blob.append(field_start.substr(0, field_start.size() - r.rest().size()));
  }
  out.blob = std::move(blob);
  return out;
}

Result<std::optional<FramedAttrs>> ReadFileAttrs(fs::File& file, const NodeAttrNames& names) {
  auto value = file.GetXattr(names.xattr);
  if (!value.ok()) {
    if (value.status().IsErrno(ENODATA)) return std::optional<FramedAttrs>();
    return value.status();
  }
  return std::optional<FramedAttrs>(UnframeAttrs(*value));
}

Status WriteFileAttrs(fs::File& file, const NodeAttrNames& names, std::string_view blob,
                      uint64_t seq) {
  return file.SetXattr(names.xattr, FrameAttrs(blob, seq));
}

Result<uint64_t> ReadFileSeq(fs::Backend& backend, const std::string& path,
                             const NodeAttrNames& names) {
  auto value = backend.GetXattr(path, names.xattr);
  if (!value.ok()) {
    if (value.status().IsErrno(ENODATA)) return uint64_t{0};
    return value.status();
  }
  return UnframeAttrs(*value).seq;
}

Result<std::optional<std::string>> ReadDirAttrs(fs::Backend& backend, const std::string& path,
                                                const NodeAttrNames& names) {
  // Through the parent opened once: a delete's prune asks this of the
  // directory each delete leaves (empty or not, before its rmdir), and a path
  // getxattr per name (posix: openat2 of the parent, open, fgetxattr, two
  // closes) made a sync DELETE of a key in a directory 42 syscalls, 25 of them
  // for these five names; relative to the open parent each is one call. A
  // backend without directory handles (CephFS, any decorator) would only add
  // the default OpenDir's stat: its path calls stay.
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos || !backend.HasDirHandles()) {
    return ReadDirAttrsWith([&](const std::string& x) { return backend.GetXattr(path, x); }, names);
  }
  auto parent = backend.OpenDir(path.substr(0, slash));
  if (!parent.ok()) return parent.status();
  const std::string name = path.substr(slash + 1);
  return ReadDirAttrsWith([&](const std::string& x) { return (*parent)->GetXattrAt(name, x); },
                          names);
}

Status WriteDirAttrs(fs::Backend& backend, const std::string& path, const NodeAttrNames& names,
                     std::string_view blob) {
  return backend.SetXattr(path, names.xattr, blob);
}

Status RemoveDirAttrs(fs::Backend& backend, const std::string& path, const NodeAttrNames& names) {
  // The current xattr first, then the older format's marker: without them the
  // rest is ignored.
  Status s = backend.RemoveXattr(path, names.xattr);
  if (!s.ok() && !s.IsErrno(ENODATA)) return s;
  for (const std::string& legacy : names.legacy) {
    s = backend.RemoveXattr(path, legacy);
    if (!s.ok() && !s.IsErrno(ENODATA)) return s;
  }
  return Status::Ok();
}

}  // namespace fsgate::dirops
