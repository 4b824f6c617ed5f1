#include "tests/support/power_cut_backend.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "fs/backend_util.h"

namespace fsgate::fs {
namespace {

// Records the size a Sync() made durable; everything else is forwarded.
class PowerCutFile final : public FileWrapper {
 public:
  PowerCutFile(std::unique_ptr<File> target, std::shared_ptr<PowerCutBackend::FileState> state)
      : FileWrapper(std::move(target)), state_(std::move(state)) {}

  Status Sync() override {
    if (Status s = FileWrapper::Sync(); !s.ok()) return s;
    if (state_) {
      auto st = FileWrapper::Stat();
      if (!st.ok()) return st.status();
      state_->synced_size = st->size;
    }
    return Status::Ok();
  }

 private:
  std::shared_ptr<PowerCutBackend::FileState> state_;  // null: nothing unsynced tracked
};

}  // namespace

PowerCutBackend::PowerCutBackend(std::unique_ptr<Backend> inner)
    : BackendWrapper(std::move(inner)) {}
PowerCutBackend::~PowerCutBackend() = default;

std::string PowerCutBackend::Name() const { return "powercut(" + target().Name() + ")"; }

namespace {
constexpr const char* kTrashDir = ".fsgate/powercut-trash";
}  // namespace

Result<std::string> PowerCutBackend::TrashLocked(const std::string& path) {
  auto st = target().Stat(path);
  if (!st.ok() || !st->is_regular) return std::string();
  if (Status s = MakeDirs(target(), kTrashDir, false); !s.ok()) return s;
  std::string trash = std::string(kTrashDir) + "/" + std::to_string(++trash_counter_);
  if (Status s = target().Rename(path, trash); !s.ok()) return s;
  MoveStateLocked(path, trash);
  return trash;
}

void PowerCutBackend::MoveStateLocked(const std::string& from, const std::string& to) {
  auto it = files_.find(from);
  if (it == files_.end()) {
    files_.erase(to);
    return;
  }
  files_[to] = it->second;
  files_.erase(it);
}

void PowerCutBackend::ForgetLocked(std::vector<NameOp>::iterator first,
                                   std::vector<NameOp>::iterator last) {
  for (auto it = first; it != last; ++it) {
    if (!it->trash.empty()) {
      (void)target().Unlink(it->trash);
      files_.erase(it->trash);
    }
  }
}

std::shared_ptr<PowerCutBackend::FileState> PowerCutBackend::StateFor(const std::string& path,
                                                                      uint64_t synced_size) {
  auto& state = files_[path];
  if (!state) {
    state = std::make_shared<FileState>();
    state->synced_size = synced_size;
  }
  return state;
}

Result<std::unique_ptr<File>> PowerCutBackend::Open(const std::string& path, OpenMode mode) {
  std::lock_guard lock(mu_);
  auto before = target().Stat(path);
  const bool existed = before.ok();
  if (mode == OpenMode::kCreateTruncate && existed && before->is_regular) {
    // The truncation is not durable either: keep the old inode to bring back.
    auto trash = TrashLocked(path);
    if (!trash.ok()) return trash.status();
    auto file = target().Open(path, OpenMode::kCreateExclusive);
    if (!file.ok()) {
      (void)target().Rename(*trash, path);
      MoveStateLocked(*trash, path);
      return file.status();
    }
    log_.push_back({NameOp::Kind::kUnlink, path, "", *trash});
    log_.push_back({NameOp::Kind::kCreate, path, "", ""});
    files_.erase(path);
    return std::unique_ptr<File>(
        std::make_unique<PowerCutFile>(std::move(*file), StateFor(path, 0)));
  }
  auto file = target().Open(path, mode);
  if (!file.ok()) return file.status();
  std::shared_ptr<FileState> state;
  if (mode != OpenMode::kRead) {
    state = StateFor(path, existed ? before->size : 0);
    if (!existed) log_.push_back({NameOp::Kind::kCreate, path, "", ""});
  } else if (auto it = files_.find(path); it != files_.end()) {
    state = it->second;  // fsync through a read-only descriptor syncs the data too
  }
  return std::unique_ptr<File>(std::make_unique<PowerCutFile>(std::move(*file), std::move(state)));
}

Result<FileStat> PowerCutBackend::Stat(const std::string& path) {
  std::lock_guard lock(mu_);
  return target().Stat(path);
}

Status PowerCutBackend::Mkdir(const std::string& path) {
  std::lock_guard lock(mu_);
  if (Status s = target().Mkdir(path); !s.ok()) return s;
  log_.push_back({NameOp::Kind::kMkdir, path, "", ""});
  return Status::Ok();
}

Status PowerCutBackend::Rmdir(const std::string& path) {
  std::lock_guard lock(mu_);
  if (Status s = target().Rmdir(path); !s.ok()) return s;
  log_.push_back({NameOp::Kind::kRmdir, path, "", ""});
  return Status::Ok();
}

Status PowerCutBackend::Unlink(const std::string& path) {
  std::lock_guard lock(mu_);
  auto st = target().Stat(path);
  if (!st.ok()) return Status::Errno(st.status().err(), "unlink " + path);
  if (!st->is_regular) return target().Unlink(path);
  auto trash = TrashLocked(path);
  if (!trash.ok()) return trash.status();
  log_.push_back({NameOp::Kind::kUnlink, path, "", *trash});
  return Status::Ok();
}

Status PowerCutBackend::Rename(const std::string& from, const std::string& to) {
  std::lock_guard lock(mu_);
  return RenameLocked(from, to);
}

Status PowerCutBackend::RenameNoReplace(const std::string& from, const std::string& to) {
  std::lock_guard lock(mu_);
  if (target().Stat(to).ok()) return Status::Errno(EEXIST, "rename " + from + " -> " + to);
  return RenameLocked(from, to);
}

Status PowerCutBackend::RenameLocked(const std::string& from, const std::string& to) {
  auto src = target().Stat(from);
  if (!src.ok()) return Status::Errno(src.status().err(), "rename " + from);
  std::string trash;
  if (src->is_regular) {
    auto t = TrashLocked(to);
    if (!t.ok()) return t.status();
    trash = *t;
  }
  if (Status s = target().Rename(from, to); !s.ok()) {
    if (!trash.empty()) {
      (void)target().Rename(trash, to);
      MoveStateLocked(trash, to);
    }
    return s;
  }
  MoveStateLocked(from, to);
  log_.push_back({NameOp::Kind::kRename, to, from, trash});
  return Status::Ok();
}

Result<std::vector<DirEntry>> PowerCutBackend::ReadDir(const std::string& path) {
  std::lock_guard lock(mu_);
  return target().ReadDir(path);
}

Status PowerCutBackend::SyncDir(const std::string& path) {
  if (Status s = target().SyncDir(path); !s.ok()) return s;
  std::lock_guard lock(mu_);
  auto durable = std::stable_partition(
      log_.begin(), log_.end(), [&](const NameOp& op) { return ParentPath(op.path) != path; });
  ForgetLocked(durable, log_.end());
  log_.erase(durable, log_.end());
  return Status::Ok();
}

Status PowerCutBackend::SyncFs() {
  if (Status s = target().SyncFs(); !s.ok()) return s;
  std::lock_guard lock(mu_);
  ForgetLocked(log_.begin(), log_.end());
  log_.clear();
  for (auto& [path, state] : files_) {
    if (auto st = target().Stat(path); st.ok()) state->synced_size = st->size;
  }
  return Status::Ok();
}

Status PowerCutBackend::SimulatePowerCut() {
  std::lock_guard lock(mu_);
  size_t truncated = 0;
  for (const auto& [path, state] : files_) {
    auto st = target().Stat(path);
    if (!st.ok() || !st->is_regular || st->size <= state->synced_size) continue;
    auto file = target().Open(path, OpenMode::kReadWrite);
    if (file.ok() && (*file)->Truncate(state->synced_size).ok()) ++truncated;
  }
  const size_t undone = log_.size();
  for (auto op = log_.rbegin(); op != log_.rend(); ++op) {
    Status s;
    switch (op->kind) {
      case NameOp::Kind::kCreate:
        s = target().Unlink(op->path);
        break;
      case NameOp::Kind::kMkdir:
        s = target().Rmdir(op->path);
        break;
      case NameOp::Kind::kRmdir:
        s = target().Mkdir(op->path);
        break;
      case NameOp::Kind::kRename:
        s = target().Rename(op->path, op->from);
        if (s.ok() && !op->trash.empty()) s = target().Rename(op->trash, op->path);
        break;
      case NameOp::Kind::kUnlink:
        if (!op->trash.empty()) s = target().Rename(op->trash, op->path);
        break;
    }
    if (!s.ok()) {
      spdlog::debug("power cut: cannot undo a change of {}: {}", op->path, s.message());
    }
  }
  log_.clear();
  files_.clear();
  spdlog::info("power cut: {} files truncated, {} unsynced name changes undone", truncated, undone);
  return Status::Ok();
}

Result<std::string> PowerCutBackend::GetXattr(const std::string& path, const std::string& name) {
  std::lock_guard lock(mu_);
  return target().GetXattr(path, name);
}

size_t PowerCutBackend::unsynced_name_ops() const {
  std::lock_guard lock(mu_);
  return log_.size();
}

}  // namespace fsgate::fs
