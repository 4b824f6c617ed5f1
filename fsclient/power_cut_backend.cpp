#include "fsclient/power_cut_backend.h"

#include <spdlog/spdlog.h>

#include "fsclient/backend_util.h"

namespace fsgate::fsclient {
namespace {

class PowerCutFile final : public File {
 public:
  PowerCutFile(std::unique_ptr<File> inner, std::shared_ptr<PowerCutBackend::FileState> state)
      : inner_(std::move(inner)), state_(std::move(state)) {}

  Result<size_t> PRead(uint64_t offset, std::span<char> buf) override {
    return inner_->PRead(offset, buf);
  }
  Status PWrite(uint64_t offset, std::span<const char> data) override {
    return inner_->PWrite(offset, data);
  }
  Status Truncate(uint64_t size) override { return inner_->Truncate(size); }
  Status Sync() override {
    if (Status s = inner_->Sync(); !s.ok()) return s;
    if (state_) {
      auto st = inner_->Stat();
      if (!st.ok()) return st.status();
      state_->synced_size = st->size;
    }
    return Status::Ok();
  }
  Result<FileStat> Stat() override { return inner_->Stat(); }
  Result<std::string> GetXattr(const std::string& name) override { return inner_->GetXattr(name); }
  Status SetXattr(const std::string& name, std::string_view value) override {
    return inner_->SetXattr(name, value);
  }
  Status RemoveXattr(const std::string& name) override { return inner_->RemoveXattr(name); }
  Result<std::vector<std::string>> ListXattrs() override { return inner_->ListXattrs(); }
  Status CopyFrom(File& src, uint64_t src_offset, uint64_t dst_offset, uint64_t len) override {
    auto* wrapped = dynamic_cast<PowerCutFile*>(&src);
    return inner_->CopyFrom(wrapped ? *wrapped->inner_ : src, src_offset, dst_offset, len);
  }
  Status Close() override { return inner_->Close(); }

