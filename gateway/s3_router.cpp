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

// A bucket sub-resource ("?cors") and the S3 operation each method makes of
// it; empty where the method has none (MethodNotAllowed). Operations without
// a handler are answered NotImplemented, never as another API.
struct BucketSubresource {
  std::string_view name, get, put, del;
};
constexpr BucketSubresource kBucketSubresources[] = {
    {"accelerate", "GetBucketAccelerateConfiguration", "PutBucketAccelerateConfiguration", ""},
    {"acl", "GetBucketAcl", "PutBucketAcl", ""},
    {"analytics", "GetBucketAnalyticsConfiguration", "PutBucketAnalyticsConfiguration",
     "DeleteBucketAnalyticsConfiguration"},
    {"cors", "GetBucketCors", "PutBucketCors", "DeleteBucketCors"},
    {"encryption", "GetBucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption"},
    {"intelligent-tiering", "GetBucketIntelligentTieringConfiguration",
     "PutBucketIntelligentTieringConfiguration", "DeleteBucketIntelligentTieringConfiguration"},
    {"inventory", "GetBucketInventoryConfiguration", "PutBucketInventoryConfiguration",
     "DeleteBucketInventoryConfiguration"},
    {"lifecycle", "GetBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration",
     "DeleteBucketLifecycle"},
    {"location", "GetBucketLocation", "", ""},
    {"logging", "GetBucketLogging", "PutBucketLogging", ""},
    {"metadataTable", "GetBucketMetadataTableConfiguration", "",
     "DeleteBucketMetadataTableConfiguration"},
    {"metrics", "GetBucketMetricsConfiguration", "PutBucketMetricsConfiguration",
     "DeleteBucketMetricsConfiguration"},
    {"notification", "GetBucketNotificationConfiguration", "PutBucketNotificationConfiguration",
     ""},
    {"object-lock", "GetObjectLockConfiguration", "PutObjectLockConfiguration", ""},
    {"ownershipControls", "GetBucketOwnershipControls", "PutBucketOwnershipControls",
     "DeleteBucketOwnershipControls"},
    {"policy", "GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"},
    {"policyStatus", "GetBucketPolicyStatus", "", ""},
    {"publicAccessBlock", "GetPublicAccessBlock", "PutPublicAccessBlock",
     "DeletePublicAccessBlock"},
    {"replication", "GetBucketReplication", "PutBucketReplication", "DeleteBucketReplication"},
    {"requestPayment", "GetBucketRequestPayment", "PutBucketRequestPayment", ""},
    {"tagging", "GetBucketTagging", "PutBucketTagging", "DeleteBucketTagging"},
    {"uploads", "ListMultipartUploads", "", ""},
    {"versioning", "GetBucketVersioning", "PutBucketVersioning", ""},
    {"versions", "ListObjectVersions", "", ""},
    {"website", "GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite"},
};

// Parameters of the listings (ListObjects, ListObjectsV2, and the options of
// ListObjectVersions and ListMultipartUploads), not sub-resources.
constexpr std::string_view kListParameters[] = {
    "continuation-token", "delimiter",        "encoding-type",     "fetch-owner", "key-marker",
    "list-type",          "marker",           "max-keys",          "max-uploads", "prefix",
    "start-after",        "upload-id-marker", "version-id-marker",
};

const BucketSubresource* FindBucketSubresource(const http::HttpRequest& r) {
  for (const auto& [name, value] : r.query) {
    for (const auto& sub : kBucketSubresources) {
      if (sub.name == name) return &sub;
    }
  }
  return nullptr;
}

// Query parameters any request may carry: presigned-URL authentication
// (X-Amz-*) and the x-id=<Operation> the AWS SDKs append.
bool IsRequestParameter(std::string_view name) {
  return name == "x-id" || name.starts_with("X-Amz-") || name.starts_with("x-amz-");
}

bool IsListParameter(std::string_view name) {
  for (std::string_view p : kListParameters) {
    if (p == name) return true;
  }
  return false;
}

// The first query parameter of a bucket request (without a known
// sub-resource) that is not one its own operation takes: a sub-resource fsgate
// does not know ("?foo"). Answering it as a listing would be another API's
// answer. Empty when there is none.
std::string_view FirstUnknownParameter(const http::HttpRequest& r) {
  const bool listing = r.method == "GET";
  for (const auto& [name, value] : r.query) {
    if (!IsRequestParameter(name) && !(listing && IsListParameter(name))) return name;
  }
  return {};
}

std::string BucketApi(const http::HttpRequest& r) {
  const std::string& m = r.method;
  if (m == "HEAD") return "HeadBucket";
  if (m == "POST") return r.HasQuery("delete") ? "DeleteObjects" : "Unknown";
  if (const BucketSubresource* sub = FindBucketSubresource(r)) {
    std::string_view api = m == "GET"      ? sub->get
                           : m == "PUT"    ? sub->put
                           : m == "DELETE" ? sub->del
                                           : "";
    return api.empty() ? "Unknown" : std::string(api);
  }
  if (m != "GET" && m != "PUT" && m != "DELETE") return "Unknown";
  if (!FirstUnknownParameter(r).empty()) {
    // No PUT or DELETE of a bucket takes parameters: MethodNotAllowed there.
    return m == "GET" ? std::string(kUnknownSubresourceApi) : "Unknown";
  }
  if (m == "PUT") return "CreateBucket";
  if (m == "DELETE") return "DeleteBucket";
  const std::string* list_type = r.Query("list-type");
  return list_type != nullptr && *list_type == "2" ? "ListObjectsV2" : "ListObjects";
}

std::string ObjectApi(const http::HttpRequest& r) {
  const std::string& m = r.method;
  auto has = [&](std::string_view q) { return r.HasQuery(q); };
  if (m == "GET") {
    if (has("uploadId")) return "ListParts";
    if (has("acl")) return "GetObjectAcl";
    if (has("tagging")) return "GetObjectTagging";
    if (has("attributes")) return "GetObjectAttributes";
    if (has("retention")) return "GetObjectRetention";
    if (has("legal-hold")) return "GetObjectLegalHold";
    if (has("torrent")) return "GetObjectTorrent";
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

std::string_view UnknownBucketParameter(const http::HttpRequest& request) {
  return FirstUnknownParameter(request);
}

S3Target RouteRequest(const http::HttpRequest& request, std::string_view domain) {
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
