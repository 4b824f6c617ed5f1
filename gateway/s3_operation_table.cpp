// The rows of the S3 operation table, and the matching of a request to one.
// A row per operation: the table is long, not complicated.
#include "gateway/s3_operation_table.h"

#include <cctype>
#include <iterator>
#include <vector>

#include "gateway/s3_handlers.h"

namespace fsgate::gateway {
namespace {

using Op = S3Operation;
using enum Addressed;
using enum OtherParameters;
using enum Access;

// A CreateBucketConfiguration is a location and a few small elements.
constexpr uint64_t kCreateBucketBody = 64 * 1024;
// 1000 keys of 1024 bytes, escaped, with their version ids fit twice over.
constexpr uint64_t kDeleteObjectsBody = 2 * 1024 * 1024;
// 50 tags of 128 + 256 characters of up to 4 UTF-8 bytes each, escaped, fit.
constexpr uint64_t kTaggingBody = 256 * 1024;
// A bucket policy is at most 20 KB (auth::kMaxBucketPolicyBytes); a larger one
// is read whole so that it is refused with S3's MalformedPolicy message.
constexpr uint64_t kPolicyBody = 64 * 1024;
// A PublicAccessBlockConfiguration or OwnershipControls: a few short elements.
constexpr uint64_t kSettingsBody = 64 * 1024;
// An AccessControlPolicy: AWS allows 100 grants of a few hundred bytes each.
constexpr uint64_t kAclBody = 256 * 1024;
// 100 CORS rules of a few origins, methods and headers each, fit many times.
constexpr uint64_t kCorsBody = 256 * 1024;
// A VersioningConfiguration is two short elements.
constexpr uint64_t kVersioningBody = 64 * 1024;
// An ObjectLockConfiguration, Retention or LegalHold: a few short elements.
constexpr uint64_t kObjectLockBody = 64 * 1024;
// 10,000 parts with their ETags and checksums.
constexpr uint64_t kCompleteMultipartBody = 4 * 1024 * 1024;

// Shorthands for the match column.
constexpr S3Match On(std::string_view method, Addressed addressed, std::string_view query = {},
                     OtherParameters others = kAny) {
  return {.method = method, .addressed = addressed, .query = {query, {}}, .others = others};
}
constexpr S3Match OnCopy(std::string_view method, std::string_view query1 = {},
                         std::string_view query2 = {}) {
  return {.method = method,
          .addressed = kObject,
          .query = {query1, query2},
          .header = "x-amz-copy-source"};
}

// Columns: operation, match, handler, auth modes, IAM action, access, body limit.
constexpr S3OperationRow kRows[] = {
    // The service.
    {Op::kListBuckets, On("GET", kService), ListBuckets, kAuthSigV4, "s3:ListAllMyBuckets", kCaller,
     0},

    // A bucket's sub-resources, by method; then the bucket itself.
    {Op::kGetBucketAccelerateConfiguration, On("GET", kBucket, "accelerate"),
     BucketConfigurationAbsent, kAuthSigV4, "s3:GetAccelerateConfiguration", kBucketOwner, 0},
    {Op::kPutBucketAccelerateConfiguration, On("PUT", kBucket, "accelerate"), nullptr, kAuthSigV4,
     "s3:PutAccelerateConfiguration", kBucketOwner, 0},
    {Op::kGetBucketAcl, On("GET", kBucket, "acl"), GetBucketAcl, kAuthSigV4, "s3:GetBucketAcl",
     kBucketOwner, 0},
    {Op::kPutBucketAcl, On("PUT", kBucket, "acl"), PutBucketAcl, kAuthSigV4, "s3:PutBucketAcl",
     kBucketOwner, kAclBody},
    {Op::kGetBucketAnalyticsConfiguration, On("GET", kBucket, "analytics"), nullptr, kAuthSigV4,
     "s3:GetAnalyticsConfiguration", kBucketOwner, 0},
    {Op::kPutBucketAnalyticsConfiguration, On("PUT", kBucket, "analytics"), nullptr, kAuthSigV4,
     "s3:PutAnalyticsConfiguration", kBucketOwner, 0},
    {Op::kDeleteBucketAnalyticsConfiguration, On("DELETE", kBucket, "analytics"), nullptr,
     kAuthSigV4, "s3:PutAnalyticsConfiguration", kBucketOwner, 0},
    {Op::kGetBucketCors, On("GET", kBucket, "cors"), GetBucketCors, kAuthSigV4, "s3:GetBucketCORS",
     kBucketOwner, 0},
    {Op::kPutBucketCors, On("PUT", kBucket, "cors"), PutBucketCors, kAuthSigV4, "s3:PutBucketCORS",
     kBucketOwner, kCorsBody},
    {Op::kDeleteBucketCors, On("DELETE", kBucket, "cors"), DeleteBucketCors, kAuthSigV4,
     "s3:PutBucketCORS", kBucketOwner, 0},
    {Op::kGetBucketEncryption, On("GET", kBucket, "encryption"), BucketConfigurationAbsent,
     kAuthSigV4, "s3:GetEncryptionConfiguration", kBucketOwner, 0},
    {Op::kPutBucketEncryption, On("PUT", kBucket, "encryption"), nullptr, kAuthSigV4,
     "s3:PutEncryptionConfiguration", kBucketOwner, 0},
    {Op::kDeleteBucketEncryption, On("DELETE", kBucket, "encryption"), nullptr, kAuthSigV4,
     "s3:PutEncryptionConfiguration", kBucketOwner, 0},
    {Op::kGetBucketIntelligentTieringConfiguration, On("GET", kBucket, "intelligent-tiering"),
     nullptr, kAuthSigV4, "s3:GetIntelligentTieringConfiguration", kBucketOwner, 0},
    {Op::kPutBucketIntelligentTieringConfiguration, On("PUT", kBucket, "intelligent-tiering"),
     nullptr, kAuthSigV4, "s3:PutIntelligentTieringConfiguration", kBucketOwner, 0},
    {Op::kDeleteBucketIntelligentTieringConfiguration, On("DELETE", kBucket, "intelligent-tiering"),
     nullptr, kAuthSigV4, "s3:PutIntelligentTieringConfiguration", kBucketOwner, 0},
    {Op::kGetBucketInventoryConfiguration, On("GET", kBucket, "inventory"), nullptr, kAuthSigV4,
     "s3:GetInventoryConfiguration", kBucketOwner, 0},
    {Op::kPutBucketInventoryConfiguration, On("PUT", kBucket, "inventory"), nullptr, kAuthSigV4,
     "s3:PutInventoryConfiguration", kBucketOwner, 0},
    {Op::kDeleteBucketInventoryConfiguration, On("DELETE", kBucket, "inventory"), nullptr,
     kAuthSigV4, "s3:PutInventoryConfiguration", kBucketOwner, 0},
    {Op::kGetBucketLifecycleConfiguration, On("GET", kBucket, "lifecycle"),
     BucketConfigurationAbsent, kAuthSigV4, "s3:GetLifecycleConfiguration", kBucketOwner, 0},
    {Op::kPutBucketLifecycleConfiguration, On("PUT", kBucket, "lifecycle"), nullptr, kAuthSigV4,
     "s3:PutLifecycleConfiguration", kBucketOwner, 0},
    {Op::kDeleteBucketLifecycle, On("DELETE", kBucket, "lifecycle"), nullptr, kAuthSigV4,
     "s3:PutLifecycleConfiguration", kBucketOwner, 0},
    {Op::kGetBucketLocation, On("GET", kBucket, "location"), GetBucketLocation, kAuthSigV4,
     "s3:GetBucketLocation", kBucketOwner, 0},
    {Op::kGetBucketLogging, On("GET", kBucket, "logging"), BucketConfigurationAbsent, kAuthSigV4,
     "s3:GetBucketLogging", kBucketOwner, 0},
    {Op::kPutBucketLogging, On("PUT", kBucket, "logging"), nullptr, kAuthSigV4,
     "s3:PutBucketLogging", kBucketOwner, 0},
    {Op::kGetBucketMetadataTableConfiguration, On("GET", kBucket, "metadataTable"), nullptr,
     kAuthSigV4, "s3:GetBucketMetadataTableConfiguration", kBucketOwner, 0},
    {Op::kDeleteBucketMetadataTableConfiguration, On("DELETE", kBucket, "metadataTable"), nullptr,
     kAuthSigV4, "s3:DeleteBucketMetadataTableConfiguration", kBucketOwner, 0},
    {Op::kGetBucketMetricsConfiguration, On("GET", kBucket, "metrics"), nullptr, kAuthSigV4,
     "s3:GetMetricsConfiguration", kBucketOwner, 0},
    {Op::kPutBucketMetricsConfiguration, On("PUT", kBucket, "metrics"), nullptr, kAuthSigV4,
     "s3:PutMetricsConfiguration", kBucketOwner, 0},
    {Op::kDeleteBucketMetricsConfiguration, On("DELETE", kBucket, "metrics"), nullptr, kAuthSigV4,
     "s3:PutMetricsConfiguration", kBucketOwner, 0},
    {Op::kGetBucketNotificationConfiguration, On("GET", kBucket, "notification"),
     BucketConfigurationAbsent, kAuthSigV4, "s3:GetBucketNotification", kBucketOwner, 0},
    {Op::kPutBucketNotificationConfiguration, On("PUT", kBucket, "notification"), nullptr,
     kAuthSigV4, "s3:PutBucketNotification", kBucketOwner, 0},
    {Op::kGetObjectLockConfiguration, On("GET", kBucket, "object-lock"), GetObjectLockConfiguration,
     kAuthSigV4, "s3:GetBucketObjectLockConfiguration", kBucketOwner, 0},
    {Op::kPutObjectLockConfiguration, On("PUT", kBucket, "object-lock"), PutObjectLockConfiguration,
     kAuthSigV4, "s3:PutBucketObjectLockConfiguration", kBucketOwner, kObjectLockBody},
    {Op::kGetBucketOwnershipControls, On("GET", kBucket, "ownershipControls"),
     GetBucketOwnershipControls, kAuthSigV4, "s3:GetBucketOwnershipControls", kBucketOwner, 0},
    {Op::kPutBucketOwnershipControls, On("PUT", kBucket, "ownershipControls"),
     PutBucketOwnershipControls, kAuthSigV4, "s3:PutBucketOwnershipControls", kBucketOwner,
     kSettingsBody},
    {Op::kDeleteBucketOwnershipControls, On("DELETE", kBucket, "ownershipControls"),
     DeleteBucketOwnershipControls, kAuthSigV4, "s3:PutBucketOwnershipControls", kBucketOwner, 0},
    {Op::kGetBucketPolicy, On("GET", kBucket, "policy"), GetBucketPolicy, kAuthSigV4,
     "s3:GetBucketPolicy", kBucketOwner, 0},
    {Op::kPutBucketPolicy, On("PUT", kBucket, "policy"), PutBucketPolicy, kAuthSigV4,
     "s3:PutBucketPolicy", kBucketOwner, kPolicyBody},
    {Op::kDeleteBucketPolicy, On("DELETE", kBucket, "policy"), DeleteBucketPolicy, kAuthSigV4,
     "s3:DeleteBucketPolicy", kBucketOwner, 0},
    {Op::kGetBucketPolicyStatus, On("GET", kBucket, "policyStatus"), GetBucketPolicyStatus,
     kAuthSigV4, "s3:GetBucketPolicyStatus", kBucketOwner, 0},
    {Op::kGetPublicAccessBlock, On("GET", kBucket, "publicAccessBlock"), GetPublicAccessBlock,
     kAuthSigV4, "s3:GetBucketPublicAccessBlock", kBucketOwner, 0},
    {Op::kPutPublicAccessBlock, On("PUT", kBucket, "publicAccessBlock"), PutPublicAccessBlock,
     kAuthSigV4, "s3:PutBucketPublicAccessBlock", kBucketOwner, kSettingsBody},
    {Op::kDeletePublicAccessBlock, On("DELETE", kBucket, "publicAccessBlock"),
     DeletePublicAccessBlock, kAuthSigV4, "s3:PutBucketPublicAccessBlock", kBucketOwner, 0},
    {Op::kGetBucketReplication, On("GET", kBucket, "replication"), BucketConfigurationAbsent,
     kAuthSigV4, "s3:GetReplicationConfiguration", kBucketOwner, 0},
    {Op::kPutBucketReplication, On("PUT", kBucket, "replication"), nullptr, kAuthSigV4,
     "s3:PutReplicationConfiguration", kBucketOwner, 0},
    {Op::kDeleteBucketReplication, On("DELETE", kBucket, "replication"), nullptr, kAuthSigV4,
     "s3:PutReplicationConfiguration", kBucketOwner, 0},
    {Op::kGetBucketRequestPayment, On("GET", kBucket, "requestPayment"), BucketConfigurationAbsent,
     kAuthSigV4, "s3:GetBucketRequestPayment", kBucketOwner, 0},
    {Op::kPutBucketRequestPayment, On("PUT", kBucket, "requestPayment"), nullptr, kAuthSigV4,
     "s3:PutBucketRequestPayment", kBucketOwner, 0},
    {Op::kGetBucketTagging, On("GET", kBucket, "tagging"), GetBucketTagging, kAuthSigV4,
     "s3:GetBucketTagging", kBucketOwner, 0},
    {Op::kPutBucketTagging, On("PUT", kBucket, "tagging"), PutBucketTagging, kAuthSigV4,
     "s3:PutBucketTagging", kBucketOwner, kTaggingBody},
    {Op::kDeleteBucketTagging, On("DELETE", kBucket, "tagging"), DeleteBucketTagging, kAuthSigV4,
     "s3:PutBucketTagging", kBucketOwner, 0},
    {Op::kListMultipartUploads, On("GET", kBucket, "uploads"), ListMultipartUploads, kAuthSigV4,
     "s3:ListBucketMultipartUploads", kBucketOwner, 0},
    {Op::kGetBucketVersioning, On("GET", kBucket, "versioning"), GetBucketVersioning, kAuthSigV4,
     "s3:GetBucketVersioning", kBucketOwner, 0},
    {Op::kPutBucketVersioning, On("PUT", kBucket, "versioning"), PutBucketVersioning, kAuthSigV4,
     "s3:PutBucketVersioning", kBucketOwner, kVersioningBody},
    {Op::kListObjectVersions, On("GET", kBucket, "versions"), ListObjectVersions, kAuthSigV4,
     "s3:ListBucketVersions", kBucketOwner, 0},
    {Op::kGetBucketWebsite, On("GET", kBucket, "website"), BucketConfigurationAbsent, kAuthSigV4,
     "s3:GetBucketWebsite", kBucketOwner, 0},
    {Op::kPutBucketWebsite, On("PUT", kBucket, "website"), nullptr, kAuthSigV4,
     "s3:PutBucketWebsite", kBucketOwner, 0},
    {Op::kDeleteBucketWebsite, On("DELETE", kBucket, "website"), nullptr, kAuthSigV4,
     "s3:DeleteBucketWebsite", kBucketOwner, 0},
    {Op::kHeadBucket, On("HEAD", kBucket), HeadBucket, kAuthSigV4, "s3:ListBucket", kBucketOwner,
     0},
    {Op::kDeleteObjects, On("POST", kBucket, "delete"), DeleteObjects, kAuthSigV4,
     "s3:DeleteObject", kBucketOwner, kDeleteObjectsBody},
    // A browser's form upload: the form's fields carry the policy and its signature.
    {Op::kPostObject,
     {.method = "POST",
      .addressed = kBucket,
      .header = "content-type",
      .header_prefix = "multipart/form-data"},
     PostObject,
     kAuthPostForm,
     "s3:PutObject",
     kByHandler,
     kObjectSizeLimit},
    // A browser's CORS preflight: no credentials (a presigned URL's are for
    // the request it precedes); the bucket's CORS rules decide.
    {Op::kOptionsBucket, On("OPTIONS", kBucket), OptionsObject, kAuthNone, "", kAnyone, 0},
    {Op::kCreateBucket, On("PUT", kBucket, {}, kNone), CreateBucket, kAuthSigV4, "s3:CreateBucket",
     kCaller, kCreateBucketBody},
    {Op::kDeleteBucket, On("DELETE", kBucket, {}, kNone), DeleteBucket, kAuthSigV4,
     "s3:DeleteBucket", kBucketOwner, 0},
    {Op::kListObjectsV2,
     {.method = "GET",
      .addressed = kBucket,
      .query = {"list-type"},
      .query_value = "2",
      .others = kListing},
     ListObjectsV2,
     kAuthSigV4,
     "s3:ListBucket",
     kBucketOwner,
     0},
    {Op::kListObjects, On("GET", kBucket, {}, kListing), ListObjects, kAuthSigV4, "s3:ListBucket",
     kBucketOwner, 0},
    // A GET of a bucket naming a sub-resource nothing above serves for GET
    // ("?delete", "?abac"): never a listing.
    {Op::kUnknownSubresource, On("GET", kBucket), UnknownSubresource, kAuthSigV4, "s3:ListBucket",
     kBucketOwner, 0},

    // An object, by method: sub-resources first, the plain operation last.
    {Op::kListParts, On("GET", kObject, "uploadId"), ListParts, kAuthSigV4,
     "s3:ListMultipartUploadParts", kBucketOwner, 0},
    {Op::kGetObjectAcl, On("GET", kObject, "acl"), GetObjectAcl, kAuthSigV4, "s3:GetObjectAcl",
     kBucketOwner, 0},
    {Op::kGetObjectTagging, On("GET", kObject, "tagging"), GetObjectTagging, kAuthSigV4,
     "s3:GetObjectTagging", kBucketOwner, 0},
    {Op::kGetObjectAttributes, On("GET", kObject, "attributes"), GetObjectAttributes, kAuthSigV4,
     "s3:GetObjectAttributes", kBucketOwner, 0},
    {Op::kGetObjectRetention, On("GET", kObject, "retention"), GetObjectRetention, kAuthSigV4,
     "s3:GetObjectRetention", kBucketOwner, 0},
    {Op::kGetObjectLegalHold, On("GET", kObject, "legal-hold"), GetObjectLegalHold, kAuthSigV4,
     "s3:GetObjectLegalHold", kBucketOwner, 0},
    {Op::kGetObjectTorrent, On("GET", kObject, "torrent"), nullptr, kAuthSigV4,
     "s3:GetObjectTorrent", kBucketOwner, 0},
    {Op::kOptionsObject, On("OPTIONS", kObject), OptionsObject, kAuthNone, "", kAnyone, 0},
    {Op::kGetObject, On("GET", kObject), GetObject, kAuthSigV4, "s3:GetObject", kBucketOwner, 0},
    {Op::kHeadObject, On("HEAD", kObject), HeadObject, kAuthSigV4, "s3:GetObject", kBucketOwner, 0},
    {Op::kUploadPartCopy, OnCopy("PUT", "partNumber", "uploadId"), UploadPartCopy, kAuthSigV4,
     "s3:PutObject", kBucketOwnerAndCopySource, 0},
    {Op::kUploadPart,
     {.method = "PUT", .addressed = kObject, .query = {"partNumber", "uploadId"}},
     UploadPart,
     kAuthSigV4,
     "s3:PutObject",
     kBucketOwner,
     kObjectSizeLimit},
    {Op::kPutObjectAcl, On("PUT", kObject, "acl"), PutObjectAcl, kAuthSigV4, "s3:PutObjectAcl",
     kBucketOwner, kAclBody},
    {Op::kPutObjectTagging, On("PUT", kObject, "tagging"), PutObjectTagging, kAuthSigV4,
     "s3:PutObjectTagging", kBucketOwner, kTaggingBody},
    {Op::kPutObjectRetention, On("PUT", kObject, "retention"), PutObjectRetention, kAuthSigV4,
     "s3:PutObjectRetention", kBucketOwner, kObjectLockBody},
    {Op::kPutObjectLegalHold, On("PUT", kObject, "legal-hold"), PutObjectLegalHold, kAuthSigV4,
     "s3:PutObjectLegalHold", kBucketOwner, kObjectLockBody},
    {Op::kCopyObject, OnCopy("PUT"), CopyObject, kAuthSigV4, "s3:PutObject",
     kBucketOwnerAndCopySource, 0},
    {Op::kPutObject, On("PUT", kObject), PutObject, kAuthSigV4, "s3:PutObject", kBucketOwner,
     kObjectSizeLimit},
    {Op::kAbortMultipartUpload, On("DELETE", kObject, "uploadId"), AbortMultipartUpload, kAuthSigV4,
     "s3:AbortMultipartUpload", kBucketOwner, 0},
    {Op::kDeleteObjectTagging, On("DELETE", kObject, "tagging"), DeleteObjectTagging, kAuthSigV4,
     "s3:DeleteObjectTagging", kBucketOwner, 0},
    {Op::kDeleteObject, On("DELETE", kObject), DeleteObject, kAuthSigV4, "s3:DeleteObject",
     kBucketOwner, 0},
    {Op::kCreateMultipartUpload, On("POST", kObject, "uploads"), CreateMultipartUpload, kAuthSigV4,
     "s3:PutObject", kBucketOwner, 0},
    {Op::kCompleteMultipartUpload, On("POST", kObject, "uploadId"), CompleteMultipartUpload,
     kAuthSigV4, "s3:PutObject", kBucketOwner, kCompleteMultipartBody},
    {Op::kRestoreObject, On("POST", kObject, "restore"), nullptr, kAuthSigV4, "s3:RestoreObject",
     kBucketOwner, 0},
    {Op::kSelectObjectContent, On("POST", kObject, "select"), nullptr, kAuthSigV4, "s3:GetObject",
     kBucketOwner, 0},
};

// Parameters of the listings (ListObjects, ListObjectsV2, and the options of
// ListObjectVersions and ListMultipartUploads), not sub-resources.
constexpr std::string_view kListParameters[] = {
    "continuation-token", "delimiter",        "encoding-type",     "fetch-owner", "key-marker",
    "list-type",          "marker",           "max-keys",          "max-uploads", "prefix",
    "start-after",        "upload-id-marker", "version-id-marker",
};

// Query parameters any request may carry: presigned-URL authentication
// (X-Amz-*, and SigV2's AWSAccessKeyId, Expires, Signature) and the
// x-id=<Operation> the AWS SDKs append.
bool IsRequestParameter(std::string_view name) {
  return name == "x-id" || name.starts_with("X-Amz-") || name.starts_with("x-amz-") ||
         name == "AWSAccessKeyId" || name == "Expires" || name == "Signature";
}

bool IsListParameter(std::string_view name) {
  for (std::string_view p : kListParameters) {
    if (p == name) return true;
  }
  return false;
}

// Sub-resources of AWS's newer bucket APIs that no row names.
constexpr std::string_view kOtherSubresources[] = {
    "abac", "metadataConfiguration", "metadataInventoryTable", "metadataJournalTable", "session"};

// A name S3 gives a sub-resource: a row's, or one of kOtherSubresources.
bool IsSubresourceName(std::string_view name) {
  for (const S3OperationRow& row : kRows) {
    for (std::string_view q : row.match.query) {
      if (!q.empty() && q == name) return true;
    }
  }
  for (std::string_view other : kOtherSubresources) {
    if (other == name) return true;
  }
  return false;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

bool OthersAllowed(const http::HttpRequest& r, const S3Match& m) {
  if (m.others == kAny) return true;
  for (const auto& [name, value] : r.query) {
    if (IsRequestParameter(name) || name == m.query[0] || name == m.query[1]) continue;
    // As AWS does, a listing ignores a parameter S3 has no meaning for
    // ("?bucket=b&key=k&etag=e" of a form's redirect back to its bucket, a
    // cache buster); a sub-resource's name makes it no listing.
    if (m.others == kListing && (IsListParameter(name) || !IsSubresourceName(name))) continue;
    return false;
  }
  return true;
}

bool Matches(const http::HttpRequest& r, Addressed addressed, const S3Match& m) {
  if (m.addressed != addressed || m.method != r.method) return false;
  for (std::string_view name : m.query) {
    if (!name.empty() && !r.HasQuery(name)) return false;
  }
  if (!m.query_value.empty() && *r.Query(m.query[0]) != m.query_value) return false;
  if (!m.header.empty()) {
    const std::string* value = r.Header(m.header);
    if (value == nullptr || !StartsWithIgnoreCase(*value, m.header_prefix)) return false;
  }
  return OthersAllowed(r, m);
}

// The methods rows name; any other is no S3 operation.
constexpr std::string_view kMethods[] = {"GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"};
constexpr size_t kMethodCount = std::size(kMethods);

int MethodIndex(std::string_view method) {
  for (size_t i = 0; i < kMethodCount; ++i) {
    if (kMethods[i] == method) return static_cast<int>(i);
  }
  return -1;
}

// The rows of one addressed level and method, in table order: routing a GET
// of an object tries its 8 rows, not all 95. RouteRequest of a PUT, GET or
// DELETE of an object took 250-350 ns walking every row, 105-200 ns this way,
// as with the string tables before (95-195 ns; -O2, one core, 10^6 calls).
const std::vector<const S3OperationRow*>& Candidates(Addressed addressed, int method) {
  using Index = std::array<std::array<std::vector<const S3OperationRow*>, kMethodCount>, 3>;
  static const Index kIndex = [] {
    Index index;
    for (const S3OperationRow& row : kRows) {
      const int m = MethodIndex(row.match.method);
      index[static_cast<size_t>(row.match.addressed)][static_cast<size_t>(m)].push_back(&row);
    }
    return index;
  }();
  return kIndex[static_cast<size_t>(addressed)][static_cast<size_t>(method)];
}

}  // namespace

std::span<const S3OperationRow> S3OperationTable() { return kRows; }

const S3OperationRow* FindS3Operation(S3Operation operation) {
  // Indexed once: the rows are in matching order, not in the enum's.
  static const auto kByOperation = [] {
    std::array<const S3OperationRow*, kS3OperationCount> index{};
    for (const S3OperationRow& row : kRows) index[static_cast<size_t>(row.operation)] = &row;
    return index;
  }();
  return kByOperation[static_cast<size_t>(operation)];
}

const S3OperationRow* MatchS3Operation(const http::HttpRequest& request, Addressed addressed) {
  const int method = MethodIndex(request.method);
  if (method < 0) return nullptr;
  for (const S3OperationRow* row : Candidates(addressed, method)) {
    if (Matches(request, addressed, row->match)) return row;
  }
  return nullptr;
}

std::string_view UnknownBucketParameter(const http::HttpRequest& request) {
  for (const auto& [name, value] : request.query) {
    if (!IsRequestParameter(name) && !IsListParameter(name) && IsSubresourceName(name)) return name;
  }
  return {};
}

}  // namespace fsgate::gateway
