#include "http/url.h"

#include <gtest/gtest.h>

namespace fsgate::http {
namespace {

TEST(UrlTest, SplitsAndDecodesPathAndQuery) {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  SplitTarget("/b/a%20b%2Bc/%C3%BC?prefix=x%2Fy+z&uploads&max-keys=5", path, query);
  EXPECT_EQ(path, "/b/a b+c/\xC3\xBC");
  ASSERT_EQ(query.size(), 3u);
  EXPECT_EQ(query[0], (std::pair<std::string, std::string>{"prefix", "x/y z"}));
  EXPECT_EQ(query[1], (std::pair<std::string, std::string>{"uploads", ""}));
  EXPECT_EQ(query[2].second, "5");
}

TEST(UrlTest, PlusIsLiteralInPathAndMalformedEscapesKept) {
  EXPECT_EQ(PercentDecode("a+b"), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("100%"), "100%");
  EXPECT_EQ(PercentDecode("%zz%4"), "%zz%4");
}

TEST(UrlTest, UriEncodeKeepsUnreserved) {
  EXPECT_EQ(UriEncode("a b/c~d+e", false), "a%20b/c~d%2Be");
  EXPECT_EQ(UriEncode("a/b", true), "a%2Fb");
}

}  // namespace
}  // namespace fsgate::http
