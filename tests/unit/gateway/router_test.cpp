#include <gtest/gtest.h>

#include "gateway/s3_router.h"
#include "http/url.h"

namespace fsgate::gateway {
namespace {

http::HttpRequest Make(std::string method, std::string target,
                       std::string host = "127.0.0.1:9000") {
  http::HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  http::SplitTarget(r.target, r.path, r.query);
  r.headers.emplace_back("host", std::move(host));
  return r;
}

// The operation's name, as metrics and the access log show it.
std::string_view Api(const http::HttpRequest& request, std::string_view domain) {
  return S3OperationName(RouteRequest(request, domain).operation);
}

TEST(RouterTest, PathStyleOperations) {
  EXPECT_EQ(Api(Make("GET", "/"), ""), "ListBuckets");
  EXPECT_EQ(Api(Make("PUT", "/bkt"), ""), "CreateBucket");
  EXPECT_EQ(Api(Make("GET", "/bkt?list-type=2"), ""), "ListObjectsV2");
  EXPECT_EQ(Api(Make("GET", "/bkt"), ""), "ListObjects");
  EXPECT_EQ(Api(Make("GET", "/bkt?versions"), ""), "ListObjectVersions");
  EXPECT_EQ(Api(Make("POST", "/bkt?delete"), ""), "DeleteObjects");
  EXPECT_EQ(Api(Make("POST", "/bkt/k?uploads"), ""), "CreateMultipartUpload");
  EXPECT_EQ(Api(Make("PUT", "/bkt/k?partNumber=1&uploadId=x"), ""), "UploadPart");
  EXPECT_EQ(Api(Make("POST", "/bkt/k?uploadId=x"), ""), "CompleteMultipartUpload");
  EXPECT_EQ(Api(Make("DELETE", "/bkt/k?uploadId=x"), ""), "AbortMultipartUpload");
  EXPECT_EQ(Api(Make("GET", "/bkt/k?uploadId=x"), ""), "ListParts");
  auto copy = Make("PUT", "/bkt/k");
  copy.headers.emplace_back("x-amz-copy-source", "/src/k");
  EXPECT_EQ(Api(copy, ""), "CopyObject");
  auto target = RouteRequest(Make("GET", "/bkt/dir/sub/"), "");
  EXPECT_EQ(target.bucket, "bkt");
  EXPECT_EQ(target.key, "dir/sub/");
  EXPECT_EQ(target.operation, S3Operation::kGetObject);
}

TEST(RouterTest, VirtualHostedStyle) {
  auto t = RouteRequest(Make("GET", "/a/b.txt", "photos.s3.local:9000"), "s3.local");
  EXPECT_EQ(t.bucket, "photos");
  EXPECT_EQ(t.key, "a/b.txt");
  EXPECT_EQ(t.operation, S3Operation::kGetObject);
  // The bare domain is path style.
  auto p = RouteRequest(Make("GET", "/photos/x", "s3.local:9000"), "s3.local");
  EXPECT_EQ(p.bucket, "photos");
  EXPECT_EQ(p.key, "x");
  // A host that merely ends with the domain's text is not a subdomain of it.
  auto q = RouteRequest(Make("GET", "/photos/x", "evils3.local"), "s3.local");
  EXPECT_EQ(q.bucket, "photos");
  EXPECT_EQ(q.key, "x");
}

TEST(RouterTest, BucketSubresourcesByMethod) {
  EXPECT_EQ(Api(Make("GET", "/bkt?policyStatus"), ""), "GetBucketPolicyStatus");
  EXPECT_EQ(Api(Make("GET", "/bkt?publicAccessBlock"), ""), "GetPublicAccessBlock");
  EXPECT_EQ(Api(Make("PUT", "/bkt?publicAccessBlock"), ""), "PutPublicAccessBlock");
  EXPECT_EQ(Api(Make("DELETE", "/bkt?publicAccessBlock"), ""), "DeletePublicAccessBlock");
  EXPECT_EQ(Api(Make("GET", "/bkt?analytics&id=x"), ""), "GetBucketAnalyticsConfiguration");
  EXPECT_EQ(Api(Make("GET", "/bkt?uploads&key-marker=a&max-uploads=5"), ""),
            "ListMultipartUploads");
  EXPECT_EQ(Api(Make("GET", "/bkt?versions&prefix=a&version-id-marker=v"), ""),
            "ListObjectVersions");
  EXPECT_EQ(Api(Make("PUT", "/bkt?versioning"), ""), "PutBucketVersioning");
  EXPECT_EQ(Api(Make("DELETE", "/bkt?cors"), ""), "DeleteBucketCors");
  // A sub-resource without an operation for the method.
  EXPECT_EQ(Api(Make("DELETE", "/bkt?location"), ""), "Unknown");
  EXPECT_EQ(Api(Make("PUT", "/bkt?policyStatus"), ""), "Unknown");
  EXPECT_EQ(Api(Make("GET", "/bkt/k?torrent"), ""), "GetObjectTorrent");
}

TEST(RouterTest, UnservedBucketSubresourceIsNotAListing) {
  for (const char* target : {"/bkt?abac", "/bkt?metadataConfiguration=1", "/bkt?prefix=a&delete",
                             "/bkt?list-type=2&session"}) {
    auto request = Make("GET", target);
    EXPECT_EQ(RouteRequest(request, "").operation, S3Operation::kUnknownSubresource) << target;
  }
  EXPECT_EQ(UnknownBucketParameter(Make("GET", "/bkt?prefix=a&foo=1&abac&bar")), "abac");
  // PUT and DELETE of a bucket take no parameters.
  EXPECT_EQ(Api(Make("PUT", "/bkt?foo"), ""), "Unknown");
  EXPECT_EQ(Api(Make("DELETE", "/bkt?foo"), ""), "Unknown");
}

TEST(RouterTest, AListingIgnoresParametersS3GivesNoMeaning) {
  // As AWS: a form's success_action_redirect back to its bucket, a cache buster.
  for (const char* target : {"/bkt?foo", "/bkt?foo=bar", "/bkt?prefix=a&foo",
                             "/bkt?bucket=b&key=k&etag=%22e%22", "/bkt?_=1700000000"}) {
    auto request = Make("GET", target);
    EXPECT_EQ(RouteRequest(request, "").operation, S3Operation::kListObjects) << target;
  }
  auto v2 = Make("GET", "/bkt?list-type=2&x");
  EXPECT_EQ(RouteRequest(v2, "").operation, S3Operation::kListObjectsV2);
}

TEST(RouterTest, ListingAndRequestParametersStillRoute) {
  EXPECT_EQ(Api(Make("GET",
                     "/bkt?list-type=2&prefix=a%2F&delimiter=%2F&max-keys=5"
                     "&continuation-token=t&start-after=a&fetch-owner=true"
                     "&encoding-type=url&x-id=ListObjectsV2"),
                ""),
            "ListObjectsV2");
  EXPECT_EQ(Api(Make("GET", "/bkt?marker=m&prefix=p&delimiter=d&max-keys=1"), ""), "ListObjects");
  const char* presigned =
      "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20240101%2Fus-east-1%2Fs3%2F"
      "aws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host"
      "&X-Amz-Signature=00&X-Amz-Security-Token=t";
  EXPECT_EQ(Api(Make("GET", std::string("/bkt") + presigned), ""), "ListObjects");
  EXPECT_EQ(Api(Make("PUT", std::string("/bkt") + presigned), ""), "CreateBucket");
  EXPECT_EQ(Api(Make("DELETE", std::string("/bkt") + presigned), ""), "DeleteBucket");
  // Object GETs keep ignoring parameters that are not sub-resources.
  EXPECT_EQ(Api(Make("GET",
                     "/bkt/k?response-content-type=a&versionId=v&partNumber=1"
                     "&x-id=GetObject&foo"),
                ""),
            "GetObject");
}

}  // namespace
}  // namespace fsgate::gateway
