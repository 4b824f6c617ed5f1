// Displacement: the step a create may take before linking its node — the
// file the name holds is moved to another path the caller chose (outside
// every top directory, so no listing of the tree sees it), in the same intent
// as the link of the new file. The caller keeps older versions of a node
// this way; the engine knows only "move the file at the name first".
//
// Idempotent, so the applier's retries and recovery's replay can repeat it
// after a crash at any point: a file already at `to` means the step was done
// (the paths a caller displaces to are never reused), and nothing at the
// name means there is nothing to move.
#pragma once

#include <string>

#include "base/status.h"
#include "fs/backend.h"

namespace fsgate::dirops {

enum class Displacement {
  kNothing,  // nothing at `from`, or already at `to`
  kLinked,   // a second name: the file stays at `from` until the new one replaces it
  kRenamed,  // the backend has no hard links: `from` is empty until the new one is linked
};

// Moves the file at `from` to `to`, making the directories above `to`. With
// `fsync`, the file (data and name `to`) is durable on return: the link of the
// new file that follows may become durable by any later sync of its
// directory, and must never be the only one of the two a power cut keeps (the
// old file would have no name).
Result<Displacement> DisplaceFile(fs::Backend& backend, const std::string& from,
                                  const std::string& to, bool fsync);

// Undoes a displacement whose new file was not linked: `to` goes again, or,
// renamed there, comes back to `from`.
void UndoDisplace(fs::Backend& backend, const std::string& from, const std::string& to,
                  Displacement how);

// Makes the empty file `path` (OpOptions::marker) and the directories above
// it; one already there is this one, made before a crash or a retry (the
// paths a caller makes marks at are never reused). With `fsync`, its name is
// durable on return.
Status MakeMarker(fs::Backend& backend, const std::string& path, bool fsync);

// What an unlink of `from` that keeps its file does before the unlink
// (OpOptions::marker, displace_to; either may be empty): the marker made, then
// the file moved to `to`. With `fsync` both are durable on return: the unlink
// that follows may become durable with any later sync and must never be the
// only one of them a power cut keeps. A replay knows the unlink applied once
// `from` no longer holds the file, and then repeats none of this.
Status KeepBeforeUnlink(fs::Backend& backend, const std::string& from, const std::string& to,
                        const std::string& marker, bool fsync);

// Removes the file `path` (OpOptions::drop); already gone is done.
Status DropFile(fs::Backend& backend, const std::string& path);

}  // namespace fsgate::dirops
