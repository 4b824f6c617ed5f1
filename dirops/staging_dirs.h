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
// Spreading alone does not keep creates cheap after a mass delete: the groups
// the deleted objects came from have the most free inodes, and the allocator
// prefers those. Measured: after 197,000 deletes a 20,000-file tree answered
// in 5.8 s instead of 2.9 s, 5,310 of its creates falling back for want of a
// delegated inode. Nor do deletes elsewhere on the disk (other programs) stay
// out of a new generation's group: 3 of 20 generations made right after
// other work's deletes cost 37-64 us of CPU per create on average, the rest
// 6-11 us (ext4 without a journal; the refill thread's CPU per PUT swung from
// 6 to 53 us between runs of one benchmark). So a generation is judged by the
// mean CPU of each window of `slow_run` creates: one whose window costs more
// than `slow_create` and `slower_than_best` times the cheapest window of it
// and of the generation before is left early for a new one, which the
// allocator most likely places in a fresh group. CPU time, not wall time: a
// remote filesystem's slow creates cost no CPU here. The thread's CPU clock
// is a syscall (no vDSO), two per create, and a create's CPU time never
// exceeds its wall time (vDSO): so the CPU clock is read only while creates
// are slow by the wall clock; the first such create of a run is not counted.
//
//   .fsgate/staging/g.<hex>/<prefix><hex>
//
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "fs/backend.h"

namespace fsgate::dirops {

// Names of generation subdirectories start with this.
inline constexpr std::string_view kStagingGenerationPrefix = "g.";

class StagingDirs {
 public:
  struct NewFile {
    uint64_t ino = 0;  // the new file's inode number (0 for a directory)
    std::string path;  // the new file's path
    std::string dir;   // its directory (synced by whoever needs the name durable)
  };

  struct Options {
    // A new generation's name is synced into the staging directory before
    // any file is created in it.
    bool durable_dirs = true;
    size_t files_per_generation = 4096;
    // A create in a fresh group costs 6-11 us of CPU here; one in a group
    // churned by recent deletes 30-800 us. Windows cheaper than this never end
    // a generation.
    std::chrono::nanoseconds slow_create{std::chrono::microseconds(20)};
    size_t slow_run = 64;  // creates per window
    double slower_than_best = 3;
    // The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID when empty).
    std::function<std::chrono::nanoseconds()> thread_cpu_time;
    // A monotonic wall clock (CLOCK_MONOTONIC when empty).
    std::function<std::chrono::nanoseconds()> wall_time;
  };

  StagingDirs(fs::Backend& backend, std::string dir, Options options);
  StagingDirs(fs::Backend& backend, std::string dir, bool durable_dirs)
      : StagingDirs(backend, std::move(dir), DurableIf(durable_dirs)) {}

  static Options DurableIf(bool durable_dirs) {
    Options options;
    options.durable_dirs = durable_dirs;
    return options;
  }

  // Creates a new staging file (O_EXCL) whose name starts with `prefix`; one
  // whose inode number cannot be read is removed again and the error returned.
  Result<NewFile> Create(std::string_view prefix);
  // Makes a new, empty staging directory whose name starts with `prefix`.
  Result<NewFile> CreateDir(std::string_view prefix);

 private:
  Result<NewFile> Make(std::string_view prefix, bool directory);
  struct Generation {
    std::string dir;
    size_t creating = 0;  // creates between naming a file here and opening it
  };
  Status StartGeneration();  // under mu_
  // Counts a create in `dir` that took `cpu`; may end the current generation.
  void NoteCreateCost(const std::string& dir, std::chrono::nanoseconds cpu);  // under mu_

  fs::Backend& backend_;
  const std::string dir_;
  const Options options_;
  std::mutex mu_;
  std::deque<Generation> generations_;  // the last one is being filled
  size_t used_ = 0;                     // files named in the last one
  // The last one's window so far, its cheapest window, and the cheapest
  // window of the one before it (none yet: the first generation measured).
  std::chrono::nanoseconds window_cpu_{};
  size_t window_creates_ = 0;
  std::optional<std::chrono::nanoseconds> window_best_;
  std::optional<std::chrono::nanoseconds> previous_best_;
  // The last create was slow by the wall clock: the next one reads the CPU clock.
  std::atomic<bool> time_cpu_{false};
};

}  // namespace fsgate::dirops
