// Conditional requests (RFC 7232 as S3 applies them) and Range (RFC 7233).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/http_message.h"
#include "store/object_store.h"

namespace fsgate::gateway {

// If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since against
// the current object (GET/HEAD). Empty when the request may proceed, else
// "PreconditionFailed" or "NotModified".
std::string EvaluateReadConditions(const http::HttpRequest& request, const store::ObjectMeta& meta);

// The same for x-amz-copy-source-if-*; failures are all PreconditionFailed.
std::string EvaluateCopySourceConditions(const http::HttpRequest& request,
                                         const store::ObjectMeta& meta);

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
};

enum class RangeResult { kNone, kSatisfiable, kUnsatisfiable };

// Parses "bytes=a-b", "bytes=a-", "bytes=-n" for an object of `size` bytes. A
// syntactically invalid or multi-range header is ignored (kNone), as S3 does.
RangeResult ParseRange(std::string_view header, uint64_t size, ByteRange& range);

// x-amz-copy-source-range: exactly "bytes=first-last", first <= last; no
// suffix or open range, and nothing clamped (the caller checks the size).
std::optional<ByteRange> ParseCopySourceRange(std::string_view value);

}  // namespace fsgate::gateway
