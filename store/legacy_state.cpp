#include "store/legacy_state.h"

#include "fs/backend_util.h"
#include "store/store_layout.h"

namespace fsgate::store {
namespace {

// The staging directory's name while it waits inside a journal directory.
constexpr const char* kParkedStaging = "staging";

Result<bool> Exists(fs::Backend& backend, const std::string& path) {
  auto st = backend.Stat(path);
  if (st.ok()) return true;
  if (fs::IsMissing(st.status())) return false;
  return st.status();
}

// Renames `from` to `to` and makes both names durable. False when `from` was
// gone: another gateway's start moved it first.
Result<bool> MoveDurably(fs::Backend& backend, const std::string& from, const std::string& to,
                         bool fsync) {
  if (Status s = backend.Rename(from, to); !s.ok()) {
    if (s.IsErrno(ENOENT)) return false;
    return s;
  }
  if (fsync) {
    if (Status s = backend.SyncDir(fs::ParentPath(to)); !s.ok()) return s;
    if (Status s = backend.SyncDir(fs::ParentPath(from)); !s.ok()) return s;
  }
  return true;
}

// Makes room for a directory to be renamed onto `path`: an empty one there
// goes; one with content is a conflict.
Status RemoveIfEmpty(fs::Backend& backend, const std::string& path, const std::string& what) {
  Status s = backend.Rmdir(path);
  if (s.ok() || fs::IsMissing(s)) return Status::Ok();
  if (s.IsErrno(ENOTEMPTY) || s.IsErrno(EEXIST)) {
    return Status::Errno(EEXIST, "an older fsgate's " + what + " cannot be adopted into " + path +
                                     ", which holds this gateway's own; start the root once with "
                                     "another --gateway-id to adopt it");
  }
  return s;
}

}  // namespace

Result<bool> AdoptLegacyState(fs::Backend& backend, const std::string& gateway_dir, bool fsync) {
  const std::string legacy_journal = layout::kLegacyJournal;
  const std::string journal = gateway_dir + "/journal";
  const std::string parked = journal + "/" + kParkedStaging;
  bool adopted = false;

  // 1. Staging into the journal's directory, so that one rename claims both.
  auto staging_left = Exists(backend, layout::kLegacyStaging);
  if (!staging_left.ok()) return staging_left.status();
  if (*staging_left) {
    if (Status s = fs::MakeDirs(backend, legacy_journal, fsync); !s.ok()) return s;
    auto moved =
        MoveDurably(backend, layout::kLegacyStaging, legacy_journal + "/" + kParkedStaging, fsync);
    if (!moved.ok()) return moved.status();
  }

  // 2. The claim.
  auto journal_left = Exists(backend, legacy_journal);
  if (!journal_left.ok()) return journal_left.status();
  if (*journal_left) {
    if (Status s = RemoveIfEmpty(backend, journal, "journal (" + legacy_journal + ")"); !s.ok()) {
      return s;
    }
    auto moved = MoveDurably(backend, legacy_journal, journal, fsync);
    if (!moved.ok()) return moved.status();
    adopted = *moved;
  }

  // 3. Staging to its place in this gateway's directory.
  auto parked_here = Exists(backend, parked);
  if (!parked_here.ok()) return parked_here.status();
  if (*parked_here) {
    const std::string staging = gateway_dir + "/staging";
    if (Status s = RemoveIfEmpty(backend, staging, "staging directory"); !s.ok()) return s;
    auto moved = MoveDurably(backend, parked, staging, fsync);
    if (!moved.ok()) return moved.status();
    adopted = adopted || *moved;
  }
  return adopted;
}

}  // namespace fsgate::store
