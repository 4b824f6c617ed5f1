#include "gateway/conditions.h"

#include <charconv>

#include "gateway/object_headers.h"
#include "gateway/s3_time.h"

namespace fsgate::gateway {
namespace {

// True when any ETag of a comma-separated If-Match/If-None-Match list matches.
bool EtagListMatches(std::string_view list, const std::string& etag) {
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == "*" || UnquoteEtag(item) == etag) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

struct ConditionHeaders {
  const char* if_match;
  const char* if_none_match;
  const char* if_modified_since;
  const char* if_unmodified_since;
};

// RFC 7232 §6 order, with S3's documented twists: If-Match true makes a false
// If-Unmodified-Since irrelevant; If-None-Match false makes If-Modified-Since
// irrelevant.
std::string Evaluate(const http::HttpRequest& request, const store::ObjectMeta& meta,
                     const ConditionHeaders& names, std::string_view not_modified) {
  int64_t mtime = meta.mtime_ns / 1000000000;
  const std::string* if_match = request.Header(names.if_match);
  const std::string* if_none_match = request.Header(names.if_none_match);
  if (if_match != nullptr) {
    if (!EtagListMatches(*if_match, meta.etag)) return "PreconditionFailed";
  } else if (const std::string* h = request.Header(names.if_unmodified_since)) {
    auto t = ParseHttpDate(*h);
    if (t && mtime > *t) return "PreconditionFailed";
  }
  if (if_none_match != nullptr) {
    if (EtagListMatches(*if_none_match, meta.etag)) return std::string(not_modified);
  } else if (const std::string* h = request.Header(names.if_modified_since)) {
    auto t = ParseHttpDate(*h);
    if (t && mtime <= *t) return std::string(not_modified);
  }
  return {};
}

constexpr std::string_view kPrefix = "bytes=";

bool ParseNumber(std::string_view text, uint64_t& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

std::string EvaluateReadConditions(const http::HttpRequest& request,
                                   const store::ObjectMeta& meta) {
  return Evaluate(request, meta,
                  {"if-match", "if-none-match", "if-modified-since", "if-unmodified-since"},
                  "NotModified");
}

std::string EvaluateCopySourceConditions(const http::HttpRequest& request,
                                         const store::ObjectMeta& meta) {
  return Evaluate(request, meta,
                  {"x-amz-copy-source-if-match", "x-amz-copy-source-if-none-match",
                   "x-amz-copy-source-if-modified-since", "x-amz-copy-source-if-unmodified-since"},
                  "PreconditionFailed");
}

RangeResult ParseRange(std::string_view header, uint64_t size, ByteRange& range) {
  if (!header.starts_with(kPrefix)) return RangeResult::kNone;
  std::string_view spec = header.substr(kPrefix.size());
  if (spec.find(',') != std::string_view::npos) return RangeResult::kNone;
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return RangeResult::kNone;
  std::string_view first_text = spec.substr(0, dash);
  std::string_view last_text = spec.substr(dash + 1);
  uint64_t first = 0;
  uint64_t last = 0;
  if (first_text.empty()) {  // suffix: the last n bytes
    if (!ParseNumber(last_text, last)) return RangeResult::kNone;
    if (last == 0 || size == 0) return RangeResult::kUnsatisfiable;
    range.first = last >= size ? 0 : size - last;
    range.last = size - 1;
    return RangeResult::kSatisfiable;
  }
  if (!ParseNumber(first_text, first)) return RangeResult::kNone;
  if (last_text.empty()) {
    last = size == 0 ? 0 : size - 1;
  } else if (!ParseNumber(last_text, last) || last < first) {
    return RangeResult::kNone;
  }
  if (first >= size) return RangeResult::kUnsatisfiable;
  range.first = first;
  range.last = std::min(last, size - 1);
  return RangeResult::kSatisfiable;
}

std::optional<ByteRange> ParseCopySourceRange(std::string_view value) {
  if (!value.starts_with(kPrefix)) return std::nullopt;
  value.remove_prefix(kPrefix.size());
  const size_t dash = value.find('-');
  ByteRange range;
  if (dash == std::string_view::npos || !ParseNumber(value.substr(0, dash), range.first) ||
      !ParseNumber(value.substr(dash + 1), range.last) || range.first > range.last) {
    return std::nullopt;
  }
  return range;
}

}  // namespace fsgate::gateway
