#include "gateway/object_tags.h"

#include <gtest/gtest.h>

#include "gateway/xml_bodies.h"

namespace fsgate::gateway {
namespace {

std::string ReasonOf(const Status& s) { return s.ok() ? "" : s.reason(); }

TEST(ObjectTags, HeaderIsUrlEncodedPairsSortedByKey) {
  auto tags = ParseTaggingHeader("b=2&a=1&c+d=e%2Bf&plain&&x%3Ay=");
  ASSERT_TRUE(tags.ok()) << tags.status().message();
  EXPECT_EQ(*tags, (store::HeaderList{
                       {"a", "1"}, {"b", "2"}, {"c d", "e+f"}, {"plain", ""}, {"x:y", ""}}));
  EXPECT_TRUE(ParseTaggingHeader("")->empty());
}

TEST(ObjectTags, HeaderRefusesDuplicatesAndExtraEqualsAsAws) {
  EXPECT_EQ(ReasonOf(ParseTaggingHeader("a=1&a=2").status()), "InvalidArgument");
  EXPECT_EQ(ReasonOf(ParseTaggingHeader("a%20b=1&a+b=2").status()), "InvalidArgument");
  EXPECT_EQ(ReasonOf(ParseTaggingHeader("TagSet=[{Key=k,Value=v}]").status()), "InvalidArgument");
  EXPECT_EQ(ReasonOf(ParseTaggingHeader("k%5B=v").status()), "InvalidTag");
}

TEST(ObjectTags, LimitsCountUtf16Units) {
  EXPECT_TRUE(ValidateTags({{std::string(128, 'k'), std::string(256, 'v')}}, 10).ok());
  EXPECT_EQ(ReasonOf(ValidateTags({{std::string(129, 'k'), "v"}}, 10)), "InvalidTag");
  EXPECT_EQ(ReasonOf(ValidateTags({{"k", std::string(257, 'v')}}, 10)), "InvalidTag");
  std::string smileys;  // U+1F600 takes two UTF-16 units
  for (int i = 0; i < 64; ++i) smileys += "\xF0\x9F\x98\x80";
  EXPECT_TRUE(ValidateTags({{smileys, "v"}}, 10).ok());
  Status over = ValidateTags({{smileys + "k", "v"}}, 10);
  EXPECT_EQ(over.message(), "The TagKey you have provided is too long, max 128");
  std::string accents;  // U+00E9 takes one
  for (int i = 0; i < 256; ++i) accents += "\xC3\xA9";
  EXPECT_TRUE(ValidateTags({{"k", accents}}, 10).ok());
}

TEST(ObjectTags, CountKeysCharactersAndPrefix) {
  store::HeaderList ten;
  for (int i = 0; i < 10; ++i) ten.emplace_back("k" + std::to_string(i), "");
  EXPECT_TRUE(ValidateTags(ten, kMaxObjectTags).ok());
  ten.emplace_back("k10", "");
  Status eleven = ValidateTags(ten, kMaxObjectTags);
  EXPECT_EQ(ReasonOf(eleven), "BadRequest");
  EXPECT_EQ(eleven.message(), "Object tags cannot be greater than 10");
  EXPECT_TRUE(ValidateTags(ten, kMaxBucketTags).ok());
  EXPECT_EQ(ValidateTags({{"a", "1"}, {"a", "2"}}, 10).message(),
            "Cannot provide multiple Tags with the same key");
  EXPECT_EQ(ValidateTags({{"", "v"}}, 10).message(), "The TagKey you have provided is invalid");
  EXPECT_EQ(ValidateTags({{"k*", "v"}}, 10).message(), "The TagKey you have provided is invalid");
  EXPECT_EQ(ValidateTags({{"k", "tab\tv"}}, 10).message(),
            "The TagValue you have provided is invalid");
  EXPECT_EQ(ValidateTags({{"k", "\xff"}}, 10).message(),
            "The TagValue you have provided is invalid");
  EXPECT_EQ(ValidateTags({{"aws:x", "v"}}, 10).message(),
            "Your TagKey cannot be prefixed with aws:");
  EXPECT_TRUE(ValidateTags({{"Az09 _.:/=+-@", "Az09 _.:/=+-@"}}, 10).ok());
}

TEST(ObjectTags, TaggingDocument) {
  auto tags = ParseTagging(
      "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>"
      "<Tag><Key>b</Key><Value>2</Value></Tag><Tag><Key>a</Key><Value></Value></Tag>"
      "</TagSet></Tagging>");
  ASSERT_TRUE(tags);
  EXPECT_EQ(*tags, (store::HeaderList{{"b", "2"}, {"a", ""}}));
  EXPECT_TRUE(ParseTagging("<Tagging><TagSet/></Tagging>")->empty());
  EXPECT_FALSE(ParseTagging("<Tagging/>"));
  EXPECT_FALSE(ParseTagging("<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>"));
  EXPECT_FALSE(ParseTagging("<Tagging><TagSet><Tag><Value>a</Value></Tag></TagSet></Tagging>"));
  EXPECT_FALSE(ParseTagging("<Tags><TagSet/></Tags>"));
}

}  // namespace
}  // namespace fsgate::gateway
