// GatewayState: one gateway's own engine state on a root several gateways may
// share (several fsgate processes on one CephFS, or on one directory).
//
//   .fsgate/gw/<id>/journal/   its intent journal: only it replays it
//   .fsgate/gw/<id>/staging/   its delegated inodes and every file it is
//                              writing: only it sweeps them at start
//   .fsgate/gw/<id>/lock       locked (Backend::LockExclusive) while it runs
//
// The lock is what makes the state this process's: a second process started
// with the same id is refused, since two engines on one journal would each
// replay and trim the other's answered ops, and a restart of one would sweep
// the other's uploads in flight. The lock goes with its holder (process death,
// a lapsed filesystem session), so a crash needs no clean-up by hand. The
// holder's pid, host and start time are written into the lock file only to
// name it in the refusal.
//
// A survivor that finds another id's lock free takes it to replay that dead
// gateway's journal (journal_adoption.h), writing "adopting for gateway <its
// id>" into the note: a start of the dead id meanwhile waits for it to finish
// instead of being refused, then finds its journal checkpointed past every op
// and the marker `adopted`, which it removes (durably) before its engine opens.
//
// An id is [a-z0-9][a-z0-9_-]{0,62}: a path component on any filesystem, and
// readable in logs. Without one, a gateway runs as the id stored in
// .fsgate/gateway-id, made on its first start, so a plain restart is the same
// gateway and resumes its own journal.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "fs/backend.h"

namespace fsgate::store {

[[nodiscard]] bool IsValidGatewayId(std::string_view id);

// .fsgate/gw/<id>
std::string GatewayDir(const std::string& id);
// In a gateway's directory: present while a survivor's adoption has left its
// journal with nothing to replay, until that id starts again.
inline constexpr const char* kAdoptedMarker = "adopted";

// Takes `dir`/lock without waiting (EWOULDBLOCK while held, ENOTSUP on a
// backend without locks) and writes into it `role` (empty for the owner)
// with this process's pid, host and start time, to name it to whoever finds
// the lock held.
Result<std::unique_ptr<fs::FileLock>> LockGatewayDir(fs::Backend& backend, const std::string& dir,
                                                     const std::string& role);
// The `role` a survivor adopting a dead gateway's journal writes (journal_adoption.h).
std::string AdoptingRole(const std::string& adopter_id);

class GatewayState {
 public:
  // Resolves the id (`id`, or the stored one, made on first start), takes
  // the lock (EWOULDBLOCK, naming the holder, while another process holds
  // it), adopts a format-1 root's journal and staging (legacy_state.h) and
  // makes journal/ and staging/. The store's layout must exist already.
  static Result<std::unique_ptr<GatewayState>> Open(fs::Backend& backend, std::string id,
                                                    bool fsync);

  const std::string& id() const { return id_; }
  const std::string& dir() const { return dir_; }  // .fsgate/gw/<id>
  // Its subdirectories' names.
  static constexpr const char* kJournal = "journal";
  static constexpr const char* kStaging = "staging";
  std::string journal_dir() const { return dir_ + "/" + kJournal; }
  std::string staging_dir() const { return dir_ + "/" + kStaging; }
  // This start took over a format-1 root's journal and staging.
  bool adopted_legacy() const { return adopted_legacy_; }

 private:
  GatewayState(std::string id, std::string dir, std::unique_ptr<fs::FileLock> lock,
               bool adopted_legacy);

  const std::string id_;
  const std::string dir_;
  // Null only on a backend without locks (said so in the log at start).
  const std::unique_ptr<fs::FileLock> lock_;
  const bool adopted_legacy_;
};

}  // namespace fsgate::store