 private:
  std::unique_ptr<File> inner_;
  std::shared_ptr<PowerCutBackend::FileState> state_;  // null for read-only opens
};

}  // namespace

PowerCutBackend::PowerCutBackend(std::unique_ptr<Backend> inner) : inner_(std::move(inner)) {}
PowerCutBackend::~PowerCutBackend() = default;

std::string PowerCutBackend::Name() const { return "powercut(" + inner_->Name() + ")"; }

std::optional<PowerCutBackend::Copy> PowerCutBackend::CopyOf(const std::string& path) {
  auto st = inner_->Stat(path);
  if (!st.ok() || !st->is_regular) return std::nullopt;
  auto file = inner_->Open(path, OpenMode::kRead);
  if (!file.ok()) return std::nullopt;
  Copy copy;
  // Only the synced part of its data would survive the cut.
  auto data = ReadWholeFile(**file);
  if (!data.ok()) return std::nullopt;
  copy.data = std::move(*data);
  if (auto it = files_.find(path);
      it != files_.end() && copy.data.size() > it->second->synced_size) {
    copy.data.resize(it->second->synced_size);
  }
  if (auto names = (*file)->ListXattrs(); names.ok()) {
    for (const auto& name : *names) {
      if (auto v = (*file)->GetXattr(name); v.ok()) copy.xattrs.emplace_back(name, *v);
    }
  }
  return copy;
}

Status PowerCutBackend::Restore(const std::string& path, const Copy& copy) {
  auto file = inner_->Open(path, OpenMode::kCreateTruncate);
  if (!file.ok()) return file.status();
  if (Status s = (*file)->PWrite(0, copy.data); !s.ok()) return s;
  for (const auto& [name, value] : copy.xattrs) {
    if (Status s = (*file)->SetXattr(name, value); !s.ok()) return s;
  }
  return Status::Ok();
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
  auto before = inner_->Stat(path);
  const bool existed = before.ok();
  std::optional<Copy> replaced;
  if (existed && mode == OpenMode::kCreateTruncate) replaced = CopyOf(path);
  auto file = inner_->Open(path, mode);
  if (!file.ok()) return file.status();
  std::shared_ptr<FileState> state;
  if (mode != OpenMode::kRead) {
    state = StateFor(path, existed ? before->size : 0);
    if (mode == OpenMode::kCreateTruncate && existed) {
      // The truncation is not durable either: the old content may come back.
      log_.push_back({NameOp::Kind::kUnlink, path, "", std::move(replaced)});
      log_.push_back({NameOp::Kind::kCreate, path, "", std::nullopt});
      state->synced_size = 0;
    } else if (!existed) {
      log_.push_back({NameOp::Kind::kCreate, path, "", std::nullopt});
      state->synced_size = 0;
    }
  }
  return std::unique_ptr<File>(std::make_unique<PowerCutFile>(std::move(*file), std::move(state)));
}

Result<FileStat> PowerCutBackend::Stat(const std::string& path) { return inner_->Stat(path); }

Status PowerCutBackend::Mkdir(const std::string& path) {
  std::lock_guard lock(mu_);
  if (Status s = inner_->Mkdir(path); !s.ok()) return s;
  log_.push_back({NameOp::Kind::kMkdir, path, "", std::nullopt});
  return Status::Ok();
}

Status PowerCutBackend::Rmdir(const std::string& path) {
  std::lock_guard lock(mu_);
  if (Status s = inner_->Rmdir(path); !s.ok()) return s;
  log_.push_back({NameOp::Kind::kRmdir, path, "", std::nullopt});
  return Status::Ok();
}

Status PowerCutBackend::Unlink(const std::string& path) {
  std::lock_guard lock(mu_);
  std::optional<Copy> copy = CopyOf(path);
  if (Status s = inner_->Unlink(path); !s.ok()) return s;
  log_.push_back({NameOp::Kind::kUnlink, path, "", std::move(copy)});
  files_.erase(path);
  return Status::Ok();
}

Status PowerCutBackend::Rename(const std::string& from, const std::string& to) {
  std::lock_guard lock(mu_);
  std::optional<Copy> replaced = CopyOf(to);
  if (Status s = inner_->Rename(from, to); !s.ok()) return s;
  log_.push_back({NameOp::Kind::kRename, to, from, std::move(replaced)});
  auto it = files_.find(from);
  if (it != files_.end()) {
    files_[to] = it->second;
    files_.erase(it);
  } else {
    files_.erase(to);
  }
  return Status::Ok();
}

Result<std::vector<DirEntry>> PowerCutBackend::ReadDir(const std::string& path) {
  return inner_->ReadDir(path);
}

Status PowerCutBackend::SyncDir(const std::string& path) {
  if (Status s = inner_->SyncDir(path); !s.ok()) return s;
  std::lock_guard lock(mu_);
  std::erase_if(log_, [&](const NameOp& op) { return ParentPath(op.path) == path; });
  return Status::Ok();
}

Status PowerCutBackend::SyncFs() {
  if (Status s = inner_->SyncFs(); !s.ok()) return s;
  std::lock_guard lock(mu_);
  log_.clear();
  for (auto& [path, state] : files_) {
    if (auto st = inner_->Stat(path); st.ok()) state->synced_size = st->size;
  }
  return Status::Ok();
}

Status PowerCutBackend::SimulatePowerCut() {
  std::lock_guard lock(mu_);
  size_t truncated = 0;
  for (const auto& [path, state] : files_) {
    auto st = inner_->Stat(path);
    if (!st.ok() || !st->is_regular || st->size <= state->synced_size) continue;
    auto file = inner_->Open(path, OpenMode::kReadWrite);
    if (file.ok() && (*file)->Truncate(state->synced_size).ok()) ++truncated;
  }
  const size_t undone = log_.size();
  for (auto op = log_.rbegin(); op != log_.rend(); ++op) {
    Status s;
    switch (op->kind) {
      case NameOp::Kind::kCreate:
        s = inner_->Unlink(op->path);
        break;
      case NameOp::Kind::kMkdir:
        s = inner_->Rmdir(op->path);
        break;
      case NameOp::Kind::kRmdir:
        s = inner_->Mkdir(op->path);
        break;
      case NameOp::Kind::kRename:
        s = inner_->Rename(op->path, op->from);
        if (s.ok() && op->replaced) s = Restore(op->path, *op->replaced);
        break;
      case NameOp::Kind::kUnlink:
        if (op->replaced && !inner_->Stat(op->path).ok()) s = Restore(op->path, *op->replaced);
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
  return inner_->GetXattr(path, name);
}

// Xattrs are modelled as durable at once (ext4 journals them with the inode).
Status PowerCutBackend::SetXattr(const std::string& path, const std::string& name,
                                 std::string_view value) {
  return inner_->SetXattr(path, name, value);
}

Status PowerCutBackend::RemoveXattr(const std::string& path, const std::string& name) {
  return inner_->RemoveXattr(path, name);
}

size_t PowerCutBackend::unsynced_name_ops() const {
  std::lock_guard lock(mu_);
  return log_.size();
}

}  // namespace fsgate::fsclient
