#include "store/gateway_state.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <thread>

#include "fs/backend_util.h"
#include "store/legacy_state.h"
#include "store/store_layout.h"

namespace fsgate::store {
namespace {

constexpr size_t kMaxIdLength = 63;

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// The stored id, or a new one stored for the next start. Two first starts at
// the same instant may both write: each reads back what the file holds and
// runs as that, so both become one gateway and the lock refuses the second.
Result<std::string> StoredOrNewId(fs::Backend& backend, bool fsync, bool* made) {
  auto stored = ReadSmallFile(backend, layout::kGatewayId);
  if (!stored.ok() && stored.status().IsErrno(ENOENT)) {
    if (Status s = WriteFileAtomic(backend, layout::kGatewayId, RandomHex(6) + "\n", fsync);
        !s.ok()) {
      return s;
    }
    *made = true;
    stored = ReadSmallFile(backend, layout::kGatewayId);
  }
  if (!stored.ok()) return stored.status();
  std::string id = Trimmed(*stored);
  if (!IsValidGatewayId(id)) {
    return Status::Errno(EINVAL, std::string(layout::kGatewayId) + " holds '" + id +
                                     "', not a gateway id; remove it or pass --gateway-id");
  }
  return id;
}

std::string ThisHost() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '?';
  return host;
}

// "pid 1234 on host-a since 2026-12-06T04:50:00Z": written into the lock
// file once it is held, read back by a start it refuses.
std::string HolderNote() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char since[32];
  std::strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return "pid " + std::to_string(::getpid()) + " on " + ThisHost() + " since " + since + "\n";
}

// A holder note of a process of this host that is gone. Its lock outlives it
// only where locks go with a filesystem session (CephFS: until the MDS closes
// the dead client's), so a start waits for that instead of being refused. A
// pid reused since counts as alive: the start is refused, never let in twice.
bool HolderIsGone(const std::string& note) {
  unsigned long pid = 0;
  char host[256] = {};
  if (std::sscanf(note.c_str(), "pid %lu on %255s since", &pid, host) != 2) return false;
  return host == ThisHost() && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

constexpr const char* kAdoptingPrefix = "adopting for gateway ";
// How long a start waits for a survivor's adoption of its journal (a replay
// of a full backlog, 20,000 ops, takes seconds) or for a dead predecessor's
// lock to lapse (CephFS's defaults: session_timeout 60 s + session_autoclose
// 300 s); beyond this something is wrong.
constexpr auto kLockWait = std::chrono::seconds(400);

// Who holds `path` (the lock file's note), or "unknown".
std::string Holder(fs::Backend& backend, const std::string& path) {
  auto note = ReadSmallFile(backend, path);
  return note.ok() && !Trimmed(*note).empty() ? Trimmed(*note) : "unknown";
}

// The gateway's own lock. While a survivor adopts this id's journal the start
// waits for it (the adoption ends in seconds, and leaves nothing to replay),
// and while a dead process of this host still holds it, for the lock to
// lapse; any other holder is a live process with this id: refused.
Result<std::unique_ptr<fs::FileLock>> Lock(fs::Backend& backend, const std::string& id,
                                           const std::string& dir) {
  const std::string path = dir + "/lock";
  const auto deadline = std::chrono::steady_clock::now() + kLockWait;
  bool told = false;
  int live_seen = 0;
  for (;;) {
    auto lock = LockGatewayDir(backend, dir, "");
    if (lock.ok()) return lock;
    if (lock.status().IsErrno(ENOTSUP)) {
      spdlog::warn("{}: a second process with gateway id '{}' would not be refused",
                   lock.status().message(), id);
      return std::unique_ptr<fs::FileLock>();
    }
    if (!lock.status().IsErrno(EWOULDBLOCK)) return lock.status();
    const std::string holder = Holder(backend, path);
    const bool adopting = holder.starts_with(kAdoptingPrefix);
    const bool gone = !adopting && HolderIsGone(holder);
    // A live holder is believed on a second look in a row: a survivor that
    // has just taken the lock writes its note a moment later.
    live_seen = adopting || gone ? 0 : live_seen + 1;
    if (live_seen > 1) {
      return Status::Errno(EWOULDBLOCK,
                           "gateway id '" + id + "' is already running on this root (" + path +
                               " held by " + holder + "); give this one another --gateway-id");
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Errno(EWOULDBLOCK, "gateway id '" + id + "': " + path + " still held by " +
                                            holder + " after " + std::to_string(kLockWait.count()) +
                                            " s; start it again later");
    }
    if (!told && live_seen == 0) {
      if (adopting) {
        spdlog::info(
            "gateway id {}: a survivor is replaying this gateway's journal ({}): "
            "waiting for it",
            id, holder);
      } else {
        spdlog::info(
            "gateway id {}: its last process ({}) is gone: waiting for the filesystem "
            "to let go of its lock",
            id, holder);
      }
      told = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// A survivor's adoption left the journal with nothing to replay: from now on
// this gateway answers ops into it again, so the marker must be gone, durably,
// before the engine opens (else the next survivor would skip them).
Status ClearAdoptedMarker(fs::Backend& backend, const std::string& dir, bool fsync) {
  auto marker = ReadSmallFile(backend, dir + "/" + kAdoptedMarker);
  if (!marker.ok()) return fs::IsMissing(marker.status()) ? Status::Ok() : marker.status();
  if (Status s = backend.Unlink(dir + "/" + kAdoptedMarker); !s.ok()) return s;
  if (fsync) {
    if (Status s = backend.SyncDir(dir); !s.ok()) return s;
  }
  spdlog::info("this gateway's journal was adopted ({}): nothing of it left to replay",
               Trimmed(*marker));
  return Status::Ok();
}

}  // namespace

std::string GatewayDir(const std::string& id) { return std::string(layout::kGateways) + "/" + id; }

std::string AdoptingRole(const std::string& adopter_id) { return kAdoptingPrefix + adopter_id; }

Result<std::unique_ptr<fs::FileLock>> LockGatewayDir(fs::Backend& backend, const std::string& dir,
                                                     const std::string& role) {
  const std::string path = dir + "/lock";
  auto lock = backend.LockExclusive(path);
  if (!lock.ok()) return lock;
  // Best effort: the note only names the holder to whoever finds it held.
  if (auto file = backend.Open(path, fs::Backend::OpenMode::kReadWrite); file.ok()) {
    const std::string note = role.empty() ? HolderNote() : role + ", " + HolderNote();
    if ((*file)->Truncate(0).ok()) (void)(*file)->PWrite(0, note);
  }
  return lock;
}

bool IsValidGatewayId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '-'))) return false;
  }
  return true;
}

