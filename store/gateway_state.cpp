#include "store/gateway_state.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <ctime>

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

// "pid 1234 on host-a since 2026-12-06T04:50:00Z": written into the lock
// file once it is held, read back by a start it refuses.
std::string HolderNote() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '?';
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char since[32];
  std::strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return "pid " + std::to_string(::getpid()) + " on " + host + " since " + since + "\n";
}

Result<std::unique_ptr<fs::FileLock>> Lock(fs::Backend& backend, const std::string& id,
                                           const std::string& path) {
  auto lock = backend.LockExclusive(path);
  if (lock.ok()) {
    // Best effort: the note only names the holder in another start's refusal.
    if (auto file = backend.Open(path, fs::Backend::OpenMode::kReadWrite); file.ok()) {
      const std::string note = HolderNote();
      if ((*file)->Truncate(0).ok()) (void)(*file)->PWrite(0, note);
    }
    return lock;
  }
  if (lock.status().IsErrno(ENOTSUP)) {
    spdlog::warn("{}: a second process with gateway id '{}' would not be refused",
                 lock.status().message(), id);
    return std::unique_ptr<fs::FileLock>();
  }
  if (!lock.status().IsErrno(EWOULDBLOCK)) return lock.status();
  auto note = ReadSmallFile(backend, path);
  const std::string holder = note.ok() && !Trimmed(*note).empty() ? Trimmed(*note) : "unknown";
  return Status::Errno(EWOULDBLOCK, "gateway id '" + id + "' is already running on this root (" +
                                        path + " held by " + holder +
                                        "); give this one another "
                                        "--gateway-id");
}

}  // namespace

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
  const std::string dir = std::string(layout::kGateways) + "/" + id;
  if (Status s = fs::MakeDirs(backend, dir, fsync); !s.ok()) return s;
  auto lock = Lock(backend, id, dir + "/lock");
  if (!lock.ok()) return lock.status();
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
