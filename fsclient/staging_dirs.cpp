#include "fsclient/staging_dirs.h"

#include <algorithm>

#include "fsclient/store_layout.h"

namespace fsgate::fsclient {

StagingDirs::StagingDirs(Backend& backend, std::string dir, bool durable_dirs,
                         size_t files_per_generation)
    : backend_(backend),
      dir_(std::move(dir)),
      durable_dirs_(durable_dirs),
      files_per_generation_(files_per_generation) {}

Result<StagingDirs::NewFile> StagingDirs::Create(std::string_view prefix) {
  NewFile out;
  {
    std::lock_guard lock(mu_);
    if (generations_.empty() || used_ >= files_per_generation_) {
      if (Status s = StartGeneration(); !s.ok()) return s;
    }
    ++used_;
    ++generations_.back().creating;
    out.dir = generations_.back().dir;
  }
  out.path = out.dir + "/" + std::string(prefix) + RandomHex(12);
  auto file = backend_.Open(out.path, Backend::OpenMode::kCreateExclusive);
  {
    std::lock_guard lock(mu_);
    // Still listed: a generation with a create in flight is never removed.
    std::find_if(generations_.begin(), generations_.end(), [&](const Generation& g) {
      return g.dir == out.dir;
    })->creating--;
  }
  if (!file.ok()) return file.status();
  auto st = (*file)->Stat();
  if (!st.ok()) {
    (void)backend_.Unlink(out.path);
    return st.status();
  }
  out.ino = st->ino;
  return out;
}

Status StagingDirs::StartGeneration() {
  if (generations_.empty()) backend_.SpreadSubdirectories(dir_);
  std::string next = dir_ + "/" + std::string(kStagingGenerationPrefix) + RandomHex(8);
  if (Status s = backend_.Mkdir(next); !s.ok()) return s;
  if (durable_dirs_) {
    if (Status s = backend_.SyncDir(dir_); !s.ok()) return s;
  }
  // Files of older generations leave as they are published; one still holding
  // some, or about to get one, stays for a later try (rmdir refuses a
  // non-empty directory).
  std::erase_if(generations_, [&](const Generation& g) {
    if (g.creating > 0) return false;
    Status s = backend_.Rmdir(g.dir);
    return s.ok() || s.IsErrno(ENOENT);
  });
  generations_.push_back({std::move(next), 0});
  used_ = 0;
  return Status::Ok();
}

}  // namespace fsgate::fsclient
