// S3Operation: every S3 operation the gateway tells apart, and its one name
// (the `api` label of fsgate_http_requests_total and the access log's api
// field: both part of the interface, so a name never changes).
//
// The list is an X-macro so that the enum and its names cannot drift apart.
// Operations fsgate routes but does not serve are here too: they are answered
// NotImplemented under their own name, never as another API.
#pragma once

#include <cstdint>
#include <string_view>

namespace fsgate::gateway {

#define FSGATE_S3_OPERATIONS(X)                  \
  X(Unknown)                                     \
  X(UnknownSubresource)                          \
  X(ListBuckets)                                 \
  X(CreateBucket)                                \
  X(DeleteBucket)                                \
  X(HeadBucket)                                  \
  X(ListObjects)                                 \
  X(ListObjectsV2)                               \
  X(ListObjectVersions)                          \
  X(ListMultipartUploads)                        \
  X(DeleteObjects)                               \
  X(PostObject)                                  \
  X(OptionsBucket)                               \
  X(OptionsObject)                               \
  X(GetBucketAccelerateConfiguration)            \
  X(PutBucketAccelerateConfiguration)            \
  X(GetBucketAcl)                                \
  X(PutBucketAcl)                                \
  X(GetBucketAnalyticsConfiguration)             \
  X(PutBucketAnalyticsConfiguration)             \
  X(DeleteBucketAnalyticsConfiguration)          \
  X(GetBucketCors)                               \
  X(PutBucketCors)                               \
  X(DeleteBucketCors)                            \
  X(GetBucketEncryption)                         \
  X(PutBucketEncryption)                         \
  X(DeleteBucketEncryption)                      \
  X(GetBucketIntelligentTieringConfiguration)    \
  X(PutBucketIntelligentTieringConfiguration)    \
  X(DeleteBucketIntelligentTieringConfiguration) \
  X(GetBucketInventoryConfiguration)             \
  X(PutBucketInventoryConfiguration)             \
  X(DeleteBucketInventoryConfiguration)          \
  X(GetBucketLifecycleConfiguration)             \
  X(PutBucketLifecycleConfiguration)             \
  X(DeleteBucketLifecycle)                       \
  X(GetBucketLocation)                           \
  X(GetBucketLogging)                            \
  X(PutBucketLogging)                            \
  X(GetBucketMetadataTableConfiguration)         \
  X(DeleteBucketMetadataTableConfiguration)      \
  X(GetBucketMetricsConfiguration)               \
  X(PutBucketMetricsConfiguration)               \
  X(DeleteBucketMetricsConfiguration)            \
  X(GetBucketNotificationConfiguration)          \
  X(PutBucketNotificationConfiguration)          \
  X(GetObjectLockConfiguration)                  \
  X(PutObjectLockConfiguration)                  \
  X(GetBucketOwnershipControls)                  \
  X(PutBucketOwnershipControls)                  \
  X(DeleteBucketOwnershipControls)               \
  X(GetBucketPolicy)                             \
  X(PutBucketPolicy)                             \
  X(DeleteBucketPolicy)                          \
  X(GetBucketPolicyStatus)                       \
  X(GetPublicAccessBlock)                        \
  X(PutPublicAccessBlock)                        \
  X(DeletePublicAccessBlock)                     \
  X(GetBucketReplication)                        \
  X(PutBucketReplication)                        \
  X(DeleteBucketReplication)                     \
  X(GetBucketRequestPayment)                     \
  X(PutBucketRequestPayment)                     \
  X(GetBucketTagging)                            \
  X(PutBucketTagging)                            \
  X(DeleteBucketTagging)                         \
  X(GetBucketVersioning)                         \
  X(PutBucketVersioning)                         \
  X(GetBucketWebsite)                            \
  X(PutBucketWebsite)                            \
  X(DeleteBucketWebsite)                         \
  X(GetObject)                                   \
  X(HeadObject)                                  \
  X(PutObject)                                   \
  X(CopyObject)                                  \
  X(DeleteObject)                                \
  X(GetObjectAcl)                                \
  X(PutObjectAcl)                                \
  X(GetObjectTagging)                            \
  X(PutObjectTagging)                            \
  X(DeleteObjectTagging)                         \
  X(GetObjectAttributes)                         \
  X(GetObjectRetention)                          \
  X(PutObjectRetention)                          \
  X(GetObjectLegalHold)                          \
  X(PutObjectLegalHold)                          \
  X(GetObjectTorrent)                            \
  X(RestoreObject)                               \
  X(SelectObjectContent)                         \
  X(CreateMultipartUpload)                       \
  X(UploadPart)                                  \
  X(UploadPartCopy)                              \
  X(CompleteMultipartUpload)                     \
  X(AbortMultipartUpload)                        \
  X(ListParts)

enum class S3Operation : uint8_t {
#define FSGATE_S3_OPERATION_ENUM(name) k##name,
  FSGATE_S3_OPERATIONS(FSGATE_S3_OPERATION_ENUM)
#undef FSGATE_S3_OPERATION_ENUM
};

// How many operations there are (kUnknown included).
inline constexpr size_t kS3OperationCount = []() {
  size_t n = 0;
#define FSGATE_S3_OPERATION_COUNT(name) ++n;
  FSGATE_S3_OPERATIONS(FSGATE_S3_OPERATION_COUNT)
#undef FSGATE_S3_OPERATION_COUNT
  return n;
}();

// "PutObject", ...; "Unknown" for a request no operation matches.
std::string_view S3OperationName(S3Operation operation);

}  // namespace fsgate::gateway
