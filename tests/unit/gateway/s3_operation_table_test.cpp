// The S3 operation table: one row per operation, every row reachable, and the
// requests that look alike routed to the operation AWS means by them.
#include "gateway/s3_operation_table.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "gateway/s3_handlers.h"
#include "gateway/s3_router.h"
#include "http/url.h"

namespace fsgate::gateway {
namespace {

using Op = S3Operation;

http::HttpRequest Make(std::string method, std::string target, http::RequestHeaders headers = {}) {
  http::HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  http::SplitTarget(r.target, r.path, r.query);
  r.headers = std::move(headers);
  r.headers.emplace_back("host", "127.0.0.1:9000");
  return r;
}

TEST(S3OperationTableTest, EveryOperationHasExactlyOneRow) {
  std::vector<int> rows(kS3OperationCount, 0);
  for (const S3OperationRow& row : S3OperationTable()) ++rows[static_cast<size_t>(row.operation)];
  for (size_t i = 0; i < kS3OperationCount; ++i) {
    const auto op = static_cast<Op>(i);
    // kUnknown is what no row matches.
    EXPECT_EQ(rows[i], op == Op::kUnknown ? 0 : 1) << S3OperationName(op);
    if (op != Op::kUnknown) {
      ASSERT_NE(FindS3Operation(op), nullptr) << S3OperationName(op);
      EXPECT_EQ(FindS3Operation(op)->operation, op);
    }
  }
  EXPECT_EQ(FindS3Operation(Op::kUnknown), nullptr);
}

TEST(S3OperationTableTest, NamesAreDistinctAndStable) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < kS3OperationCount; ++i) {
    EXPECT_TRUE(names.insert(S3OperationName(static_cast<Op>(i))).second);
  }
  // Label values of fsgate_http_requests_total{api}: part of the interface.
  EXPECT_EQ(S3OperationName(Op::kUnknown), "Unknown");
  EXPECT_EQ(S3OperationName(Op::kUnknownSubresource), "UnknownSubresource");
  EXPECT_EQ(S3OperationName(Op::kPutObject), "PutObject");
  EXPECT_EQ(S3OperationName(Op::kListObjectsV2), "ListObjectsV2");
  EXPECT_EQ(S3OperationName(Op::kDeleteBucketLifecycle), "DeleteBucketLifecycle");
  EXPECT_EQ(S3OperationName(Op::kUploadPartCopy), "UploadPartCopy");
}

// A request built from a row's own match reaches that row: no row is
// shadowed by one before it.
TEST(S3OperationTableTest, EveryRowIsReachable) {
  for (const S3OperationRow& row : S3OperationTable()) {
    const S3Match& m = row.match;
    std::string target = m.addressed == Addressed::kService  ? "/"
                         : m.addressed == Addressed::kBucket ? "/bkt"
                                                             : "/bkt/key";
    char sep = '?';
    for (std::string_view q : m.query) {
      if (q.empty()) continue;
      target += sep + std::string(q);
      if (q == m.query[0] && !m.query_value.empty()) target += "=" + std::string(m.query_value);
      sep = '&';
    }
    if (row.operation == Op::kUnknownSubresource) target += "?abac";
    http::RequestHeaders headers;
    if (!m.header.empty()) {
      headers.emplace_back(std::string(m.header), std::string(m.header_prefix) + "; x");
    }
    auto request = Make(std::string(m.method), target, headers);
    EXPECT_EQ(RouteRequest(request, "").operation, row.operation)
        << S3OperationName(row.operation) << " from " << m.method << " " << target;
  }
}

struct Case {
  const char* method;
  const char* target;
  Op want;
  http::RequestHeaders headers = {};
};

