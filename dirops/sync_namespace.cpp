#include "dirops/sync_namespace.h"

#include "fs/backend_util.h"

#include <chrono>

#include "base/clock.h"
#include "dirops/inline_file.h"

namespace fsgate::dirops {

namespace {

// Bounded retries of a create that raced a concurrent prune of its parents.
constexpr int kMaxAttempts = 16;

bool IsAbsent(const Status& s) {
  return fs::IsMissing(s) || s.IsErrno(EISDIR) || s.IsErrno(EINVAL);
}

// A name on the node's path that is not a directory: a file, or a symlink (the
// backend never follows one, and refuses it with ELOOP or ENOTDIR).
bool IsNotADirectory(const Status& s) { return s.IsErrno(ENOTDIR) || s.IsErrno(ELOOP); }

}  // namespace

Result<StagingFile> SyncNamespace::AcquireStaging() {
  auto created = staging_dirs_.Create("t.");
  if (!created.ok()) return created.status();
  StagingFile staging;
  staging.path = std::move(created->path);
  staging.ino = created->ino;
  return staging;
}

void SyncNamespace::ReleaseStaging(const StagingFile& file) { (void)backend_.Unlink(file.path); }

Status SyncNamespace::MakeParents(const std::string& top, const std::string& name,
                                  const std::string& path, bool include_last) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    std::string dir = top;
    size_t pos = top.size() + 1;
    bool restart = false;
    while (pos < path.size()) {
      size_t end = path.find('/', pos);
      if (end == std::string::npos) {
        if (!include_last) break;
        end = path.size();
      }
      std::string parent = dir;
      dir = path.substr(0, end);
      pos = end + 1;
      Status s = backend_.Mkdir(dir);
      if (s.ok()) {
        if (fsync_) {
          // A concurrent prune may take the new, still empty `dir` and then
          // `parent` before this sync opens it: walk again (a nesting storm's
          // PUT answered 500 for it: "open crash/t3 (errno 2)").
          Status sync = backend_.SyncDir(parent);
          if (fs::IsMissing(sync)) {
            restart = true;
            break;
          }
          if (!sync.ok()) return sync;
        }
        continue;
      }
      if (s.IsErrno(EEXIST)) continue;  // a file there shows up as ENOTDIR next
      if (IsNotADirectory(s)) return NameConflict(name);
      if (s.IsErrno(ENOENT)) {
        if (parent == top) {
          return TopDirNotFound();
        }
        restart = true;  // a concurrent prune removed `parent`: walk again
        break;
      }
      return s;
    }
    if (!restart) return Status::Ok();
  }
  return Status::Errno(EAGAIN, "creating the directories of " + path);
}

Status SyncNamespace::PublishFile(const std::string& top, const std::string& name,
                                  const StagingFile& file, bool no_replace, fs::FileStat* linked) {
  const std::string path = NodeFsPath(top, name);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Status s = no_replace ? backend_.RenameNoReplace(file.path, path)
                          : backend_.RenameAndStat(file.path, path, linked);
    if (s.ok()) return fsync_ ? backend_.SyncDir(fs::ParentPath(path)) : Status::Ok();
    if (no_replace && s.IsErrno(EEXIST)) {
      auto there = backend_.Stat(path);
      if (there.ok() && there->is_regular) {
        return Status::Error(StatusCode::kFailedPrecondition, path + " exists");
      }
      return NameConflict(name);
    }
    if (IsNotADirectory(s) || s.IsErrno(EISDIR) || s.IsErrno(ENOTEMPTY) || s.IsErrno(EEXIST)) {
      return NameConflict(name);
    }
    if (!s.IsErrno(ENOENT)) return s;
    // The parent is missing (first name under it, or pruned meanwhile).
    if (fs::ParentPath(path) == top) {
      auto st = backend_.Stat(top);
      if (!st.ok() || !st->is_dir) {
        return TopDirNotFound();
      }
    }
    if (Status made = MakeParents(top, name, path, false); !made.ok()) return made;
  }
  return Status::Errno(EAGAIN, "publishing " + path);
}

Status SyncNamespace::PublishDir(const std::string& top, const std::string& name,
                                 const StagedNode& node) {
  const std::string path = NodeFsPath(top, name);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (Status s = MakeParents(top, name, path, true); !s.ok()) return s;
    auto st = backend_.Stat(path);
    if (!st.ok() && st.status().IsErrno(ENOENT)) continue;
    if (!st.ok()) return IsNotADirectory(st.status()) ? NameConflict(name) : st.status();
    if (!st->is_dir) return NameConflict(name);
    Status s = WriteDirAttrs(backend_, path, attr_names_, node.attrs);
    if (s.IsErrno(ENOENT)) continue;
    if (!s.ok()) return s;
    ReleaseStaging(node.file);
    if (fsync_) {
      if (Status sync = backend_.SyncDir(path); !sync.ok()) return sync;
      return backend_.SyncDir(fs::ParentPath(path));
    }
    return Status::Ok();
  }
  return Status::Errno(EAGAIN, "publishing " + path);
}

