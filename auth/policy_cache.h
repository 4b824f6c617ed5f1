// Parsed bucket policies, kept by their text: a policy is parsed when it is
// first evaluated, not on every request.
//
// Measured: anonymous GETs of a 1-byte object over one keep-alive connection,
// on a bucket whose policy allows them, server CPU time (user+sys) per GET on
// a shared, loaded 2-core host (requests/s were noise there). A policy of 20
// statements cost 50-66 us/GET parsed on every request, 36-38 us cached; one
// of 1 statement 32-40 us either way. The parse grows with the policy (up to
// 20 KB); a lookup costs a hash of its text.
//
// Bounded: at most kMaxCachedPolicies entries; when full it starts over (a
// gateway serves far fewer distinct policies than that).
#pragma once

#include <memory>
#include <string_view>

#include "auth/policy.h"
#include "base/status.h"

namespace fsgate::auth {

inline constexpr size_t kMaxCachedPolicies = 1024;

// ParseBucketPolicy(text, bucket), from the cache when this text was parsed
// for this bucket before. Errors are not cached.
Result<std::shared_ptr<const BucketPolicy>> CachedBucketPolicy(std::string_view text,
                                                               std::string_view bucket);

}  // namespace fsgate::auth
