// Object metadata in HTTP headers: what a PUT stores and what GET/HEAD return.
#pragma once

#include <string>

#include "http/http_message.h"
#include "store/object_store.h"

namespace fsgate::gateway {

// Every object is STANDARD: the header may name it, any other class is
// refused (InvalidStorageClass) rather than silently stored as STANDARD.
[[nodiscard]] Status CheckStorageClass(const http::HttpRequest& request);

// Content-Type, Content-Encoding, Content-Disposition, Content-Language,
// Cache-Control, Expires and x-amz-meta-* from the request. Fails with
// InvalidArgument when one holds a control character (it could not be sent
// back as a header) and with MetadataTooLarge over AWS's 2 KB user-metadata limit;
// checks the storage class too. User metadata values are stored decoded
// (RFC 2047 encoded words, see mime_words.h).
[[nodiscard]] Status MetaFromRequest(const http::HttpRequest& request, store::ObjectMeta& meta);

// ETag, Last-Modified, Content-Type, the stored headers, x-amz-meta-*,
// x-amz-tagging-count, and checksums with their type (when asked for).
void AppendMetaHeaders(const store::ObjectMeta& meta, bool include_checksums, http::Headers& out);

// If-Match / If-None-Match of a write (PutObject, CopyObject target,
// CompleteMultipartUpload), checked by the store atomically with the commit.
// As AWS, a write's If-None-Match is "*" only: another value is NotImplemented
// (501), answered before anything is read or written.
Result<store::WriteConditions> WriteConditionsFrom(const http::HttpRequest& request);

// One condition of a conditional delete as sent, in a header of DeleteObject
// or an <Object> of DeleteObjects: an ETag (quotes stripped; "*" any), a
// last-modified time (an HTTP date, or ISO 8601), a size in bytes.
enum class DeleteCondition { kEtag, kLastModified, kSize };
// InvalidArgument for a time or size that does not parse.
[[nodiscard]] Status AddDeleteCondition(DeleteCondition which, std::string_view value,
                                        store::DeleteConditions& out);
// If-Match, x-amz-if-match-last-modified-time and x-amz-if-match-size of a
// DeleteObject, checked by the store atomically with the delete.
[[nodiscard]] Status DeleteConditionsFrom(const http::HttpRequest& request,
                                          store::DeleteConditions& out);

// x-amz-checksum-<algorithm> headers for the stored checksums.
void AppendChecksumHeaders(const store::ObjectMeta& meta, http::Headers& out);

// "\"<etag>\""
std::string QuotedEtag(const std::string& etag);
// Strips surrounding quotes (and a W/ prefix) from an ETag a client sent.
std::string UnquoteEtag(std::string_view etag);

}  // namespace fsgate::gateway
