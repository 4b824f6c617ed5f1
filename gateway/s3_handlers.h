// The S3 operations, one function each, grouped by file:
//   bucket_handlers.cpp     buckets and bucket sub-resources
//   list_handlers.cpp       ListObjects, ListObjectsV2, ListObjectVersions
//   object_handlers.cpp     PutObject, GetObject, HeadObject, DeleteObject(s)
//   versioning_handlers.cpp Put/GetBucketVersioning, versionId and its headers
//   tagging_handlers.cpp    object and bucket tagging
//   acl_handlers.cpp        bucket and object ACLs
//   public_access_handlers.cpp  public access block, ownership controls
//   object_attributes_handler.cpp  GetObjectAttributes
//   copy_handler.cpp        CopyObject, UploadPartCopy
//   multipart_handlers.cpp  multipart uploads
//   object_lock_handlers.cpp  object lock: configuration, retention, legal hold
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/s3_context.h"
#include "gateway/xml.h"

namespace fsgate::gateway {

// Every handler, `void Name(S3Context& ctx)`: one list, so that the HTTP fuzz
// target can route through the real operation table with stand-ins for them.
// clang-format off
#define FSGATE_S3_HANDLERS(X)                                                                     \
  /* bucket_handlers.cpp */                                                                       \
  X(ListBuckets) X(CreateBucket) X(DeleteBucket) X(HeadBucket) X(GetBucketLocation)               \
  X(BucketConfigurationAbsent) X(UnknownSubresource)                                             \
  /* versioning_handlers.cpp */                                                                   \
  X(GetBucketVersioning) X(PutBucketVersioning)                                                   \
  /* list_handlers.cpp */                                                                         \
  X(ListObjects) X(ListObjectsV2) X(ListObjectVersions)                                           \
  /* object_handlers.cpp */                                                                       \
  X(PutObject) X(GetObject) X(HeadObject) X(DeleteObject) X(DeleteObjects)                         \
  /* tagging_handlers.cpp */                                                                      \
  X(GetObjectTagging) X(PutObjectTagging) X(DeleteObjectTagging) X(GetBucketTagging)              \
  X(PutBucketTagging) X(DeleteBucketTagging)                                                      \
  /* acl_handlers.cpp */                                                                          \
  X(GetBucketAcl) X(PutBucketAcl) X(GetObjectAcl) X(PutObjectAcl)                                 \
  /* public_access_handlers.cpp */                                                                \
  X(GetPublicAccessBlock) X(PutPublicAccessBlock) X(DeletePublicAccessBlock)                      \
  X(GetBucketOwnershipControls) X(PutBucketOwnershipControls) X(DeleteBucketOwnershipControls)    \
  /* policy_handlers.cpp */                                                                       \
  X(GetBucketPolicy) X(PutBucketPolicy) X(DeleteBucketPolicy) X(GetBucketPolicyStatus)            \
  /* cors_handlers.cpp */                                                                         \
  X(GetBucketCors) X(PutBucketCors) X(DeleteBucketCors) X(OptionsObject)                          \
  /* post_object_handler.cpp */                                                                   \
  X(PostObject)                                                                                   \
  /* object_attributes_handler.cpp */                                                             \
  X(GetObjectAttributes)                                                                          \
  /* copy_handler.cpp */                                                                          \
  X(CopyObject) X(UploadPartCopy)                                                                 \
  /* multipart_handlers.cpp */                                                                    \
  X(CreateMultipartUpload) X(UploadPart) X(CompleteMultipartUpload) X(AbortMultipartUpload)       \
  X(ListParts) X(ListMultipartUploads)                                                             \
  /* object_lock_handlers.cpp */                                                                  \
  X(GetObjectLockConfiguration) X(PutObjectLockConfiguration) X(GetObjectRetention)              \
  X(PutObjectRetention) X(GetObjectLegalHold) X(PutObjectLegalHold)
// clang-format on

#define FSGATE_S3_DECLARE_HANDLER(name) void name(S3Context& ctx);
FSGATE_S3_HANDLERS(FSGATE_S3_DECLARE_HANDLER)
#undef FSGATE_S3_DECLARE_HANDLER

// Shared by handlers.
// The versionId of an object request ("null" or an id; empty when absent);
// false after answering InvalidArgument for a malformed one.
bool ReadVersionId(S3Context& ctx, std::string& version_id);
// The bucket has had versioning (its stored state, known after Authorize).
bool BucketHasVersions(const S3Context& ctx);
// x-amz-version-id for a version's metadata, when it has one.
void AppendVersionHeader(const store::ObjectMeta& meta, http::Headers& headers);
// x-amz-version-id for the version a write (PutObject, PostObject, CopyObject,
// CompleteMultipartUpload) made: AWS names it only when versioning is
// enabled; a write into a suspended bucket makes the null version and is
// answered without the header (its GET and HEAD do say "null").
void AppendWrittenVersionHeader(const store::ObjectMeta& meta, http::Headers& headers);
// bucket/key's version `version_id` (empty: the latest); the unversioned
// path unchanged in an unversioned bucket.
Result<std::unique_ptr<store::ObjectReader>> ReadObjectVersion(S3Context& ctx,
                                                               const std::string& version_id);
// Answers a failed read of a version: a delete marker's with
// x-amz-delete-marker and its x-amz-version-id (404 as the latest, 405 by id).
void ErrorOfVersionRead(S3Context& ctx, const Status& status, const std::string& version_id);
// Who owns what the request addresses: the bucket's owner, or for
// service-level requests the caller. ID and DisplayName are both the user name.
std::string OwnerId(const S3Context& ctx);
// The owner element every listing carries.
void AppendOwner(pugi::xml_node parent, const S3Context& ctx);
// An <Owner> (or another `element`, an <Initiator>) of the user `id`: its
// canonical ID and display name.
void AppendOwnerId(pugi::xml_node parent, const std::string& id, const char* element = "Owner");
// The <Owner> of an object of `meta` (its writer under ObjectWriter), from
// its ACL; without one the object is private to the bucket's owner.
void AppendObjectOwner(pugi::xml_node node, const S3Context& ctx, const store::ObjectMeta& meta);

// The object lock of a version a write makes (PutObject, CopyObject,
// CreateMultipartUpload): the x-amz-object-lock-* headers, else the bucket's
// default retention. False after answering an error (InvalidRequest in a
// bucket without object lock, InvalidArgument for bad values).
bool ObjectLockFromRequest(S3Context& ctx, store::ObjectLock& lock);
// The bucket's default retention (if its object lock has a rule), counted
// from now: the lock of a POST upload, whose form fsgate takes no lock from.
void DefaultObjectLock(const S3Context& ctx, store::ObjectLock& lock);
// x-amz-object-lock-mode, -retain-until-date and -legal-hold of a GET/HEAD.
void AppendObjectLockHeaders(const store::ObjectMeta& meta, http::Headers& headers);
// May bucket/key's version `version_id` be removed for good (a DELETE naming
// it)? AccessDenied while its object lock holds; Ok for a delete without a
// version, in a bucket without object lock, or of a version not there.
[[nodiscard]] Status CheckVersionRemovable(S3Context& ctx, const std::string& key,
                                           const std::string& version_id);

struct CopySource {
  std::string bucket;
  std::string key;
  std::string version_id;  // empty: the latest
};
// x-amz-copy-source: "[/]bucket/key[?versionId=ID]", percent-encoded; false
// after answering InvalidArgument.
bool ParseCopySource(S3Context& ctx, CopySource& source);

// The error document for `code` with AWS's message.
std::string ErrorXmlFor(const S3Context& ctx, std::string_view code);
// Content-MD5, base64 of 16 bytes (InvalidDigest otherwise); unset when absent.
Status ReadContentMd5(const http::HttpRequest& request, std::optional<std::string>& md5);
// The whole body of a request carrying an XML document, at most its
// operation's body limit (MalformedXML beyond), checked against Content-MD5 (InvalidDigest,
// BadDigest) and any x-amz-checksum-*. `integrity_required`: one of them must
// be sent (InvalidRequest otherwise), as for DeleteObjects.
Result<std::string> ReadXmlBody(S3Context& ctx, bool integrity_required = false);
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
