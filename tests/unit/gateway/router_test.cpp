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

TEST(RouterTest, PathStyleOperations) {
  EXPECT_EQ(RouteRequest(Make("GET", "/"), "").api, "ListBuckets");
  EXPECT_EQ(RouteRequest(Make("PUT", "/bkt"), "").api, "CreateBucket");
  EXPECT_EQ(RouteRequest(Make("GET", "/bkt?list-type=2"), "").api, "ListObjectsV2");
  EXPECT_EQ(RouteRequest(Make("GET", "/bkt"), "").api, "ListObjects");
  EXPECT_EQ(RouteRequest(Make("GET", "/bkt?versions"), "").api, "ListObjectVersions");
  EXPECT_EQ(RouteRequest(Make("POST", "/bkt?delete"), "").api, "DeleteObjects");
  EXPECT_EQ(RouteRequest(Make("POST", "/bkt/k?uploads"), "").api, "CreateMultipartUpload");
  EXPECT_EQ(RouteRequest(Make("PUT", "/bkt/k?partNumber=1&uploadId=x"), "").api, "UploadPart");
  EXPECT_EQ(RouteRequest(Make("POST", "/bkt/k?uploadId=x"), "").api, "CompleteMultipartUpload");
  EXPECT_EQ(RouteRequest(Make("DELETE", "/bkt/k?uploadId=x"), "").api, "AbortMultipartUpload");
  EXPECT_EQ(RouteRequest(Make("GET", "/bkt/k?uploadId=x"), "").api, "ListParts");
  auto copy = Make("PUT", "/bkt/k");
  copy.headers.emplace_back("x-amz-copy-source", "/src/k");
  EXPECT_EQ(RouteRequest(copy, "").api, "CopyObject");
  auto target = RouteRequest(Make("GET", "/bkt/dir/sub/"), "");
  EXPECT_EQ(target.bucket, "bkt");
  EXPECT_EQ(target.key, "dir/sub/");
  EXPECT_EQ(target.api, "GetObject");
}

TEST(RouterTest, VirtualHostedStyle) {
  auto t = RouteRequest(Make("GET", "/a/b.txt", "photos.s3.local:9000"), "s3.local");
  EXPECT_EQ(t.bucket, "photos");
  EXPECT_EQ(t.key, "a/b.txt");
  EXPECT_EQ(t.api, "GetObject");
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
  EXPECT_EQ(RouteRequest(Make("GET", "/bkt?policyStatus"), "").api, "GetBucketPolicyStatus");
  EXPECT_EQ(RouteRequest(Make("GET", "/bkt?publicAccessBlock"), "").api, "GetPublicAccessBlock");
  EXPECT_EQ(RouteRequest(Make("PUT", "/bkt?publicAccessBlock"), "").api, "PutPublicAccessBlock");
  EXPECT_EQ(RouteRequest(Make("DELETE", "/bkt?publicAccessBlock"), "").api,
            "DeletePublicAccessBlock");
  EXPECT_EQ(RouteRequest(Make("GET", "/bkt?analytics&id=x"), "").api,
            "GetBucketAnalyticsConfiguration");
  EXPECT_EQ(RouteRequest(Make("GET", "/bkt?uploads&key-marker=a&max-uploads=5"), "").api,
            "ListMultipartUploads");
  EXPECT_EQ(RouteRequest(Make("GET", "/bkt?versions&prefix=a&version-id-marker=v"), "").api,
            "ListObjectVersions");
  EXPECT_EQ(RouteRequest(Make("PUT", "/bkt?versioning"), "").api, "PutBucketVersioning");
  EXPECT_EQ(RouteRequest(Make("DELETE", "/bkt?cors"), "").api, "DeleteBucketCors");
  // A sub-resource without an operation for the method.
  EXPECT_EQ(RouteRequest(Make("DELETE", "/bkt?location"), "").api, "Unknown");
  EXPECT_EQ(RouteRequest(Make("PUT", "/bkt?policyStatus"), "").api, "Unknown");
  EXPECT_EQ(RouteRequest(Make("GET", "/bkt/k?torrent"), "").api, "GetObjectTorrent");
}

TEST(RouterTest, UnknownBucketSubresourceIsNotAListing) {
  for (const char* target :
       {"/bkt?foo", "/bkt?foo=bar", "/bkt?prefix=a&foo", "/bkt?list-type=2&x"}) {
    auto request = Make("GET", target);
    EXPECT_EQ(RouteRequest(request, "").api, kUnknownSubresourceApi) << target;
  }
  EXPECT_EQ(UnknownBucketParameter(Make("GET", "/bkt?prefix=a&foo=1&bar")), "foo");
  // PUT and DELETE of a bucket take no parameters.
  EXPECT_EQ(RouteRequest(Make("PUT", "/bkt?foo"), "").api, "Unknown");
  EXPECT_EQ(RouteRequest(Make("DELETE", "/bkt?foo"), "").api, "Unknown");
}

TEST(RouterTest, ListingAndRequestParametersStillRoute) {
  EXPECT_EQ(RouteRequest(Make("GET",
                              "/bkt?list-type=2&prefix=a%2F&delimiter=%2F&max-keys=5"
                              "&continuation-token=t&start-after=a&fetch-owner=true"
                              "&encoding-type=url&x-id=ListObjectsV2"),
                         "")
                .api,
            "ListObjectsV2");
  EXPECT_EQ(RouteRequest(Make("GET", "/bkt?marker=m&prefix=p&delimiter=d&max-keys=1"), "").api,
            "ListObjects");
  const char* presigned =
      "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20240101%2Fus-east-1%2Fs3%2F"
      "aws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host"
      "&X-Amz-Signature=00&X-Amz-Security-Token=t";
  EXPECT_EQ(RouteRequest(Make("GET", std::string("/bkt") + presigned), "").api, "ListObjects");
  EXPECT_EQ(RouteRequest(Make("PUT", std::string("/bkt") + presigned), "").api, "CreateBucket");
  EXPECT_EQ(RouteRequest(Make("DELETE", std::string("/bkt") + presigned), "").api, "DeleteBucket");
  // Object GETs keep ignoring parameters that are not sub-resources.
  EXPECT_EQ(RouteRequest(Make("GET",
                              "/bkt/k?response-content-type=a&versionId=v&partNumber=1"
                              "&x-id=GetObject&foo"),
                         "")
                .api,
            "GetObject");
}

}  // namespace
}  // namespace fsgate::gateway
