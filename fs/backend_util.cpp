#include "fs/backend_util.h"

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

}  // namespace fsgate::fs
