#include "fsclient/staging_dirs.h"

#include "fsclient/store_layout.h"

namespace fsgate::fsclient {

StagingDirs::StagingDirs(Backend& backend, std::string dir, bool durable_dirs,
                         size_t files_per_generation)
    : backend_(backend),
      dir_(std::move(dir)),
      durable_dirs_(durable_dirs),
      files_per_generation_(files_per_generation) {}

Result<StagingDirs::NewName> StagingDirs::Next(std::string_view prefix) {
  std::lock_guard lock(mu_);
  if (current_.empty() || used_ >= files_per_generation_) {
    if (Status s = StartGeneration(); !s.ok()) return s;
  }
  ++used_;
  return NewName{current_ + "/" + std::string(prefix) + RandomHex(12), current_};
}

Status StagingDirs::StartGeneration() {
  if (current_.empty()) backend_.SpreadSubdirectories(dir_);
  std::string next = dir_ + "/" + std::string(kStagingGenerationPrefix) + RandomHex(8);
  if (Status s = backend_.Mkdir(next); !s.ok()) return s;
  if (durable_dirs_) {
    if (Status s = backend_.SyncDir(dir_); !s.ok()) return s;
  }
  if (!current_.empty()) older_.push_back(std::move(current_));
  current_ = std::move(next);
  used_ = 0;
  // Files of older generations leave as they are published; a generation
  // still holding some stays for a later try (rmdir refuses a non-empty one).
  std::erase_if(older_, [&](const std::string& gen) {
    Status s = backend_.Rmdir(gen);
    return s.ok() || s.IsErrno(ENOENT);
  });
  return Status::Ok();
}

}  // namespace fsgate::fsclient
