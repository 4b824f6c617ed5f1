#include "fs/fault_backend.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cstring>
#include <thread>
#include <utility>

#include "fs/backend_util.h"

namespace fsgate::fs {
namespace {

// Checks the rules before each call it may fail; the rest is forwarded.
class FaultFile final : public FileWrapper {
 public:
  FaultFile(FaultBackend& owner, std::string path, std::unique_ptr<File> target)
      : FileWrapper(std::move(target)), owner_(owner), path_(std::move(path)) {}

  Result<size_t> PRead(uint64_t offset, std::span<char> buf) override {
    if (Status s = owner_.Check(FaultOp::kRead, path_); !s.ok()) return s;
    return FileWrapper::PRead(offset, buf);
  }
  Status PWrite(uint64_t offset, std::span<const char> data) override {
    if (Status s = owner_.Check(FaultOp::kWrite, path_); !s.ok()) return s;
    return FileWrapper::PWrite(offset, data);
  }
  Status Truncate(uint64_t size) override {
    if (Status s = owner_.Check(FaultOp::kTruncate, path_); !s.ok()) return s;
    return FileWrapper::Truncate(size);
  }
  Status Sync() override {
    if (Status s = owner_.Check(FaultOp::kFileSync, path_); !s.ok()) return s;
    return FileWrapper::Sync();
  }
  Status SyncData() override {
    if (Status s = owner_.Check(FaultOp::kFileSync, path_); !s.ok()) return s;
    return FileWrapper::SyncData();
  }
  Result<FileStat> Stat() override {
    if (Status s = owner_.Check(FaultOp::kStat, path_); !s.ok()) return s;
    return FileWrapper::Stat();
  }
  Result<std::string> GetXattr(const std::string& name) override {
    if (Status s = owner_.Check(FaultOp::kGetXattr, path_); !s.ok()) return s;
    return FileWrapper::GetXattr(name);
  }
  Status SetXattr(const std::string& name, std::string_view value) override {
    if (Status s = owner_.Check(FaultOp::kSetXattr, path_); !s.ok()) return s;
    return FileWrapper::SetXattr(name, value);
  }
  Status RemoveXattr(const std::string& name) override {
    if (Status s = owner_.Check(FaultOp::kRemoveXattr, path_); !s.ok()) return s;
    return FileWrapper::RemoveXattr(name);
  }
  Status CopyFrom(File& src, uint64_t src_offset, uint64_t dst_offset, uint64_t len) override {
    if (Status s = owner_.Check(FaultOp::kWrite, path_); !s.ok()) return s;
    return FileWrapper::CopyFrom(src, src_offset, dst_offset, len);
  }

