// CephfsBackend: the Backend over a CephFS directory, through libcephfs
// (Ceph 16.2), in-process: no kernel mount, no ceph-fuse.
//
// Built on the low-level inode API (ceph_ll_*), not the path calls: every
// path is walked one component at a time from the inode of --ceph-root with
// ceph_ll_lookup, and each intermediate inode must be a directory, so a
// symlink anywhere is refused (ELOOP), not followed — the path calls follow
// symlinks in the middle of a path and have no RESOLVE_BENEATH. Paths are
// checked with IsValidBackendPath first (EINVAL), as in the posix backend.
// A lookup served from the client's cache costs no MDS round trip while the
// client holds the directory's caps (statx on a fresh file: 100k+ ops/s here,
// against ~2000 creates/s), so the walk costs little next to the op itself.
//
// Durability: a create, rename or unlink first answers "unsafe" (applied in
// the MDS's memory, not yet in its journal); SyncDir waits for the parent's
// unsafe ops (ceph_ll_sync_inode on the directory), which is what makes a
// namespace change durable. File::Sync is ceph_ll_fsync: data on the OSDs
// and the inode's metadata (size, mtime, xattrs) flushed to the MDS.
//
// Every call blocks its thread on the cluster (there is no async API in
// libcephfs 16.2): callers run it on worker threads, never on an I/O thread.
// The mount is thread-safe; a File is used by one thread at a time.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "fs/backend.h"

namespace fsgate::fs {

struct CephfsOptions {
  std::string conf_file;     // ceph.conf (mon addresses, keyring)
  std::string id = "admin";  // cephx client id, without "client."
  std::string fs_name;       // empty: the cluster's default filesystem
  std::string root = "/";    // directory served, created when missing
  // Upper bound on reaching the cluster at mount (client_mount_timeout), so an
  // unreachable cluster is a clear error in seconds, not minutes (default 300).
  int mount_timeout_seconds = 10;
};

// Mounts the filesystem at options.root (creating it first when missing) and
// checks that it keeps user.* xattrs. Errors carry one clear line.
Result<std::unique_ptr<Backend>> MakeCephfsBackend(const CephfsOptions& options);

}  // namespace fsgate::fs
