#include "tests/support/crash_point_backend.h"

namespace fsgate::fs {
namespace {

// A file's writes, syncs and attribute changes are steps of the world too.
class CrashPointFile final : public FileWrapper {
 public:
  CrashPointFile(std::unique_ptr<File> target, CrashPointBackend& backend, std::string path)
      : FileWrapper(std::move(target)), backend_(backend), path_(std::move(path)) {}

  Status PWrite(uint64_t offset, std::span<const char> data) override {
    return backend_.Pass() ? FileWrapper::PWrite(offset, data) : Stop("write");
  }
  Status Truncate(uint64_t size) override {
    return backend_.Pass() ? FileWrapper::Truncate(size) : Stop("truncate");
  }
  Status Sync() override { return backend_.Pass() ? FileWrapper::Sync() : Stop("fsync"); }
  Status SyncData() override {
    return backend_.Pass() ? FileWrapper::SyncData() : Stop("fdatasync");
  }
  Status SetMtime(int64_t mtime_ns) override {
    return backend_.Pass() ? FileWrapper::SetMtime(mtime_ns) : Stop("utimens");
  }
  Status SetXattr(const std::string& name, std::string_view value) override {
    return backend_.Pass() ? FileWrapper::SetXattr(name, value) : Stop("setxattr");
  }
  Status RemoveXattr(const std::string& name) override {
    return backend_.Pass() ? FileWrapper::RemoveXattr(name) : Stop("removexattr");
  }
  Status CopyFrom(File& src, uint64_t src_offset, uint64_t dst_offset, uint64_t len) override {
    return backend_.Pass() ? FileWrapper::CopyFrom(src, src_offset, dst_offset, len) : Stop("copy");
  }

 private:
  Status Stop(const char* what) {
    return CrashPointBackend::Stopped(std::string(what) + " " + path_);
  }

  CrashPointBackend& backend_;
  std::string path_;
};

}  // namespace

Result<std::unique_ptr<File>> CrashPointBackend::Open(const std::string& path, OpenMode mode) {
  if (mode != OpenMode::kRead && !Pass()) return Stopped("open " + path);
  auto file = BackendWrapper::Open(path, mode);
  if (!file.ok()) return file.status();
  return std::unique_ptr<File>(std::make_unique<CrashPointFile>(std::move(*file), *this, path));
}

Status CrashPointBackend::Mkdir(const std::string& path) {
  return Pass() ? BackendWrapper::Mkdir(path) : Stopped("mkdir " + path);
}
Status CrashPointBackend::Rmdir(const std::string& path) {
  return Pass() ? BackendWrapper::Rmdir(path) : Stopped("rmdir " + path);
}
Status CrashPointBackend::Unlink(const std::string& path) {
  return Pass() ? BackendWrapper::Unlink(path) : Stopped("unlink " + path);
}
Status CrashPointBackend::Rename(const std::string& from, const std::string& to) {
  return Pass() ? BackendWrapper::Rename(from, to) : Stopped("rename " + to);
}
Status CrashPointBackend::RenameNoReplace(const std::string& from, const std::string& to) {
  return Pass() ? BackendWrapper::RenameNoReplace(from, to) : Stopped("rename " + to);
}
Status CrashPointBackend::Link(const std::string& from, const std::string& to) {
  return Pass() ? BackendWrapper::Link(from, to) : Stopped("link " + to);
}
Status CrashPointBackend::SyncDir(const std::string& path) {
  return Pass() ? BackendWrapper::SyncDir(path) : Stopped("fsync dir " + path);
}
Status CrashPointBackend::SyncFs() { return Pass() ? BackendWrapper::SyncFs() : Stopped("syncfs"); }
Status CrashPointBackend::SetXattr(const std::string& path, const std::string& name,
                                   std::string_view value) {
  return Pass() ? BackendWrapper::SetXattr(path, name, value) : Stopped("setxattr " + path);
}
Status CrashPointBackend::RemoveXattr(const std::string& path, const std::string& name) {
  return Pass() ? BackendWrapper::RemoveXattr(path, name) : Stopped("removexattr " + path);
}

}  // namespace fsgate::fs