TEST(S3OperationTableTest, RequestsThatLookAlike) {
  const http::RequestHeaders copy = {{"x-amz-copy-source", "/src/k"}};
  const http::RequestHeaders form = {{"content-type", "multipart/form-data; boundary=xyz"}};
  const Case cases[] = {
      {"POST", "/bkt?delete", Op::kDeleteObjects},
      {"POST", "/bkt?delete", Op::kDeleteObjects, form},
      {"POST", "/bkt/k?delete", Op::kUnknown},
      {"POST", "/bkt/k?uploads", Op::kCreateMultipartUpload},
      {"POST", "/bkt?uploads", Op::kUnknown},
      {"POST", "/bkt/k?uploadId=u", Op::kCompleteMultipartUpload},
      {"POST", "/bkt/k", Op::kUnknown},
      {"POST", "/bkt", Op::kUnknown},
      {"POST", "/bkt", Op::kPostObject, form},
      {"POST", "/bkt", Op::kPostObject, {{"content-type", "Multipart/Form-Data; boundary=a"}}},
      {"POST", "/bkt", Op::kUnknown, {{"content-type", "application/xml"}}},
      {"PUT", "/bkt/k", Op::kPutObject},
      {"PUT", "/bkt/k", Op::kCopyObject, copy},
      {"PUT", "/bkt/k?partNumber=2&uploadId=u", Op::kUploadPart},
      {"PUT", "/bkt/k?partNumber=2&uploadId=u", Op::kUploadPartCopy, copy},
      {"PUT", "/bkt/k?uploadId=u", Op::kPutObject},
      {"PUT", "/bkt/k?acl", Op::kPutObjectAcl, copy},
      {"PUT", "/bkt", Op::kCreateBucket},
      {"PUT", "/bkt?x-id=CreateBucket", Op::kCreateBucket},
      {"PUT", "/bkt?foo", Op::kUnknown},
      {"PUT", "/bkt?location", Op::kUnknown},
      {"GET", "/bkt?location", Op::kGetBucketLocation},
      {"DELETE", "/bkt?location", Op::kUnknown},
      {"GET", "/bkt?uploads", Op::kListMultipartUploads},
      {"GET", "/bkt?uploads&prefix=a&max-uploads=3", Op::kListMultipartUploads},
      {"GET", "/bkt/k?uploads", Op::kGetObject},
      {"GET", "/bkt/k?uploadId=u", Op::kListParts},
      {"GET", "/bkt?list-type=2", Op::kListObjectsV2},
      {"GET", "/bkt?list-type=2&prefix=a&delimiter=%2F", Op::kListObjectsV2},
      {"GET", "/bkt?list-type=1", Op::kListObjects},
      {"GET", "/bkt?list-type=2&foo", Op::kListObjectsV2},
      {"GET", "/bkt?list-type=2&abac", Op::kUnknownSubresource},
      {"GET", "/bkt?prefix=a&delete", Op::kUnknownSubresource},
      {"GET", "/bkt?bucket=b&key=k&etag=%22e%22", Op::kListObjects},
      {"GET", "/bkt?prefix=a", Op::kListObjects},
      {"GET", "/bkt?foo", Op::kListObjects},
      {"GET", "/bkt?metadataConfiguration", Op::kUnknownSubresource},
      {"GET", "/bkt/k?foo", Op::kGetObject},
      {"HEAD", "/bkt", Op::kHeadBucket},
      {"HEAD", "/bkt?acl", Op::kHeadBucket},
      {"HEAD", "/bkt/k", Op::kHeadObject},
      {"GET", "/", Op::kListBuckets},
      {"PUT", "/", Op::kUnknown},
      {"DELETE", "/bkt", Op::kDeleteBucket},
      {"DELETE", "/bkt?foo", Op::kUnknown},
      {"DELETE", "/bkt/k?uploadId=u", Op::kAbortMultipartUpload},
      {"DELETE", "/bkt/k", Op::kDeleteObject},
      {"PATCH", "/bkt/k", Op::kUnknown},
  };
  for (const Case& c : cases) {
    auto request = Make(c.method, c.target, c.headers);
    EXPECT_EQ(S3OperationName(RouteRequest(request, "").operation), S3OperationName(c.want))
        << c.method << " " << c.target;
  }
}

