// Parsed bucket policies, kept by their text: a policy is parsed when it is
// first evaluated, not on every request.
//
// Measured (an anonymous GET of a 1-byte object on a bucket with a public-read
// policy of one statement, 2 cores, keep-alive loop): see the commit adding
// this cache; parsing was a JSON parse and a few allocations per request.
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
