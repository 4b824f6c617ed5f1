// Backend: the one narrow interface between the dirops engine (and the store) and a filesystem.
//
// Implementations: PosixBackend (a local directory, the default), CephfsBackend
// (libcephfs), and test decorators (fault injection, simulated power cut).
//
// Invariants every implementation keeps:
//  - Paths are relative to the backend's root, '/'-separated, with no empty,
//    "." or ".." component and no leading '/'. A path that breaks this is
//    refused with EINVAL: nothing above may reach outside the root.
//  - Nothing here assumes the Linux VFS: no file descriptors or OS paths leak
//    out, so libcephfs can implement every call.
//  - Calls are thread-safe; a File is used by one thread at a time.
#pragma once

#include <cerrno>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fsgate::fs {

struct FileStat {
  uint64_t ino = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;  // nanoseconds since the Unix epoch
  // Inode change time (data, xattrs, links, rename); 0 where a backend does
  // not report it (cephfs: asking for it costs the MDS more caps).
  int64_t ctime_ns = 0;
  bool is_dir = false;
  bool is_regular = false;
};

// A copy of what a read found of a file or directory (a listing, a metadata
// record, an ETag) is kept against its stat only when the stamp that any
// change moves (ctime; a directory's mtime) was already this old when the
// read began: the kernel stamps from a coarse clock (~4 ms a tick), so a
// change in the tick of the read could leave the stamp equal (git's "racy
// clean" rule). 1 s: far above any filesystem's timestamp granularity, and
// above the clock skew between a gateway and a CephFS MDS on one network.
inline constexpr int64_t kRacyMarginNs = 1'000'000'000;

// Whether what a read that began at `read_start_ns` found of the file `st`
// describes may be kept against `st`: its ctime is known (not 0, as on
// CephFS) and older than the racy margin.
inline bool CtimeSettled(const FileStat& st, int64_t read_start_ns) {
  return st.ctime_ns != 0 && st.ctime_ns <= read_start_ns - kRacyMarginNs;
}

struct DirEntry {
  enum class Type { kRegular, kDirectory, kOther, kUnknown };
  std::string name;
  Type type = Type::kUnknown;
};

// An open file. Closed by its destructor (RAII); Close() reports the error.
class File {
 public:
  virtual ~File() = default;
  // Reads up to buf.size() bytes at `offset`; 0 at end of file.
  virtual Result<size_t> PRead(uint64_t offset, std::span<char> buf) = 0;
  // Writes all of `data` at `offset`.
  virtual Status PWrite(uint64_t offset, std::span<const char> data) = 0;
  virtual Status Truncate(uint64_t size) = 0;
  // fsync: data and metadata (size, xattrs) on stable storage.
  virtual Status Sync() = 0;
  // fdatasync: the data and what is needed to read it back (the size), not
  // timestamps. Overwriting already-written blocks then needs no metadata
  // commit, which is what makes a pre-written journal segment cheap to sync.
  virtual Status SyncData() { return Sync(); }
  virtual Result<FileStat> Stat() = 0;
  // Its inode number, which an open file keeps. Posix answers from the stat
  // its open made, with no system call: a delegated inode's create asked
  // for a second fstat, with times, only for this (one a PUT on the refill
  // thread). A decorator that overrides Stat sees this call as Stat (it is
  // not forwarded).
  virtual Result<uint64_t> Ino() {
    auto st = Stat();
    if (!st.ok()) return st.status();
    return st->ino;
  }
  // Sets the modification time (the object's LastModified); atime is left alone.
  virtual Status SetMtime(int64_t mtime_ns) = 0;
  // ENODATA when the attribute is absent.
  virtual Result<std::string> GetXattr(const std::string& name) = 0;
  virtual Status SetXattr(const std::string& name, std::string_view value) = 0;
  virtual Status RemoveXattr(const std::string& name) = 0;
  virtual Result<std::vector<std::string>> ListXattrs() = 0;
  // Appends `len` bytes of `src` starting at `src_offset` at `dst_offset` of this
  // file, in the kernel/cluster where the filesystem allows (copy_file_range).
  virtual Status CopyFrom(File& src, uint64_t src_offset, uint64_t dst_offset, uint64_t len) = 0;
  virtual Status Close() = 0;
};

// An exclusive lock on a file, held until this object is destroyed — or until
// the holder dies: the filesystem lets go of a dead process's lock (on a
// networked filesystem, when its session lapses), so a crash never leaves a
// lock that needs clearing by hand.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// Byte-range locks on one open lock file: the building block of leases that
// several gateways on one filesystem coordinate through (dirops/bucket_caps.h).
// Each handle is its own lock owner, so two handles conflict with each other
// even in one process, exactly as two gateways on two machines do (posix: one
// open file description per handle, F_OFD_SETLK/F_OFD_GETLK; cephfs:
// ceph_ll_setlk/ceph_ll_getlk with an owner per handle, coordinated by the
// MDS across clients). The destructor lets go of every range the handle
// holds; so does the holder's death (a lapsed session on CephFS).
enum class LockMode { kShared, kExclusive };