TEST(S3OperationTableTest, VirtualHostedAndPathStyleAreTheSameOperations) {
  const struct {
    const char* method;
    const char* path_style;
    const char* hosted;  // on photos.s3.local
    Op want;
  } cases[] = {
      {"GET", "/photos", "/", Op::kListObjects},
      {"GET", "/photos?location", "/?location", Op::kGetBucketLocation},
      {"PUT", "/photos", "/", Op::kCreateBucket},
      {"PUT", "/photos/a/b", "/a/b", Op::kPutObject},
      {"POST", "/photos?delete", "/?delete", Op::kDeleteObjects},
      {"OPTIONS", "/photos", "/", Op::kOptionsBucket},
      {"OPTIONS", "/photos/a", "/a", Op::kOptionsObject},
      {"GET", "/", "/", Op::kListBuckets},
  };
  for (const auto& c : cases) {
    auto path = Make(c.method, c.path_style);
    EXPECT_EQ(RouteRequest(path, "s3.local").operation, c.want) << c.path_style;
    auto hosted = Make(c.method, c.hosted);
    hosted.headers = {{"host", "photos.s3.local:9000"}};
    if (c.want == Op::kListBuckets) continue;  // the bucket is in the host
    const S3Target t = RouteRequest(hosted, "s3.local");
    EXPECT_EQ(t.operation, c.want) << c.hosted;
    EXPECT_EQ(t.bucket, "photos");
  }
}

TEST(S3OperationTableTest, AuthorizationAndBodyLimitsByOperation) {
  for (const S3OperationRow& row : S3OperationTable()) {
    const Op op = row.operation;
    const bool copies = op == Op::kCopyObject || op == Op::kUploadPartCopy;
    EXPECT_EQ(row.access == Access::kBucketOwnerAndCopySource, copies) << S3OperationName(op);
    const bool caller = op == Op::kListBuckets || op == Op::kCreateBucket;
    EXPECT_EQ(row.access == Access::kCaller, caller) << S3OperationName(op);
    // The CORS preflight alone checks no one: the bucket's CORS rules decide.
    const bool preflight = op == Op::kOptionsBucket || op == Op::kOptionsObject;
    EXPECT_EQ(row.access == Access::kAnyone, preflight) << S3OperationName(op);
    EXPECT_EQ(row.auth == kAuthNone, preflight) << S3OperationName(op);
    EXPECT_EQ(row.action.starts_with("s3:"), !preflight) << S3OperationName(op);
  }
  EXPECT_EQ(FindS3Operation(Op::kPutObject)->body_limit, kObjectSizeLimit);
  EXPECT_EQ(FindS3Operation(Op::kUploadPart)->body_limit, kObjectSizeLimit);
  EXPECT_EQ(FindS3Operation(Op::kUploadPartCopy)->body_limit, 0u);
  EXPECT_EQ(FindS3Operation(Op::kDeleteObjects)->body_limit, 2u << 20);
  EXPECT_EQ(FindS3Operation(Op::kCompleteMultipartUpload)->body_limit, 4u << 20);
  EXPECT_EQ(FindS3Operation(Op::kCreateBucket)->body_limit, 64u << 10);
  EXPECT_EQ(FindS3Operation(Op::kGetObject)->body_limit, 0u);
  EXPECT_EQ(FindS3Operation(Op::kPostObject)->auth, kAuthPostForm);
  EXPECT_EQ(FindS3Operation(Op::kPutObject)->auth, kAuthSigV4);
  EXPECT_EQ(FindS3Operation(Op::kPutObject)->handler, &PutObject);
  EXPECT_EQ(FindS3Operation(Op::kPutBucketCors)->handler, &PutBucketCors);
  EXPECT_EQ(FindS3Operation(Op::kPutBucketAcl)->handler, &PutBucketAcl);
  EXPECT_EQ(FindS3Operation(Op::kPutBucketLifecycleConfiguration)->handler,
            nullptr);  // NotImplemented
}

}  // namespace
}  // namespace fsgate::gateway