GatewayState::GatewayState(std::string id, std::string dir, std::unique_ptr<fs::FileLock> lock,
                           bool adopted_legacy)
    : id_(std::move(id)),
      dir_(std::move(dir)),
      lock_(std::move(lock)),
      adopted_legacy_(adopted_legacy) {}

Result<std::unique_ptr<GatewayState>> GatewayState::Open(fs::Backend& backend, std::string id,
                                                         bool fsync) {
  const char* source = "given";
  if (id.empty()) {
    bool made = false;
    auto stored = StoredOrNewId(backend, fsync, &made);
    if (!stored.ok()) return stored.status();
    id = std::move(*stored);
    source = made ? "new, stored in .fsgate/gateway-id" : "stored in .fsgate/gateway-id";
  } else if (!IsValidGatewayId(id)) {
    return Status::Errno(EINVAL, "gateway id '" + id + "' is not [a-z0-9][a-z0-9_-]{0,62}");
  }
  const std::string dir = GatewayDir(id);
  if (Status s = fs::MakeDirs(backend, dir, fsync); !s.ok()) return s;
  auto lock = Lock(backend, id, dir);
  if (!lock.ok()) return lock.status();
  if (Status s = ClearAdoptedMarker(backend, dir, fsync); !s.ok()) return s;
  // Only under the lock: a second start with this id must not move anything.
  auto adopted = AdoptLegacyState(backend, dir, fsync);
  if (!adopted.ok()) return adopted.status();
  std::unique_ptr<GatewayState> state(new GatewayState(id, dir, std::move(*lock), *adopted));
  for (const std::string& sub : {state->journal_dir(), state->staging_dir()}) {
    if (Status s = fs::MakeDirs(backend, sub, fsync); !s.ok()) return s;
  }
  spdlog::info("gateway id {} ({}); engine state in {}/; {}", id, source, dir,
               *adopted ? "adopted the journal and staging of an older fsgate (" +
                              std::string(layout::kLegacyJournal) + ", " + layout::kLegacyStaging +
                              "): replayed as this gateway's"
                        : "no older layout to adopt");
  return state;
}

}  // namespace fsgate::store
