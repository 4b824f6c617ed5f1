#include "dirops/displace.h"

#include "fs/backend_util.h"

namespace fsgate::dirops {

Result<Displacement> DisplaceFile(fs::Backend& backend, const std::string& from,
                                  const std::string& to, bool fsync) {
  if (backend.Stat(to).ok()) return Displacement::kNothing;
  if (fsync) {
    // Its bytes too: an applied create's are made durable by the applier's
    // syncfs, maybe not run yet, and once its name moves durably, replay takes
    // that create for done (its staging name gone). Clean, this costs little.
    auto file = backend.Open(from, fs::Backend::OpenMode::kRead);
    if (!file.ok()) {
      if (fs::IsMissing(file.status())) return Displacement::kNothing;
      return file.status();
    }
    if (Status s = (*file)->Sync(); !s.ok()) return s;
  }
  const std::string dir = fs::ParentPath(to);
  Displacement how = Displacement::kLinked;
  Status s;
  // A directory above `to` goes missing between its making and the link only
  // when a prune of the caller's emptied directories raced it: made again.
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (s = fs::MakeDirs(backend, dir, fsync); !s.ok()) return s;
    s = how == Displacement::kLinked ? backend.Link(from, to) : backend.Rename(from, to);
    if (how == Displacement::kLinked &&
        (s.IsErrno(ENOTSUP) || s.IsErrno(EPERM) || s.IsErrno(EXDEV))) {
      how = Displacement::kRenamed;
      s = backend.Rename(from, to);
    }
    if (!fs::IsMissing(s)) break;
    if (!backend.Stat(from).ok()) return Displacement::kNothing;  // nothing at the name
  }
  if (!s.ok()) return s;
  if (fsync) {
    if (Status sync = backend.SyncDir(dir); !sync.ok()) return sync;
  }
  return how;
}

void UndoDisplace(fs::Backend& backend, const std::string& from, const std::string& to,
                  Displacement how) {
  if (how == Displacement::kLinked) (void)backend.Unlink(to);
  if (how == Displacement::kRenamed) (void)backend.Rename(to, from);
}

Status MakeMarker(fs::Backend& backend, const std::string& path, bool fsync) {
  const std::string dir = fs::ParentPath(path);
  Status made;
  // As in DisplaceFile: a prune of the caller's emptied directories may race
  // the making of the marker's; they are made again.
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (Status s = fs::MakeDirs(backend, dir, fsync); !s.ok()) return s;
    auto file = backend.Open(path, fs::Backend::OpenMode::kCreateExclusive);
    made = file.ok() ? (*file)->Close() : file.status();
    if (made.IsErrno(EEXIST)) made = Status::Ok();
    if (!fs::IsMissing(made)) break;
  }
  if (!made.ok()) return made;
  return fsync ? backend.SyncDir(dir) : Status::Ok();
}

Status KeepBeforeUnlink(fs::Backend& backend, const std::string& from, const std::string& to,
                        const std::string& marker, bool fsync) {
  if (!marker.empty()) {
    // A move into the marker's directory syncs it below: one sync for both.
    // The directories above it are made durable here either way.
    const std::string dir = fs::ParentPath(marker);
    if (Status s = fs::MakeDirs(backend, dir, fsync); !s.ok()) return s;
    const bool sync_here = fsync && (to.empty() || fs::ParentPath(to) != dir);
    if (Status s = MakeMarker(backend, marker, sync_here); !s.ok()) return s;
  }
  if (to.empty()) return Status::Ok();
  auto moved = DisplaceFile(backend, from, to, fsync);
  return moved.ok() ? Status::Ok() : moved.status();
}

Status DropFile(fs::Backend& backend, const std::string& path) {
  Status s = backend.Unlink(path);
  return fs::IsMissing(s) ? Status::Ok() : s;
}

}  // namespace fsgate::dirops
