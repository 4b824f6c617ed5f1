// Keys a POSIX tree cannot hold side by side: an object "a" beside objects
// under "a/" (--key-conflicts nest).
//
//   ROOT/<bucket>/a                  the object "a" while nothing is under "a/"
//   ROOT/<bucket>/a/.fsgate-object   the object "a" once "a" is a directory
//                                    (objects "a/…" or the directory object "a/")
//   ROOT/<bucket>/a/b                the object "a/b", a plain file as always
//
// The hidden name is reserved: ValidateKey refuses every key with a
// ".fsgate-object" component, so no key maps to it, and listings never show it
// as a key. A listing yields the nested "a" at its own place in key order,
// before "a!", "a/" and "a/b" (key_cursor.cpp), and an engine's pending entry
// of it under the key "a" (PendingKeys).
//
// The move of a file "a" into its directory (FsObjectStore::NestKey) happens
// only when a write meets the conflict, and synchronously (sync fallback
// "key_nest"), under the key's lock and with listings of the bucket held off:
//   1. the file's pending ops land and are made durable (syncfs), so no replay
//      of the journal can bring the file back at "a";
//   2. it is renamed to the gateway's nest/<bucket>/<key> (both directories
//      synced);
//   3. the engine links it to "a/.fsgate-object" (making "a", synced).
// A crash after 2 leaves it under nest/: FinishNests, at every start before
// serving (and a survivor adopting the gateway's journal), finishes step 3 (a nested "a" is always
// a valid layout, whatever the replay made under "a/"). A crash before 2 leaves the old layout.
//
// Once nested, "a" stays nested while "a" is a directory: deleting every "a/…"
// leaves the directory "a" holding only the hidden file (S3 sees "a" alone; ls
// shows a directory). Deleting "a" unlinks the hidden file, and the directory
// goes with the empty-directory prune as for any last object.
//
// Versioned buckets nest the same way; only the latest version has a place
// in the bucket's tree:
//   ROOT/<bucket>/a/.fsgate-object         the latest "a" (a plain file)
//   ROOT/.fsgate/versions/<bucket>/a/<id>  the older versions and markers of "a"
//   ROOT/.fsgate/versions/<bucket>/a/b/    the history of "a/b"
// A key's history directory is named by the key, never by its node, so the
// move changes nothing there, and "a"'s entries (files) and "a/b"'s
// directory (a subdirectory of "a"'s) cannot collide (versions_dir.h). A
// version write of a nested "a" is the write of any versioned key
// (object_versions.cpp) at the node its plain file is at (KeyHistory::node),
// under the key's version lock and then its nest lock, so the file stays at
// that name throughout: with async dirops one intent (the old latest
// displaced from a/.fsgate-object, the new one linked there; replayed like
// any other), with sync dirops the same crash-ordered sequence. A version
// write that meets the conflict nests first, as above: the move is its own
// synchronous, crash-safe step before the write (the file above moves with
// its version id in its metadata; its history stays where it is), and a
// version brought back (DELETE of a marker, or of the latest by id) goes to
// the nested name when "key/" is a directory. A start after a crash finishes
// the moves (FinishNests) before RepairVersions looks for latest versions
// left only in a history, so a nested latest is never taken for missing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "dirops/namespace.h"
#include "fs/backend.h"

namespace fsgate::store {

inline constexpr std::string_view kNestedObjectName = ".fsgate-object";

// The file node of the object `key` (not a directory key) nested in its
// directory: "<bucket>/<key>/.fsgate-object".
dirops::NodePath NestedNode(std::string_view bucket, std::string_view key);

// Where the move keeps the file between leaving "a" and reaching
// "a/.fsgate-object": <gateway dir>/nest/<bucket>/<key>.
std::string NestTempPath(const std::string& gateway_dir, std::string_view bucket,
                         std::string_view key);
std::string NestTempRoot(const std::string& gateway_dir);

// Finishes the moves into directories that a crash of the gateway owning
// `gateway_dir` cut short: each file under its nest/ is linked at its nested
// name (or dropped, when a power cut kept it in place as well). Run by that
// gateway at start, and by a survivor adopting it, before serving; how many
// were finished.
Result<size_t> FinishNests(fs::Backend& backend, const std::string& gateway_dir, bool fsync);

// The engine's pending entries (named by node: "a/.fsgate-object" for a
// nested "a") renamed to their keys, in key order, those outside `prefix` or
// at or before `marker` dropped. Where a key has two entries (a pending
// unlink of the file "a" and a pending create of the nested one, or the
// reverse), the create is the key's current state.
std::vector<dirops::PendingNode> PendingKeys(std::vector<dirops::PendingNode> pending,
                                             const std::string& prefix, const std::string& marker);

}  // namespace fsgate::store
