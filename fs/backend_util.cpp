#include "fs/backend_util.h"

#include <algorithm>

namespace fsgate::fs {

std::string ParentPath(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

Status MakeDirs(Backend& backend, const std::string& path, bool sync) {
  if (path.empty()) return Status::Ok();
  if (auto st = backend.Stat(path); st.ok()) {
    return st->is_dir ? Status::Ok() : Status::Errno(ENOTDIR, "mkdir " + path);
  }
  if (Status s = MakeDirs(backend, ParentPath(path), sync); !s.ok()) return s;
  Status s = backend.Mkdir(path);
  if (s.IsErrno(EEXIST)) return Status::Ok();
  if (!s.ok()) return s;
  return sync ? backend.SyncDir(ParentPath(path)) : Status::Ok();
}

Status CopyThroughBuffer(File& src, uint64_t src_offset, File& dst, uint64_t dst_offset,
                         uint64_t len) {
  std::string buf(static_cast<size_t>(std::min<uint64_t>(len, 1 << 20)), '\0');
  while (len > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(len, buf.size()));
    auto n = src.PRead(src_offset, std::span<char>(buf.data(), want));
    if (!n.ok()) return n.status();
    if (*n == 0) return Status::Errno(EIO, "copy: source shorter than expected");
    if (Status s = dst.PWrite(dst_offset, std::span<const char>(buf.data(), *n)); !s.ok()) {
      return s;
    }
    src_offset += *n;
    dst_offset += *n;
    len -= *n;
  }
  return Status::Ok();
}

Result<std::string> GetXattrValue(const XattrCall& call, const std::string& what) {
  std::string value(256, '\0');
  for (int attempt = 0; attempt < 8; ++attempt) {
    long n = call(value.data(), value.size());
    if (n >= 0) {
      value.resize(static_cast<size_t>(n));
      return value;
    }
    if (n != -ERANGE) return Status::Errno(static_cast<int>(-n), what);
    n = call(nullptr, 0);
    if (n < 0) return Status::Errno(static_cast<int>(-n), what);
    value.resize(static_cast<size_t>(n) + 1);
  }
  return Status::Errno(ERANGE, what);
}

Result<std::vector<std::string>> ListXattrNames(const XattrCall& call, const std::string& what) {
  std::string buf(1024, '\0');
  for (int attempt = 0; attempt < 8; ++attempt) {
    long n = call(buf.data(), buf.size());
    if (n == -ERANGE) {
      buf.resize(buf.size() * 4);
      continue;
    }
    if (n < 0) return Status::Errno(static_cast<int>(-n), what);
    // NUL-terminated names, back to back.
    std::vector<std::string> names;
    const size_t end_of_list = std::min(static_cast<size_t>(n), buf.size());
    for (size_t pos = 0; pos < end_of_list;) {
      size_t end = std::min(buf.find('\0', pos), end_of_list);
      if (end > pos) names.emplace_back(buf.substr(pos, end - pos));
      pos = end + 1;
    }
    return names;
  }
  return Status::Errno(ERANGE, what);
}

Result<std::string> ReadWholeFile(File& file) {
  std::string data;
  uint64_t offset = 0;
  for (;;) {
    data.resize(offset + 256 * 1024);
    auto n = file.PRead(offset, std::span<char>(data.data() + offset, data.size() - offset));
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    offset += *n;
  }
  data.resize(offset);
  return data;
}

namespace {

// Backend::OpenDir's default: every look-up a path call of the backend.
class PathDir final : public Dir {
 public:
  PathDir(Backend& backend, std::string path) : backend_(backend), path_(std::move(path)) {}

  Result<FileStat> Stat() override { return backend_.Stat(path_); }
  Result<std::vector<DirEntry>> Read() override { return backend_.ReadDir(path_); }
  Result<FileStat> StatAt(const std::string& name) override {
    if (!IsOneComponent(name)) return Status::Errno(EINVAL, "not a name: " + name);
    return backend_.Stat(Child(name));
  }
  Result<std::string> GetXattrAt(const std::string& name, const std::string& xattr) override {
    if (!IsOneComponent(name)) return Status::Errno(EINVAL, "not a name: " + name);
    return backend_.GetXattr(Child(name), xattr);
  }

 private:
  std::string Child(const std::string& name) const { return ChildPath(path_, name); }

  Backend& backend_;
  const std::string path_;
};

}  // namespace

bool IsOneComponent(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

Result<std::unique_ptr<Dir>> Backend::OpenDir(const std::string& path) {
  auto st = Stat(path);
  if (!st.ok()) return st.status();
  if (!st->is_dir) return Status::Errno(ENOTDIR, "opendir " + path);
  return std::unique_ptr<Dir>(std::make_unique<PathDir>(*this, path));
}

}  // namespace fsgate::fs