class RangeLock {
 public:
  virtual ~RangeLock() = default;
  // Locks [offset, offset + len) in `mode` without waiting: EWOULDBLOCK while
  // another handle holds a conflicting lock there. On a range this handle
  // holds already it converts the lock in one step: exclusive -> shared
  // always succeeds; shared -> exclusive succeeds only when no other handle
  // holds any lock there, and on EWOULDBLOCK the shared lock stays held.
  virtual Status Lock(uint64_t offset, uint64_t len, LockMode mode) = 0;
  virtual Status Unlock(uint64_t offset, uint64_t len) = 0;
  // Whether another handle holds a lock on the range that a lock in `mode`
  // would conflict with (a test, like F_GETLK: nothing is taken). `len` 0,
  // as fcntl's l_len 0, is the range from `offset` on, however far: one test
  // over many lock holders' bytes.
  virtual Result<bool> Conflicts(uint64_t offset, uint64_t len, LockMode mode) = 0;
};

// A directory opened once for many per-entry look-ups: a listing page stats
// and reads the attributes of up to 1,000 names of one directory, and
// resolving the whole path from the root for each (openat2 of the parent,
// the call, a close) was 6 syscalls a key where 2 do (posix: fstatat and
// getxattr relative to the directory's descriptor).
class Dir {
 public:
  virtual ~Dir() = default;
  // The directory itself (its mtime changes with every entry added or removed).
  virtual Result<FileStat> Stat() = 0;
  // Entries other than "." and "..", in no particular order.
  virtual Result<std::vector<DirEntry>> Read() = 0;
  // The same entries, each handed to `each` as it is read, without a string
  // per name (a name lives only during its call): a listing's read of
  // 1,000,000 names took 460-540 ms of CPU through Read() (a heap block and
  // a vector slot a name, copied into the listing) and 390-430 ms this way.
  using EachEntry = std::function<void(std::string_view name, DirEntry::Type type)>;
  virtual Status ForEach(const EachEntry& each) {
    auto entries = Read();
    if (!entries.ok()) return entries.status();
    for (const DirEntry& entry : *entries) each(entry.name, entry.type);
    return Status::Ok();
  }
  // An entry, by its name (one component; EINVAL for anything else); a
  // symlink is never followed.
  virtual Result<FileStat> StatAt(const std::string& name) = 0;
  virtual Result<std::string> GetXattrAt(const std::string& name, const std::string& xattr) = 0;
};

class Backend {
 public:
  enum class OpenMode {
    kRead,             // existing file, read only
    kReadWrite,        // existing file
    kCreateExclusive,  // new file; EEXIST if the name exists
    kCreateTruncate,   // create or truncate
    // Existing file written as a log: every write is followed by a sync, and
    // nothing of the file is read back through this process while it is
    // written; a write may zero the rest of the block it ends in. A backend
    // may write it around its cache (O_DIRECT: direct_log_file.h on posix).
    kReadWriteLog,
  };

  virtual ~Backend() = default;
  virtual std::string Name() const = 0;

