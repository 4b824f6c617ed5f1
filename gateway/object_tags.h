// Tag sets as S3 takes them: the x-amz-tagging header of PutObject,
// CopyObject and CreateMultipartUpload, and AWS's rules for a tag set (the
// Tagging document itself is parsed in xml_bodies.h).
#pragma once

#include <cstddef>
#include <string_view>

#include "base/status.h"
#include "http/http_message.h"
#include "store/object_store.h"

namespace fsgate::gateway {

inline constexpr size_t kMaxObjectTags = 10;
inline constexpr size_t kMaxBucketTags = 50;
// In UTF-16 code units, as S3 counts them.
inline constexpr size_t kMaxTagKeyLength = 128;
inline constexpr size_t kMaxTagValueLength = 256;

// AWS's rules for a tag set, with its error codes and messages: at most
// `max_tags` tags (an object's eleventh is "BadRequest", a bucket's
// fifty-first InvalidTag); keys 1..128 and values 0..256 UTF-16 units of
// letters, digits, spaces and "_ . : / = + - @", no key under "aws:", no key
// twice (InvalidTag). Any character past ASCII counts as a letter: the
// Unicode tables are not worth a library for tags.
Status ValidateTags(const store::HeaderList& tags, size_t max_tags);

// The value of x-amz-tagging: "k1=v1&k2=v2", URL-encoded ('+' a space, a key
// without '=' has the empty value). InvalidArgument when a pair holds two
// '=' or a key comes twice, as AWS; then ValidateTags for an object. Sorted by key.
Result<store::HeaderList> ParseTaggingHeader(std::string_view header);

// The tags of x-amz-tagging when the request has it (none otherwise).
Status TagsFromRequest(const http::HttpRequest& request, store::HeaderList& tags);

}  // namespace fsgate::gateway
