// StagingDirs: the directories new staging files are created in.
//
// A new file's inode comes from its directory's block group on ext4, and
// without an ext4 journal the allocator skips every inode freed in the last
// minutes; in a group churned by deletes each create then scans thousands of
// them. Measured here: 0.4-0.8 ms of CPU per create in such a group, 0.02 ms in
// a fresh one. So staging files go into generation subdirectories of the
// staging directory, which is marked as a top directory (FS_TOPDIR_FL): the
// allocator spreads its subdirectories over uncrowded groups as it does for
// top-level ones. A new generation starts every `files_per_generation` files;
// emptied older ones are removed. Elsewhere the layout is harmless.
//
//   .fsgate/staging/g.<hex>/<prefix><hex>
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>

#include "fsclient/backend.h"
#include "fsclient/status.h"

namespace fsgate::fsclient {

// Names of generation subdirectories start with this.
inline constexpr std::string_view kStagingGenerationPrefix = "g.";

class StagingDirs {
 public:
  struct NewFile {
    uint64_t ino = 0;  // the new file's inode number
    std::string path;  // the new file's path
    std::string dir;   // its directory (synced by whoever needs the name durable)
  };

  // `durable_dirs`: a new generation's name is synced into the staging
  // directory before any file is created in it.
  StagingDirs(Backend& backend, std::string dir, bool durable_dirs,
              size_t files_per_generation = 4096);

  // Creates a new staging file (O_EXCL) whose name starts with `prefix`; one
  // whose inode number cannot be read is removed again and the error returned.
  Result<NewFile> Create(std::string_view prefix);

 private:
  struct Generation {
    std::string dir;
    size_t creating = 0;  // creates between naming a file here and opening it
  };
  Status StartGeneration();  // under mu_

  Backend& backend_;
  const std::string dir_;
  const bool durable_dirs_;
  const size_t files_per_generation_;
  std::mutex mu_;
  std::deque<Generation> generations_;  // the last one is being filled
  size_t used_ = 0;                     // files named in the last one
};

}  // namespace fsgate::fsclient
