// The S3 operations, one function each, grouped by file:
//   bucket_handlers.cpp     buckets and bucket sub-resources
//   list_handlers.cpp       ListObjects, ListObjectsV2, ListObjectVersions
//   object_handlers.cpp     PutObject, GetObject, HeadObject, DeleteObject(s)
//   copy_handler.cpp        CopyObject, UploadPartCopy
//   multipart_handlers.cpp  multipart uploads
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/s3_context.h"
#include "gateway/xml.h"

namespace fsgate::gateway {

using S3Handler = void (*)(S3Context&);

// The handler for an S3 operation name, or nullptr.
S3Handler FindHandler(std::string_view api);

void ListBuckets(S3Context& ctx);
void CreateBucket(S3Context& ctx);
void DeleteBucket(S3Context& ctx);
void HeadBucket(S3Context& ctx);
void GetBucketLocation(S3Context& ctx);
void GetBucketVersioning(S3Context& ctx);
void GetBucketAcl(S3Context& ctx);
void BucketConfigurationAbsent(S3Context& ctx);
void UnknownSubresource(S3Context& ctx);

void ListObjects(S3Context& ctx);
void ListObjectsV2(S3Context& ctx);
void ListObjectVersions(S3Context& ctx);

void PutObject(S3Context& ctx);
void GetObject(S3Context& ctx);
void HeadObject(S3Context& ctx);
void DeleteObject(S3Context& ctx);
void DeleteObjects(S3Context& ctx);
void GetObjectAcl(S3Context& ctx);
void GetObjectTagging(S3Context& ctx);

void CopyObject(S3Context& ctx);
void UploadPartCopy(S3Context& ctx);

void CreateMultipartUpload(S3Context& ctx);
void UploadPart(S3Context& ctx);
void CompleteMultipartUpload(S3Context& ctx);
void AbortMultipartUpload(S3Context& ctx);
void ListParts(S3Context& ctx);
void ListMultipartUploads(S3Context& ctx);

// Shared by handlers.
// Who owns what the request addresses: the bucket's owner, or for
// service-level requests the caller. ID and DisplayName are both the user name.
std::string OwnerId(const S3Context& ctx);
// The owner element every listing carries.
void AppendOwner(pugi::xml_node parent, const S3Context& ctx);

struct CopySource {
  std::string bucket;
  std::string key;
};
// x-amz-copy-source: "[/]bucket/key[?versionId=null]", percent-encoded; false
// after answering InvalidArgument.
bool ParseCopySource(S3Context& ctx, CopySource& source);

// The error document for `code` with AWS's message.
std::string ErrorXmlFor(const S3Context& ctx, std::string_view code);
// Content-MD5, base64 of 16 bytes (InvalidDigest otherwise); unset when absent.
Status ReadContentMd5(const HttpRequest& request, std::optional<std::string>& md5);
// The whole body of a request carrying an XML document, at most `limit` bytes
// (MalformedXML beyond), checked against Content-MD5 (InvalidDigest,
// BadDigest) and any x-amz-checksum-*. `integrity_required`: one of them must
// be sent (InvalidRequest otherwise), as for DeleteObjects.
Result<std::string> ReadXmlBody(S3Context& ctx, size_t limit, bool integrity_required = false);
// partNumber of an UploadPart(Copy) or a GET/HEAD, 1..10000; false after
// answering an error.
bool ParsePartNumber(S3Context& ctx, int& part_number);
// The payload of a PutObject or UploadPart: a declared length or a chunked
// body (MissingContentLength), at most the object size limit (EntityTooLarge,
// answered before a byte is read; a longer stream is cut when it passes the
// limit). False after answering an error.
bool LimitObjectPayload(S3Context& ctx);
// Answers a failure of streaming an object's payload: EntityTooLarge with
// AWS's ProposedSize and MaxSizeAllowed, anything else as it is.
void ObjectPayloadError(S3Context& ctx, const Status& s);
// Streams the payload into `writer`, checks Content-MD5 and the additional
// checksum, and commits with `meta`.
Result<store::ObjectMeta> StreamIntoWriter(S3Context& ctx, store::ObjectWriter& writer,
                                           store::ObjectMeta meta);

}  // namespace fsgate::gateway