  virtual Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) = 0;
  // Does not follow a symlink at the last component.
  virtual Result<FileStat> Stat(const std::string& path) = 0;
  // Stat for callers that want the kind, inode number or size, not the times
  // (mtime_ns and ctime_ns may be 0). Linux 6.13+ stamps a change with a fine
  // clock when the inode's times were read since its last change (multigrain
  // timestamps), and each such stamp moves a floor every later coarse stamp
  // starts from, on any filesystem. So a request that read the bucket
  // directory's times before the applier linked a file there made the intent
  // journal's next append change the journal's mtime, and on this machine's
  // ext4 (no journal) each journal fdatasync wrote the inode table block too:
  // 7,276 metadata writes for 7,919 fdatasyncs in 3 s of async PUTs at one
  // connection, fdatasync 154-170 us against the durable null server's
  // 119-126 (bpftrace on block_rq_issue and the syscalls). A decorator that
  // overrides Stat sees this call as Stat (it is not forwarded).
  virtual Result<FileStat> StatNoTimes(const std::string& path) { return Stat(path); }
  virtual Status Mkdir(const std::string& path) = 0;  // EEXIST when present
  virtual Status Rmdir(const std::string& path) = 0;  // ENOTEMPTY when not empty
  virtual Status Unlink(const std::string& path) = 0;
  // Atomically replaces `to` if it exists (rename(2) semantics).
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // Rename, then `linked` set to what `to` names right after it (left as it
  // was when that stat fails): how a publish learns the linked node's inode
  // and mtime. By default the two calls; posix stats the name through the
  // directory descriptor the rename used, an fstatat where the path's stat
  // was an openat2, an fstatat and a close per applied create.
  virtual Status RenameAndStat(const std::string& from, const std::string& to, FileStat* linked) {
    if (Status s = Rename(from, to); !s.ok()) return s;
    if (auto st = Stat(to); st.ok()) *linked = *st;
    return Status::Ok();
  }
  // Like Rename, but EEXIST when `to` exists: the test and the link are one
  // step of the filesystem, so of two processes (two gateways on one root)
  // creating one name, exactly one succeeds — what a local lock cannot give.
  virtual Status RenameNoReplace(const std::string& from, const std::string& to) = 0;
  // A second name `to` (which must not exist: EEXIST) for the file `from`
  // (link(2)). ENOTSUP where the backend has no hard links.
  virtual Status Link(const std::string& from, const std::string& to) {
    (void)from;
    return Status::Errno(ENOTSUP, "link " + to);
  }
  // Entries other than "." and "..", in no particular order. "" is the root.
  virtual Result<std::vector<DirEntry>> ReadDir(const std::string& path) = 0;
  // The directory at `path` for per-entry look-ups. By default a Dir made of
  // this backend's path calls; a backend with directory handles does better.
  virtual Result<std::unique_ptr<Dir>> OpenDir(const std::string& path);
  // True when OpenDir holds a handle its look-ups are relative to (one call
  // each). False for the default's path calls, whose opening Stat makes a
  // caller with only a few look-ups in a directory pay one call more than
  // path calls would (a delete's prune reads a directory's attributes, one to
  // five names, on every DELETE).
  virtual bool HasDirHandles() const { return false; }
  // fsync of a directory: its entries (creates, renames, unlinks) made durable.
  virtual Status SyncDir(const std::string& path) = 0;
  // Everything written so far made durable (syncfs).
  virtual Status SyncFs() = 0;
  // A hint that subdirectories of `path` should be spread over the filesystem
  // like top-level ones (ext4's FS_TOPDIR_FL); best effort, a no-op where the
  // filesystem has no such notion.
  virtual void SpreadSubdirectories(const std::string& /*path*/) {}
  // A hint that the directory at `path` is this process's own (a staging
  // generation: nothing else names, moves or removes it) and busy: the
  // backend may keep it open and resolve its entries from that handle, with
  // no walk of the path, until Rmdir removes it. Best effort; a no-op by
  // default and in decorators (their calls stay path calls).
  virtual void PinDir(const std::string& /*path*/) {}
  // How many background calls (the async applier's) should run at once while
  // requests are being answered; 0: no limit. Where every call of this
  // process goes through one client lock and one metadata server (libcephfs),
  // background calls in flight delay the requests' own; a local filesystem
  // needs no limit (there the applier's lowest CPU priority is enough).
  virtual int BackgroundCallsWhileBusy() const { return 0; }
  // True where every create, rename and unlink is a round trip to a metadata
  // server (CephFS's MDS) rather than a local call: work worth doing before
  // the gateway serves, not while its first requests wait behind it.
  virtual bool RemoteMetadata() const { return false; }
  // Path-based xattrs, for directories (directory objects, bucket state).
  virtual Result<std::string> GetXattr(const std::string& path, const std::string& name) = 0;
  virtual Status SetXattr(const std::string& path, const std::string& name,
                          std::string_view value) = 0;
  virtual Status RemoveXattr(const std::string& path, const std::string& name) = 0;
  // Takes an exclusive lock on the file at `path` (created if missing)
  // without waiting: EWOULDBLOCK while another holder, in this process or
  // another (on another machine, for a shared filesystem), has it. A backend
  // without locks says so with ENOTSUP, and its caller decides what that
  // costs; a decorator forwards it.
  virtual Result<std::unique_ptr<FileLock>> LockExclusive(const std::string& path) {
    return Status::Errno(ENOTSUP, "the " + Name() + " backend has no file locks (" + path + ")");
  }
  // A RangeLock handle on the file at `path` (created if missing, never
  // removed: a lock file unlinked while others have it open would let two
  // holders lock two different inodes). ENOTSUP as for LockExclusive.
  virtual Result<std::unique_ptr<RangeLock>> OpenRangeLock(const std::string& path) {
    return Status::Errno(ENOTSUP, "the " + Name() + " backend has no file locks (" + path + ")");
  }
};

}  // namespace fsgate::fs
