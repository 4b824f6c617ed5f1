// BackendWrapper and FileWrapper: decorators' common base, as LevelDB's
// EnvWrapper. Every call is forwarded to the wrapped target, so a decorator
// (fault injection, a simulated power cut) overrides only the calls it
// changes, and a call added to Backend or File later reaches the target
// through every decorator without touching them.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fs/backend.h"

namespace fsgate::fs {

class FileWrapper : public File {
 public:
  explicit FileWrapper(std::unique_ptr<File> target) : target_(std::move(target)) {}

  File& target() { return *target_; }

  Result<size_t> PRead(uint64_t offset, std::span<char> buf) override {
    return target_->PRead(offset, buf);
  }
  Status PWrite(uint64_t offset, std::span<const char> data) override {
    return target_->PWrite(offset, data);
  }
  Status Truncate(uint64_t size) override { return target_->Truncate(size); }
  Status Sync() override { return target_->Sync(); }
  Status SyncData() override { return target_->SyncData(); }
  Result<FileStat> Stat() override { return target_->Stat(); }
  Status SetMtime(int64_t mtime_ns) override { return target_->SetMtime(mtime_ns); }
  Result<std::string> GetXattr(const std::string& name) override { return target_->GetXattr(name); }
  Status SetXattr(const std::string& name, std::string_view value) override {
    return target_->SetXattr(name, value);
  }
  Status RemoveXattr(const std::string& name) override { return target_->RemoveXattr(name); }
  Result<std::vector<std::string>> ListXattrs() override { return target_->ListXattrs(); }
  // A wrapped source is unwrapped first: the target backend copies between its
  // own files (copy_file_range needs both ends to be of one kind).
  Status CopyFrom(File& src, uint64_t src_offset, uint64_t dst_offset, uint64_t len) override {
    return target_->CopyFrom(Unwrap(src), src_offset, dst_offset, len);
  }
  Status Close() override { return target_->Close(); }

  // The innermost file under any number of FileWrappers.
  static File& Unwrap(File& file) {
    File* f = &file;
    while (auto* w = dynamic_cast<FileWrapper*>(f)) f = w->target_.get();
    return *f;
  }

 private:
  std::unique_ptr<File> target_;
};

class BackendWrapper : public Backend {
 public:
  explicit BackendWrapper(std::unique_ptr<Backend> target) : target_(std::move(target)) {}

  Backend& target() { return *target_; }
  const Backend& target() const { return *target_; }

  std::string Name() const override { return target_->Name(); }
  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override {
    return target_->Open(path, mode);
  }
  Result<FileStat> Stat(const std::string& path) override { return target_->Stat(path); }
  // StatNoTimes is not forwarded: it reaches this wrapper's Stat (Backend's
  // default), so a decorator that changes Stat changes it too.
  Status Mkdir(const std::string& path) override { return target_->Mkdir(path); }
  Status Rmdir(const std::string& path) override { return target_->Rmdir(path); }
  Status Unlink(const std::string& path) override { return target_->Unlink(path); }
  Status Rename(const std::string& from, const std::string& to) override {
    return target_->Rename(from, to);
  }
  Status RenameNoReplace(const std::string& from, const std::string& to) override {
    return target_->RenameNoReplace(from, to);
  }
  Status Link(const std::string& from, const std::string& to) override {
    return target_->Link(from, to);
  }
  Result<std::vector<DirEntry>> ReadDir(const std::string& path) override {
    return target_->ReadDir(path);
  }
  // OpenDir is not forwarded: Backend's default builds the Dir on this
  // decorator's own path calls, so what a decorator does to Stat, ReadDir and
  // GetXattr (a fault, a delay) applies to listings too.
  Status SyncDir(const std::string& path) override { return target_->SyncDir(path); }
  Status SyncFs() override { return target_->SyncFs(); }
  void SpreadSubdirectories(const std::string& path) override {
    target_->SpreadSubdirectories(path);
  }
  int BackgroundCallsWhileBusy() const override { return target_->BackgroundCallsWhileBusy(); }
  bool RemoteMetadata() const override { return target_->RemoteMetadata(); }
  Result<std::string> GetXattr(const std::string& path, const std::string& name) override {
    return target_->GetXattr(path, name);
  }
  Status SetXattr(const std::string& path, const std::string& name,
                  std::string_view value) override {
    return target_->SetXattr(path, name, value);
  }
  Status RemoveXattr(const std::string& path, const std::string& name) override {
    return target_->RemoveXattr(path, name);
  }
  // A lock is no durable state (a power cut, like the holder's death, drops
  // it) and no fault target yet: every decorator passes it through.
  Result<std::unique_ptr<FileLock>> LockExclusive(const std::string& path) override {
    return target_->LockExclusive(path);
  }
  Result<std::unique_ptr<RangeLock>> OpenRangeLock(const std::string& path) override {
    return target_->OpenRangeLock(path);
  }

 private:
  std::unique_ptr<Backend> target_;
};

}  // namespace fsgate::fs