 private:
  FaultBackend& owner_;
  std::string path_;
};

std::optional<FaultOp> ParseOp(std::string_view name) {
  static constexpr std::pair<std::string_view, FaultOp> kOps[] = {
      {"open", FaultOp::kOpen},         {"stat", FaultOp::kStat},
      {"mkdir", FaultOp::kMkdir},       {"rmdir", FaultOp::kRmdir},
      {"unlink", FaultOp::kUnlink},     {"rename", FaultOp::kRename},
      {"readdir", FaultOp::kReadDir},   {"syncdir", FaultOp::kSyncDir},
      {"syncfs", FaultOp::kSyncFs},     {"getxattr", FaultOp::kGetXattr},
      {"setxattr", FaultOp::kSetXattr}, {"removexattr", FaultOp::kRemoveXattr},
      {"read", FaultOp::kRead},         {"write", FaultOp::kWrite},
      {"truncate", FaultOp::kTruncate}, {"fsync", FaultOp::kFileSync},
  };
  for (const auto& [n, op] : kOps) {
    if (n == name) return op;
  }
  return std::nullopt;
}

std::optional<int> ParseErrno(std::string_view name) {
  static constexpr std::pair<std::string_view, int> kErrnos[] = {
      {"EIO", EIO},       {"ENOSPC", ENOSPC}, {"EROFS", EROFS},   {"EACCES", EACCES},
      {"ENOENT", ENOENT}, {"EEXIST", EEXIST}, {"EDQUOT", EDQUOT}, {"EAGAIN", EAGAIN},
  };
  for (const auto& [n, e] : kErrnos) {
    if (n == name) return e;
  }
  return std::nullopt;
}

std::optional<int> ParseInt(std::string_view text) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

FaultBackend::FaultBackend(std::unique_ptr<Backend> inner) : BackendWrapper(std::move(inner)) {}

void FaultBackend::AddRule(FaultRule rule) {
  std::lock_guard lock(mu_);
  rules_.push_back({std::move(rule)});
}

bool FaultBackend::AddRuleSpec(std::string_view spec) {
  if (spec.starts_with("swap:") || spec == "swap") {
    // "swap[:path=S][:count=N]": inode swapped under the name after a rename.
    std::string pattern;
    int count = 1;
    int every = 0;
    std::string_view rest = spec.substr(std::min<size_t>(spec.size(), 5));
    while (!rest.empty()) {
      auto colon = rest.find(':');
      std::string_view part = rest.substr(0, colon);
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
      if (part.starts_with("path=")) {
        pattern = std::string(part.substr(5));
      } else if (auto n = part.starts_with("count=") ? ParseInt(part.substr(6)) : std::nullopt) {
        count = *n;
      } else if (auto e = part.starts_with("every=") ? ParseInt(part.substr(6)) : std::nullopt) {
        if (*e <= 0) return false;
        every = *e;
      } else {
        return false;
      }
    }
    if (every > 0) {
      SwapInodeEvery(every, std::move(pattern));
    } else {
      SwapInodeAfterRename(std::move(pattern), count);
    }
    return true;
  }
  FaultRule rule;
  bool first = true;
  while (!spec.empty()) {
    auto colon = spec.find(':');
    std::string_view part = spec.substr(0, colon);
    spec = colon == std::string_view::npos ? std::string_view() : spec.substr(colon + 1);
    if (first) {
      auto op = ParseOp(part);
      if (!op) return false;
      rule.op = *op;
      first = false;
    } else if (part.starts_with("delay=")) {
      auto ms = ParseInt(part.substr(6));
      if (!ms || *ms < 0) return false;
      rule.delay = std::chrono::milliseconds(*ms);
      rule.err = 0;
    } else if (part.starts_with("path=")) {
      rule.path_contains = std::string(part.substr(5));
    } else if (part.starts_with("count=")) {
      auto n = ParseInt(part.substr(6));
      if (!n) return false;
      rule.count = *n;
    } else if (part.starts_with("skip=")) {
      auto n = ParseInt(part.substr(5));
      if (!n || *n < 0) return false;
      rule.skip = *n;
    } else if (auto err = ParseErrno(part)) {
      rule.err = *err;
    } else {
      return false;
    }
  }
  if (first) return false;
  AddRule(std::move(rule));
  return true;
}

void FaultBackend::ClearRules() {
  std::lock_guard lock(mu_);
  rules_.clear();
  swap_count_ = 0;
  swap_every_ = 0;
}

void FaultBackend::SwapInodeAfterRename(std::string pattern, int count) {
  std::lock_guard lock(mu_);
  swap_pattern_ = std::move(pattern);
  swap_count_ = count;
}

void FaultBackend::SwapInodeEvery(int every, std::string pattern) {
  std::lock_guard lock(mu_);
  swap_pattern_ = std::move(pattern);
  swap_every_ = every;
  swap_seen_ = 0;
}

int FaultBackend::injected() const {
  std::lock_guard lock(mu_);
  return injected_;
}

Status FaultBackend::Check(FaultOp op, const std::string& path) {
  std::chrono::milliseconds delay{0};
  int err = 0;
  {
    std::lock_guard lock(mu_);
    for (ArmedRule& r : rules_) {
      if (r.rule.op != op || path.find(r.rule.path_contains) == std::string::npos) continue;
      if (r.rule.count >= 0 && r.fired >= r.rule.count) continue;
      if (r.seen++ < r.rule.skip) continue;
      ++r.fired;
      delay = std::max(delay, r.rule.delay);
      if (r.rule.err != 0 && err == 0) {
        err = r.rule.err;
        ++injected_;
      }
    }
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  if (err != 0) return Status::Errno(err, "injected fault on " + path);
  return Status::Ok();
}

Status FaultBackend::ReplaceWithCopy(const std::string& path) {
  const std::string tmp = path + ".fault-swap";
  auto src = target().Open(path, OpenMode::kRead);
  if (!src.ok()) return src.status();
  auto dst = target().Open(tmp, OpenMode::kCreateTruncate);
  if (!dst.ok()) return dst.status();
  auto data = ReadWholeFile(**src);
  if (!data.ok()) return data.status();
  if (Status s = (*dst)->PWrite(0, *data); !s.ok()) return s;
  if (auto names = (*src)->ListXattrs(); names.ok()) {
    for (const std::string& name : *names) {
      if (auto v = (*src)->GetXattr(name); v.ok()) (void)(*dst)->SetXattr(name, *v);
    }
  }
  if (Status s = (*dst)->Sync(); !s.ok()) return s;
  return target().Rename(tmp, path);
}

std::string FaultBackend::Name() const { return "fault(" + target().Name() + ")"; }

Result<std::unique_ptr<File>> FaultBackend::Open(const std::string& path, OpenMode mode) {
  if (Status s = Check(FaultOp::kOpen, path); !s.ok()) return s;
  auto file = target().Open(path, mode);
  if (!file.ok()) return file.status();
  return std::unique_ptr<File>(std::make_unique<FaultFile>(*this, path, std::move(*file)));
}

Result<FileStat> FaultBackend::Stat(const std::string& path) {
  if (Status s = Check(FaultOp::kStat, path); !s.ok()) return s;
  return target().Stat(path);
}

Status FaultBackend::Mkdir(const std::string& path) {
  if (Status s = Check(FaultOp::kMkdir, path); !s.ok()) return s;
  return target().Mkdir(path);
}

Status FaultBackend::Rmdir(const std::string& path) {
  if (Status s = Check(FaultOp::kRmdir, path); !s.ok()) return s;
  return target().Rmdir(path);
}

Status FaultBackend::Unlink(const std::string& path) {
  if (Status s = Check(FaultOp::kUnlink, path); !s.ok()) return s;
  return target().Unlink(path);
}

Status FaultBackend::RenameNoReplace(const std::string& from, const std::string& to) {
  if (Status s = Check(FaultOp::kRename, to); !s.ok()) return s;
  return target().RenameNoReplace(from, to);
}

Status FaultBackend::Rename(const std::string& from, const std::string& to) {
  if (Status s = Check(FaultOp::kRename, to); !s.ok()) return s;
  if (Status s = target().Rename(from, to); !s.ok()) return s;
  bool swap = false;
  {
    std::lock_guard lock(mu_);
    if (to.find(swap_pattern_) != std::string::npos) {
      if (swap_count_ != 0) {
        if (swap_count_ > 0) --swap_count_;
        swap = true;
      } else if (swap_every_ > 0 && ++swap_seen_ % swap_every_ == 0) {
        swap = true;
      }
    }
  }
  if (swap) {
    if (Status s = ReplaceWithCopy(to); !s.ok()) {
      spdlog::warn("fault backend: could not swap the inode of {}: {}", to, s.message());
    }
  }
  return Status::Ok();
}

Result<std::vector<DirEntry>> FaultBackend::ReadDir(const std::string& path) {
  if (Status s = Check(FaultOp::kReadDir, path); !s.ok()) return s;
  return target().ReadDir(path);
}

Status FaultBackend::SyncDir(const std::string& path) {
  if (Status s = Check(FaultOp::kSyncDir, path); !s.ok()) return s;
  return target().SyncDir(path);
}

Status FaultBackend::SyncFs() {
  if (Status s = Check(FaultOp::kSyncFs, ""); !s.ok()) return s;
  return target().SyncFs();
}

Result<std::string> FaultBackend::GetXattr(const std::string& path, const std::string& name) {
  if (Status s = Check(FaultOp::kGetXattr, path); !s.ok()) return s;
  return target().GetXattr(path, name);
}

Status FaultBackend::SetXattr(const std::string& path, const std::string& name,
                              std::string_view value) {
  if (Status s = Check(FaultOp::kSetXattr, path); !s.ok()) return s;
  return target().SetXattr(path, name, value);
}

Status FaultBackend::RemoveXattr(const std::string& path, const std::string& name) {
  if (Status s = Check(FaultOp::kRemoveXattr, path); !s.ok()) return s;
  return target().RemoveXattr(path, name);
}

}  // namespace fsgate::fs