Result<int64_t> SyncNamespace::Publish(const NodePath& at, StagedNode node, const WriteCheck& check,
                                       OpOptions options /*always synchronous here*/) {
  auto [top, name] = SplitNode(at);
  return PublishLinked(top, name, std::move(node), check, nullptr, options.no_replace);
}

// Writes an inline body and its attributes into an (empty) staging file,
// synced with `fsync` and closed: what a file-backed StagedNode would have held.
Status MaterializeInline(fs::Backend& backend, const StagedNode& node, const NodeAttrNames& names,
                         bool fsync) {
  auto file = backend.Open(node.file.path, fs::Backend::OpenMode::kReadWrite);
  if (!file.ok()) return file.status();
  if (Status s = WriteInlineBody(**file, *node.inline_data); !s.ok()) return s;
  if (Status s = WriteFileAttrs(**file, names, node.attrs, 0); !s.ok()) return s;
  if (fsync) {
    if (Status s = (*file)->Sync(); !s.ok()) return s;
  }
  return (*file)->Close();
}

Result<int64_t> SyncNamespace::PublishLinked(const std::string& top, const std::string& name,
                                             StagedNode node, const WriteCheck& check,
                                             fs::FileStat* linked, bool no_replace) {
  auto lock = LockKey(top, name);
  if (check) {
    auto current = FindName(top, name);
    if (!current.ok() && !current.status().Is(StatusCode::kNotFound)) return current.status();
    if (Status s = check(current.ok() ? &*current : nullptr); !s.ok()) return s;
  }
  if (IsDirName(name)) {
    if (Status s = PublishDir(top, name, node); !s.ok()) return s;
    return node.mtime_ns;
  }
  if (node.inline_data) {
    if (Status s = MaterializeInline(backend_, node, attr_names_, fsync_); !s.ok()) return s;
  }
  fs::FileStat st;  // ino 0 until a stat answers
  if (Status s = PublishFile(top, name, node.file, no_replace, &st); !s.ok()) return s;
  if (st.ino == 0) {
    auto stat = backend_.Stat(NodeFsPath(top, name));
    if (!stat.ok()) return node.mtime_ns;
    st = *stat;
  }
  if (linked) *linked = st;
  return st.mtime_ns;
}

std::vector<KeyLocks::Held> SyncNamespace::LockKey(const std::string& top,
                                                   const std::string& name) {
  if (caller_ == Caller::kApplier) return {};
  return locks_.LockPaths(top, {name});
}

std::optional<std::string> SyncNamespace::PruneEmptyDirs(const std::string& top, std::string dir,
                                                         bool may_wait) {
  while (dir.size() > top.size() + 1 && dir.compare(0, top.size() + 1, top + "/") == 0) {
    // Under the directory node name's lock: a concurrent create of "dir/" waits,
    // or (holding it first) makes the directory one this prune leaves alone.
    const std::string dir_name = dir.substr(top.size() + 1) + "/";
    std::optional<KeyLocks::Held> lock;
    if (may_wait) {
      lock = locks_.Lock(top, dir_name);
    } else {
      lock = locks_.TryLock(top, dir_name);
      if (!lock) return dir;
    }
    auto attrs = ReadDirAttrs(backend_, dir, attr_names_);
    if (!attrs.ok() || attrs->has_value()) return std::nullopt;
    if (!backend_.Rmdir(dir).ok()) return std::nullopt;  // not empty (or gone): stop
    if (dir_removed_) dir_removed_(dir);
    std::string parent = fs::ParentPath(dir);
    if (fsync_ && !backend_.SyncDir(parent).ok()) return std::nullopt;
    dir = std::move(parent);
  }
  return std::nullopt;
}

Status SyncNamespace::Remove(const NodePath& at, OpOptions options) {
  auto [top, name] = SplitNode(at);
  return RemoveName(top, name, options);
}

