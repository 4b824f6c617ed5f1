#include "dirops/staging_dirs.h"

#include <algorithm>
#include <ctime>
#include <optional>
#include <random>

#include "base/hash.h"

namespace fsgate::dirops {

namespace {

std::chrono::nanoseconds ThreadCpuTime() {
  struct timespec ts {};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

std::chrono::nanoseconds WallTime() { return std::chrono::steady_clock::now().time_since_epoch(); }

// A staging file's name only needs to be unique, never secret: it is created
// O_EXCL under .fsgate/staging, which no S3 request names. So names come from
// a per-thread generator seeded once from the system's entropy, not from
// RAND_bytes, whose fork check costs a getpid syscall per name (one of the
// refill's 4-6 syscalls per file).
std::string StagingName(std::string_view prefix) {
  thread_local std::mt19937_64 rng = [] {
    std::random_device entropy;  // 32 bits a draw: 128 bits of seed
    std::seed_seq seed{entropy(), entropy(), entropy(), entropy()};
    return std::mt19937_64(seed);
  }();
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(prefix);
  // 96 bits, the 24 hex digits RandomHex(12) gave.
  const auto append_hex = [&](uint64_t bits, int digits) {
    for (; digits > 0; --digits, bits >>= 4) out.push_back(kDigits[bits & 0xf]);
  };
  append_hex(rng(), 16);
  append_hex(rng(), 8);
  return out;
}

StagingDirs::Options WithDefaultClock(StagingDirs::Options options) {
  if (!options.thread_cpu_time) options.thread_cpu_time = ThreadCpuTime;
  if (!options.wall_time) options.wall_time = WallTime;
  return options;
}

}  // namespace

StagingDirs::StagingDirs(fs::Backend& backend, std::string dir, Options options)
    : backend_(backend), dir_(std::move(dir)), options_(WithDefaultClock(std::move(options))) {}

Result<StagingDirs::NewFile> StagingDirs::Create(std::string_view prefix) {
  return Make(prefix, /*directory=*/false);
}

Result<StagingDirs::NewFile> StagingDirs::CreateDir(std::string_view prefix) {
  return Make(prefix, /*directory=*/true);
}

Result<StagingDirs::NewFile> StagingDirs::Make(std::string_view prefix, bool directory) {
  NewFile out;
  {
    std::lock_guard lock(mu_);
    if (generations_.empty() || used_ >= options_.files_per_generation) {
      if (Status s = StartGeneration(); !s.ok()) return s;
    }
    ++used_;
    ++generations_.back().creating;
    out.dir = generations_.back().dir;
  }
  out.path = out.dir + "/" + StagingName(prefix);
  const bool time_cpu = time_cpu_.load(std::memory_order_relaxed);
  const std::chrono::nanoseconds wall_before = options_.wall_time();
  const std::chrono::nanoseconds cpu_before = time_cpu ? options_.thread_cpu_time() : wall_before;
  Result<std::unique_ptr<fs::File>> file = std::unique_ptr<fs::File>();
  if (directory) {
    if (Status s = backend_.Mkdir(out.path); !s.ok()) file = s;
  } else {
    file = backend_.Open(out.path, fs::Backend::OpenMode::kCreateExclusive);
  }
  const std::chrono::nanoseconds wall_spent = options_.wall_time() - wall_before;
  time_cpu_.store(wall_spent > options_.slow_create, std::memory_order_relaxed);
  // Unread, the CPU time is bounded by the wall time: exact enough for a fast
  // create. A slow one by the wall clock alone may have waited (preempted,
  // a remote filesystem): not counted, the next create's CPU time is read.
  std::optional<std::chrono::nanoseconds> cpu_spent;
  if (time_cpu) {
    cpu_spent = options_.thread_cpu_time() - cpu_before;
  } else if (wall_spent <= options_.slow_create) {
    cpu_spent = wall_spent;
  }
  {
    std::lock_guard lock(mu_);
    // Still listed: a generation with a create in flight is never removed.
    std::find_if(generations_.begin(), generations_.end(), [&](const Generation& g) {
      return g.dir == out.dir;
    })->creating--;
    if (file.ok() && cpu_spent) NoteCreateCost(out.dir, *cpu_spent);
  }
  if (!file.ok()) return file.status();
  if (directory) return out;
  auto ino = (*file)->Ino();
  if (!ino.ok()) {
    (void)backend_.Unlink(out.path);
    return ino.status();
  }
  out.ino = *ino;
  return out;
}

Status StagingDirs::StartGeneration() {
  if (generations_.empty()) backend_.SpreadSubdirectories(dir_);
  std::string next = dir_ + "/" + std::string(kStagingGenerationPrefix) + RandomHex(8);
  if (Status s = backend_.Mkdir(next); !s.ok()) return s;
  if (options_.durable_dirs) {
    if (Status s = backend_.SyncDir(dir_); !s.ok()) return s;
  }
  // Every staging file is created, opened, renamed out of or removed from its
  // generation by path: held open, the generation spares each of them a walk
  // of the staging path (fs::Backend::PinDir). Unpinned by its Rmdir below.
  backend_.PinDir(next);
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
  if (window_best_) previous_best_ = window_best_;
  window_best_.reset();
  window_cpu_ = {};
  window_creates_ = 0;
  return Status::Ok();
}

void StagingDirs::NoteCreateCost(const std::string& dir, std::chrono::nanoseconds cpu) {
  if (generations_.empty() || generations_.back().dir != dir) return;
  window_cpu_ += cpu;
  if (++window_creates_ < options_.slow_run) return;
  const std::chrono::nanoseconds mean = window_cpu_ / window_creates_;
  window_cpu_ = {};
  window_creates_ = 0;
  window_best_ = window_best_ ? std::min(*window_best_, mean) : mean;
  if (mean <= options_.slow_create) return;
  // The first generation measured has nothing to be compared with: a slow one
  // is left for a second look. Later, the cheapest window of this generation
  // and of the one before is the reference: two slow ones in a row mean the
  // filesystem is that slow now, and the generation is kept.
  const bool slow = !previous_best_ ||
                    mean > options_.slower_than_best * std::min(*previous_best_, *window_best_);
  if (slow) used_ = options_.files_per_generation;  // the next create starts a new generation
}

}  // namespace fsgate::dirops
