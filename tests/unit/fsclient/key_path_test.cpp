#include "fsclient/key_path.h"
#include "base/utf8.h"

#include <gtest/gtest.h>

namespace fsgate::fsclient {
namespace {

TEST(KeyPath, ValidKeys) {
  for (const char* key : {"a", "a/b/c.txt", "dir/", "a.b", "..a", "a..", "photos/ja", "日本/語",
                          "with space/and+plus", ".hidden", "a/.fsgate"}) {
    EXPECT_TRUE(ValidateKey(key).ok()) << key << ": " << ValidateKey(key).message();
  }
}

TEST(KeyPath, RejectsKeysATreeCannotHold) {
  struct Case {
    std::string key;
    std::string_view code;
  };
  const Case cases[] = {
      {"", s3err::kInvalidArgument},          {"/", s3err::kInvalidArgument},
      {"/a", s3err::kInvalidArgument},        {"a//b", s3err::kInvalidArgument},
      {"a//", s3err::kInvalidArgument},       {".", s3err::kInvalidArgument},
      {"..", s3err::kInvalidArgument},        {"../etc/passwd", s3err::kInvalidArgument},
      {"a/../../b", s3err::kInvalidArgument}, {"a/./b", s3err::kInvalidArgument},
      {"a/..", s3err::kInvalidArgument},      {"../", s3err::kInvalidArgument},
      {".fsgate", s3err::kInvalidArgument},   {".fsgate/format", s3err::kInvalidArgument},
      {".fsgate/", s3err::kInvalidArgument},  {std::string("a\0b", 3), s3err::kInvalidArgument},
      {"\xff\xfe", s3err::kInvalidArgument},  {"\xc0\xaf", s3err::kInvalidArgument},
  };
  for (const auto& c : cases) {
    Status s = ValidateKey(c.key);
    EXPECT_TRUE(s.Is(c.code)) << "'" << c.key << "' gave '" << s.code() << "'";
    EXPECT_FALSE(s.message().empty());
  }
}

TEST(KeyPath, LengthLimits) {
  EXPECT_TRUE(ValidateKey(std::string(255, 'x')).ok());
  Status component = ValidateKey("a/" + std::string(256, 'x'));
  EXPECT_TRUE(component.Is(s3err::kKeyTooLong));
  EXPECT_NE(component.message().find("component"), std::string::npos);
  std::string long_key;
  while (long_key.size() < 1030) long_key += "abcdefghi/";
  long_key.resize(1024);
  if (long_key.back() == '/') long_key.back() = 'z';
  EXPECT_TRUE(ValidateKey(long_key).ok()) << ValidateKey(long_key).message();
  EXPECT_TRUE(ValidateKey(long_key + "z").Is(s3err::kKeyTooLong));
}

TEST(KeyPath, ObjectPath) {
  EXPECT_EQ(ObjectPath("b", "a/b/c"), "b/a/b/c");
  EXPECT_EQ(ObjectPath("b", "dir/"), "b/dir");
  EXPECT_EQ(ObjectPath("b", "x/y/"), "b/x/y");
  EXPECT_TRUE(IsDirectoryKey("x/"));
  EXPECT_FALSE(IsDirectoryKey("x"));
}

TEST(BucketName, Rules) {
  for (const std::string& ok : std::vector<std::string>{
           "abc", "my-bucket", "my.bucket.1", "a1b", "123", std::string(63, 'a'), "sthree",
           "xn-abc", "abc-s3", "amzn-s3", "my.mrap.b", "abc-x-s3"}) {
    EXPECT_TRUE(ValidateBucketName(ok).ok()) << ok;
  }
  for (const std::string& bad : std::vector<std::string>{"ab",
                                                         std::string(64, 'a'),
                                                         std::string("Abc"),
                                                         std::string("ab_c"),
                                                         std::string("-abc"),
                                                         std::string("abc-"),
                                                         std::string(".abc"),
                                                         std::string("a..b"),
                                                         std::string("192.168.1.1"),
                                                         std::string("xn--abc"),
                                                         std::string("abc-s3alias"),
                                                         std::string("sthree-abc"),
                                                         std::string("sthree-configurator"),
                                                         std::string("amzn-s3-demo-bucket"),
                                                         std::string("abc--ol-s3"),
                                                         std::string("abc.mrap"),
                                                         std::string("abc--x-s3"),
                                                         std::string("abc--table-s3"),
                                                         std::string(".fsgate"),
                                                         std::string("a b c"),
                                                         std::string("abc/def"),
                                                         std::string("..."),
                                                         std::string("")}) {
    Status s = ValidateBucketName(bad);
    EXPECT_TRUE(s.Is(s3err::kInvalidBucketName)) << "'" << bad << "'";
  }
}

TEST(Utf8, Validation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
}

}  // namespace
}  // namespace fsgate::fsclient