Status SyncNamespace::RemoveName(const std::string& top, const std::string& name,
                                 OpOptions options) {
  const std::string path = NodeFsPath(top, name);
  {
    auto lock = LockKey(top, name);
    if (options.remove_check != nullptr) {
      auto current = FindName(top, name);
      if (!current.ok() && !current.status().Is(StatusCode::kNotFound)) return current.status();
      if (Status s = (*options.remove_check)(current.ok() ? &*current : nullptr); !s.ok()) return s;
    }
    if (IsDirName(name)) {
      auto st = backend_.Stat(path);
      if (!st.ok() || !st->is_dir) return IsAbsent(st.status()) ? Status::Ok() : st.status();
      auto attrs = ReadDirAttrs(backend_, path, attr_names_);
      if (!attrs.ok()) return IsAbsent(attrs.status()) ? Status::Ok() : attrs.status();
      if (!attrs->has_value()) return Status::Ok();
      if (Status s = RemoveDirAttrs(backend_, path, attr_names_); !s.ok()) return s;
      if (fsync_) {
        if (Status s = backend_.SyncDir(path); !s.ok()) return s;
      }
    } else {
      Status s = backend_.Unlink(path);
      if (!s.ok()) return IsAbsent(s) || s.IsErrno(EPERM) ? Status::Ok() : s;
      if (fsync_) {
        // A concurrent delete may have pruned the emptied parent already; its
        // removal is made durable by that pruner.
        Status sync = backend_.SyncDir(fs::ParentPath(path));
        if (!sync.ok() && !fs::IsMissing(sync)) return sync;
      }
    }
  }
  if (options.prune_now) {
    // --dirops sync prunes here holding no lock, so it waits and leaves nothing
    // over; the async namespace hands its prunes to the applier instead.
    (void)PruneEmptyDirs(top, IsDirName(name) ? path : fs::ParentPath(path),
                         caller_ == Caller::kRequests && !KeyLocks::ThisThreadHoldsAny());
  }
  return Status::Ok();
}

Result<NodeView> SyncNamespace::Find(const NodePath& at) {
  auto [top, name] = SplitNode(at);
  return FindName(top, name);
}

// Reads need no lock: a rename replaces the name atomically, and the open file
// stays this version's data whatever happens to the name afterwards.
Result<NodeView> SyncNamespace::FindName(const std::string& top, const std::string& name) {
  const std::string path = NodeFsPath(top, name);
  NodeView view;
  if (IsDirName(name)) {
    auto st = backend_.Stat(path);
    if (!st.ok()) return IsAbsent(st.status()) ? NameNotFound() : st.status();
    if (!st->is_dir) return NameNotFound();
    auto attrs = ReadDirAttrs(backend_, path, attr_names_);
    if (!attrs.ok()) return IsAbsent(attrs.status()) ? NameNotFound() : attrs.status();
    if (!attrs->has_value()) return NameNotFound();
    if (!(*attrs)->empty()) view.attrs = std::move(**attrs);  // empty: an older format's
    view.mtime_ns = st->mtime_ns;
    view.ino = st->ino;
    return view;
  }
  auto file = backend_.Open(path, fs::Backend::OpenMode::kRead);
  if (!file.ok()) return IsAbsent(file.status()) ? NameNotFound() : file.status();
  auto st = (*file)->Stat();
  if (!st.ok()) return st.status();
  if (auto kept = attrs_keep_.Find(*st)) {
    view.attrs = std::move(*kept);
  } else {
    auto attrs = ReadFileAttrs(**file, attr_names_);
    if (!attrs.ok()) return attrs.status();
    if (attrs->has_value()) {
      attrs_keep_.Keep(*st, (*attrs)->blob, NowNs());
      view.attrs = std::move((*attrs)->blob);
    }
  }
  view.size = st->size;
  view.mtime_ns = st->mtime_ns;
  view.ino = st->ino;
  view.data = std::shared_ptr<fs::File>(std::move(*file));
  return view;
}

namespace {

// The engine of --dirops sync: the namespace and the one KeyLocks it uses,
// built before it (the base named first is constructed first).
struct OwnedKeyLocks {
  KeyLocks locks;
};
class StandaloneSyncNamespace final : private OwnedKeyLocks, public SyncNamespace {
 public:
  StandaloneSyncNamespace(fs::Backend& backend, std::string staging_dir, bool fsync,
                          NodeAttrNames attr_names)
      : SyncNamespace(backend, locks, std::move(staging_dir), fsync, std::move(attr_names),
                      Caller::kRequests) {}
};

}  // namespace

std::unique_ptr<Namespace> SyncNamespace::Standalone(fs::Backend& backend, std::string staging_dir,
                                                     bool fsync, NodeAttrNames attr_names) {
  return std::make_unique<StandaloneSyncNamespace>(backend, std::move(staging_dir), fsync,
                                                   std::move(attr_names));
}

std::string SyncNamespace::StatusJson() {
  return R"({"dirops":"sync","pending":{"create":0,"unlink":0},"oldest_pending_seconds":0,)"
         R"("failed":[]})";
}

}  // namespace fsgate::dirops
