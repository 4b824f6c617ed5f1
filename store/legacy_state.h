// Adopting a format-1 root: one gateway's journal and staging at
// .fsgate/journal and .fsgate/staging, possibly holding answered ops not yet
// applied (a kill -9). The first gateway to start on such a root moves them
// into its own .fsgate/gw/<id>/ and replays them as its own journal; its
// intents still name .fsgate/staging/..., which the engine reads as the
// gateway's staging directory (AsyncOptions::legacy_staging_dir).
//
// Three renames, each made durable (both parents synced) before the next:
//   1. .fsgate/staging  -> .fsgate/journal/staging   one directory holds both
//   2. .fsgate/journal  -> .fsgate/gw/<id>/journal   the claim
//   3. .fsgate/gw/<id>/journal/staging -> .fsgate/gw/<id>/staging
// A start that finds the root between two of them finishes the work: before
// the claim, any gateway may make it (and only one rename of the source can
// succeed); after it, only the claimant's gateway sees the parked staging.
// The journal never names a file that another gateway could sweep, and is
// never replayed by two: it has one place at every instant.
#pragma once

#include <string>

#include "base/status.h"
#include "fs/backend.h"

namespace fsgate::store {

// Runs whatever steps the root still needs, under `gateway_dir`'s lock; true
// when this call moved anything into `gateway_dir`. Refuses (EEXIST) to mix a
// format-1 journal into a gateway directory that already holds a journal of
// its own: another gateway id adopts it.
Result<bool> AdoptLegacyState(fs::Backend& backend, const std::string& gateway_dir, bool fsync);

}  // namespace fsgate::store
