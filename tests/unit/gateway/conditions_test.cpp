#include <gtest/gtest.h>

#include <ctime>
#include <string>
#include <vector>

#include "gateway/conditions.h"
#include "gateway/object_headers.h"
#include "gateway/s3_time.h"

namespace fsgate::gateway {
namespace {

store::ObjectMeta Meta() {
  store::ObjectMeta m;
  m.etag = "abc";
  m.size = 100;
  m.mtime_ns = 1'700'000'000LL * 1'000'000'000LL;
  return m;
}

http::HttpRequest With(std::initializer_list<std::pair<std::string, std::string>> headers) {
  http::HttpRequest r;
  for (const auto& h : headers) r.headers.push_back(h);
  return r;
}

TEST(ConditionsTest, IfMatchAndIfNoneMatch) {
  EXPECT_EQ(EvaluateReadConditions(With({{"if-match", "\"abc\""}}), Meta()), "");
  EXPECT_EQ(EvaluateReadConditions(With({{"if-match", "\"zzz\""}}), Meta()), "PreconditionFailed");
  EXPECT_EQ(EvaluateReadConditions(With({{"if-match", "\"x\", \"abc\""}}), Meta()), "");
  EXPECT_EQ(EvaluateReadConditions(With({{"if-none-match", "\"abc\""}}), Meta()), "NotModified");
  EXPECT_EQ(EvaluateReadConditions(With({{"if-none-match", "*"}}), Meta()), "NotModified");
  EXPECT_EQ(EvaluateReadConditions(With({{"if-none-match", "\"zzz\""}}), Meta()), "");
}

TEST(ConditionsTest, Dates) {
  std::string before = FormatHttpDate(Meta().mtime_ns - 3600LL * 1'000'000'000LL);
  std::string after = FormatHttpDate(Meta().mtime_ns + 3600LL * 1'000'000'000LL);
  EXPECT_EQ(EvaluateReadConditions(With({{"if-modified-since", after}}), Meta()), "NotModified");
  EXPECT_EQ(EvaluateReadConditions(With({{"if-modified-since", before}}), Meta()), "");
  EXPECT_EQ(EvaluateReadConditions(With({{"if-unmodified-since", before}}), Meta()),
            "PreconditionFailed");
  EXPECT_EQ(EvaluateReadConditions(With({{"if-unmodified-since", after}}), Meta()), "");
  // A matching If-Match overrides a failing If-Unmodified-Since (S3's rule).
  EXPECT_EQ(
      EvaluateReadConditions(With({{"if-match", "abc"}, {"if-unmodified-since", before}}), Meta()),
      "");
}

TEST(ConditionsTest, CopySourceFailuresArePreconditionFailed) {
  EXPECT_EQ(
      EvaluateCopySourceConditions(With({{"x-amz-copy-source-if-none-match", "abc"}}), Meta()),
      "PreconditionFailed");
  EXPECT_EQ(EvaluateCopySourceConditions(With({{"x-amz-copy-source-if-match", "abc"}}), Meta()),
            "");
}

TEST(RangeTest, Forms) {
  ByteRange r;
  ASSERT_EQ(ParseRange("bytes=0-9", 100, r), RangeResult::kSatisfiable);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 9u);
  ASSERT_EQ(ParseRange("bytes=90-", 100, r), RangeResult::kSatisfiable);
  EXPECT_EQ(r.first, 90u);
  EXPECT_EQ(r.last, 99u);
  ASSERT_EQ(ParseRange("bytes=-10", 100, r), RangeResult::kSatisfiable);
  EXPECT_EQ(r.first, 90u);
  ASSERT_EQ(ParseRange("bytes=-1000", 100, r), RangeResult::kSatisfiable);
  EXPECT_EQ(r.first, 0u);
  ASSERT_EQ(ParseRange("bytes=50-1000", 100, r), RangeResult::kSatisfiable);
  EXPECT_EQ(r.last, 99u);
  EXPECT_EQ(ParseRange("bytes=100-", 100, r), RangeResult::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=0-0", 0, r), RangeResult::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=5-2", 100, r), RangeResult::kNone);
  EXPECT_EQ(ParseRange("bytes=0-1,5-6", 100, r), RangeResult::kNone);
  EXPECT_EQ(ParseRange("items=0-1", 100, r), RangeResult::kNone);
  EXPECT_EQ(ParseRange("bytes=x-1", 100, r), RangeResult::kNone);
}

TEST(ObjectHeadersTest, MetadataLimitAndRoundTrip) {
  http::HttpRequest r = With({{"content-type", "text/plain"},
                              {"cache-control", "no-cache"},
                              {"x-amz-meta-color", "Blue Sky"}});
  store::ObjectMeta meta;
  ASSERT_TRUE(MetaFromRequest(r, meta).ok());
  meta.etag = "e";
  http::Headers out;
  AppendMetaHeaders(meta, false, out);
  auto has = [&](const std::string& n, const std::string& v) {
    for (const auto& h : out) {
      if (h.first == n && h.second == v) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("Content-Type", "text/plain"));
  EXPECT_TRUE(has("Cache-Control", "no-cache"));
  EXPECT_TRUE(has("x-amz-meta-color", "Blue Sky"));
  EXPECT_TRUE(has("ETag", "\"e\""));

  http::HttpRequest big = With({{"x-amz-meta-big", std::string(2100, 'x')}});
  store::ObjectMeta m2;
  EXPECT_EQ(MetaFromRequest(big, m2).reason(), "MetadataTooLarge");
}

TEST(S3TimeTest, Formats) {
  EXPECT_EQ(FormatIso8601(1'255'369'830'123'000'000LL), "2009-10-12T17:50:30.123Z");
  EXPECT_EQ(FormatHttpDate(1'255'369'830'000'000'000LL), "Mon, 12 Oct 2009 17:50:30 GMT");
  EXPECT_EQ(ParseHttpDate("Mon, 12 Oct 2009 17:50:30 GMT"), 1'255'369'830);
  EXPECT_FALSE(ParseHttpDate("yesterday").has_value());
}

// The formats are spelt by hand: they give gmtime_r's and strftime's answer
// for times across leap years and centuries, to the end of what nanoseconds
// in 64 bits hold (2262).
TEST(S3TimeTest, HandSpeltFormatsMatchTheLibrary) {
  auto reference = [](int64_t seconds, const char* format) {
    const auto t = static_cast<time_t>(seconds);
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof buf, format, &tm);
    return std::string(buf);
  };
  std::vector<int64_t> times = {0, 59, 951782400 /* 2000-02-29 */, 4107542399 /* 2100-02-28 */,
                                9223372035 /* 2262-04-11 */};
  for (int64_t t = 0; t < 9223372036; t += 86400 * 7 + 3671) times.push_back(t);
  for (int64_t seconds : times) {
    const int64_t nanos = seconds * 1'000'000'000 + 987'654'321;
    ASSERT_EQ(FormatHttpDate(nanos), reference(seconds, "%a, %d %b %Y %H:%M:%S GMT")) << seconds;
    ASSERT_EQ(FormatIso8601(nanos), reference(seconds, "%Y-%m-%dT%H:%M:%S") + ".987Z") << seconds;
  }
}

}  // namespace
}  // namespace fsgate::gateway
