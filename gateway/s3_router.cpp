#include "gateway/s3_router.h"

namespace fsgate::gateway {
namespace {

std::string HostWithoutPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') return std::string(host);  // IPv6 literal
  auto colon = host.rfind(':');
  std::string out(host.substr(0, colon));
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string BucketApi(const HttpRequest& r) {
  const std::string& m = r.method;
  auto has = [&](std::string_view q) { return r.HasQuery(q); };
  if (m == "GET") {
    if (has("location")) return "GetBucketLocation";
    if (has("versioning")) return "GetBucketVersioning";
    if (has("versions")) return "ListObjectVersions";
    if (has("uploads")) return "ListMultipartUploads";
    if (has("acl")) return "GetBucketAcl";
    if (has("policy")) return "GetBucketPolicy";
    if (has("cors")) return "GetBucketCors";
    if (has("lifecycle")) return "GetBucketLifecycleConfiguration";
    if (has("tagging")) return "GetBucketTagging";
    if (has("encryption")) return "GetBucketEncryption";
    if (has("object-lock")) return "GetObjectLockConfiguration";
    if (has("ownershipControls")) return "GetBucketOwnershipControls";
    if (has("website")) return "GetBucketWebsite";
    if (has("logging")) return "GetBucketLogging";
    if (has("notification")) return "GetBucketNotificationConfiguration";
    if (has("replication")) return "GetBucketReplication";
    if (has("requestPayment")) return "GetBucketRequestPayment";
    if (has("accelerate")) return "GetBucketAccelerateConfiguration";
    const std::string* list_type = r.Query("list-type");
    if (list_type != nullptr && *list_type == "2") return "ListObjectsV2";
    return "ListObjects";
  }
  if (m == "HEAD") return "HeadBucket";
  if (m == "PUT") {
    if (has("versioning")) return "PutBucketVersioning";
    if (has("acl")) return "PutBucketAcl";
    if (has("policy")) return "PutBucketPolicy";
    if (has("cors")) return "PutBucketCors";
    if (has("lifecycle")) return "PutBucketLifecycleConfiguration";
    if (has("tagging")) return "PutBucketTagging";
    if (has("encryption")) return "PutBucketEncryption";
    if (r.query.empty()) return "CreateBucket";
    return "Unknown";
  }
  if (m == "DELETE") {
    if (has("policy")) return "DeleteBucketPolicy";
    if (has("cors")) return "DeleteBucketCors";
    if (has("lifecycle")) return "DeleteBucketLifecycle";
    if (has("tagging")) return "DeleteBucketTagging";
    if (has("encryption")) return "DeleteBucketEncryption";
    if (r.query.empty()) return "DeleteBucket";
    return "Unknown";
  }
  if (m == "POST") {
    if (has("delete")) return "DeleteObjects";
    return "Unknown";
  }
  return "Unknown";
}

std::string ObjectApi(const HttpRequest& r) {
  const std::string& m = r.method;
  auto has = [&](std::string_view q) { return r.HasQuery(q); };
  if (m == "GET") {
    if (has("uploadId")) return "ListParts";
    if (has("acl")) return "GetObjectAcl";
    if (has("tagging")) return "GetObjectTagging";
    if (has("attributes")) return "GetObjectAttributes";
    if (has("retention")) return "GetObjectRetention";
    if (has("legal-hold")) return "GetObjectLegalHold";
    return "GetObject";
  }
  if (m == "HEAD") return "HeadObject";
  if (m == "PUT") {
    if (has("partNumber") && has("uploadId")) {
      return r.Header("x-amz-copy-source") != nullptr ? "UploadPartCopy" : "UploadPart";
    }
    if (has("acl")) return "PutObjectAcl";
    if (has("tagging")) return "PutObjectTagging";
    if (has("retention")) return "PutObjectRetention";
    if (has("legal-hold")) return "PutObjectLegalHold";
    return r.Header("x-amz-copy-source") != nullptr ? "CopyObject" : "PutObject";
  }
  if (m == "DELETE") {
    if (has("uploadId")) return "AbortMultipartUpload";
    if (has("tagging")) return "DeleteObjectTagging";
    return "DeleteObject";
  }
  if (m == "POST") {
    if (has("uploads")) return "CreateMultipartUpload";
    if (has("uploadId")) return "CompleteMultipartUpload";
    if (has("restore")) return "RestoreObject";
    if (has("select")) return "SelectObjectContent";
    return "Unknown";
  }
  return "Unknown";
}

}  // namespace

S3Target RouteRequest(const HttpRequest& request, std::string_view domain) {
  S3Target target;
  std::string_view path = request.path;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);

  bool virtual_hosted = false;
  if (!domain.empty()) {
    if (const std::string* host = request.Header("host")) {
      // "<bucket>.<domain>": compared in place, no "." + domain temporary
      // (GCC 12 -O3 reports a false -Wrestrict on it, failing Release builds).
      std::string h = HostWithoutPort(*host);
      const size_t dot = h.size() - domain.size() - 1;
      if (h.size() > domain.size() + 1 && h.ends_with(domain) && h[dot] == '.') {
        target.bucket = h.substr(0, dot);
        target.key = std::string(path);
        virtual_hosted = true;
      }
    }
  }
  if (!virtual_hosted) {
    auto slash = path.find('/');
    target.bucket = std::string(path.substr(0, slash));
    if (slash != std::string_view::npos) target.key = std::string(path.substr(slash + 1));
  }

  if (target.bucket.empty()) {
    target.api = request.method == "GET" ? "ListBuckets" : "Unknown";
  } else if (target.key.empty()) {
    target.api = BucketApi(request);
  } else {
    target.api = ObjectApi(request);
  }
  return target;
}

}  // namespace fsgate::gateway
