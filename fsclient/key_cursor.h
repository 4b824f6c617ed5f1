// DirKeyCursor: the keys of one bucket, in byte order of the whole key, read
// lazily from the directory tree.
//
// Within a directory the entries are sorted by name, a subdirectory sorting as
// name + "/" ("a.b" < "a/" < "a0"), which makes a depth-first walk yield keys in
// S3 order. A subdirectory is read only when the walk reaches it; subtrees that
// lie wholly before the marker or outside the prefix are never opened, and
// SkipPrefix drops a subtree (a delimiter's common prefix) without reading it.
// ".fsgate" at the top of the bucket, symlinks, special files and names that are
// not valid keys are never listed; directories holding no object yield nothing;
// a directory object yields "dir/" just before its contents.
#pragma once

#include <memory>
#include <string>

#include "fs/backend.h"
#include "fsclient/namespace.h"

namespace fsgate::fsclient {

std::unique_ptr<KeyCursor> MakeDirKeyCursor(fs::Backend& backend, std::string bucket,
                                            std::string prefix, std::string marker);

}  // namespace fsgate::fsclient
