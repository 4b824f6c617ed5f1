// Where a versioned bucket keeps the versions that are not the latest.
//
//   ROOT/<bucket>/<key>                      the latest version, a plain file
//                                            (absent when the latest is a
//                                            delete marker)
//   ROOT/.fsgate/versions/<bucket>/<key>/    one entry per older version or
//                                            delete marker, named as
//                                            version_id.h says: newest first
//                                            in name order
//
// S3 listings and `ls` of the bucket never see them. The latest version is
// the plain file when there is one, else the newest entry (a delete marker,
// or — where the backend has no hard links and a crash came between moving
// the old latest here and linking the new one — the version that was moved,
// put back in place at the next start).
//
// A version comes here by link(2) (else rename(2)): the plain file's inode,
// data and xattrs (its metadata and version id) stay as they were. An entry's directory is a
// key's path, so a key's history is one directory: ListObjectVersions reads
// one key's directory at a time, sorted, never the bucket's whole history.
// A key whose last component is a version entry name of its parent key
// ("k/ffff…") cannot be kept beside that entry: its write is refused as a
// key conflict. Keys "a" and "a/b" both versioned (--key-conflicts nest) keep
// their histories side by side: "a"'s entries are files of a/, "a/b"'s
// directory a subdirectory of it, which ReadVersionNames skips.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "dirops/namespace.h"
#include "fs/backend.h"
#include "store/version_id.h"

namespace fsgate::store {

// ROOT/.fsgate/versions/<bucket>, and a key's directory under it.
std::string VersionsRootOf(const std::string& bucket);
std::string VersionDirOf(const std::string& bucket, const std::string& key);

// The version entries of a key's directory, newest first; none when it is
// missing. Subdirectories (other keys' histories) and foreign names are skipped.
Result<std::vector<VersionName>> ReadVersionNames(fs::Backend& backend, const std::string& dir);

// Adds to `names` (newest first, as ReadVersionNames gives them) the
// entries of `dir` that answered writes have moved there but the applier not
// yet (dirops::Namespace::Displaced): a reader sees them before they land.
void AddPendingVersionNames(std::vector<VersionName>& names,
                            const std::vector<dirops::DisplacedView>& moved,
                            const std::string& dir);

// Makes a key's directory (and those above it) when missing; with `fsync`,
// each one made is durable in its parent.
Status MakeVersionDir(fs::Backend& backend, const std::string& bucket, const std::string& key,
                      bool fsync);

// What an async version write checks before its answer, where the sync path
// makes the key's directory (MakeVersionDir): the engine's applier makes it,
// durably, before it moves a version there (dirops/displace.h). A missing
// directory costs a stat or two here, not a mkdir and a directory sync per
// new key on the request path. kAlreadyExists when a version entry of a key
// above stands where a directory of it goes, as MakeVersionDir answers.
Status CheckVersionDir(fs::Backend& backend, const std::string& bucket, const std::string& key);

// Removes `dir` and the directories above it, up to the bucket's versions
// root, while they are empty; best effort (a racing write keeps them).
void PruneVersionDirs(fs::Backend& backend, const std::string& bucket, std::string dir);

// Removes the bucket's versions root and the empty directories under it
// (DeleteBucket, once the bucket has no version left); best effort.
void RemoveVersionsRoot(fs::Backend& backend, const std::string& bucket);

// Makes an empty entry file (a delete marker) named `name` in `dir`, durable
// with `fsync`.
Status CreateMarkerEntry(fs::Backend& backend, const std::string& dir, const VersionName& name,
                         bool fsync);

}  // namespace fsgate::store
