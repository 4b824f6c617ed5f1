#include "store/version_id.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "store/bucket_record.h"
#include "store/meta_record.h"

namespace fsgate::store {
namespace {

TEST(VersionIdTest, RoundTripsAndIsFixedWidthUrlSafe) {
  for (uint64_t stamp : {uint64_t{0}, uint64_t{1}, uint64_t{1795573478161509708}, UINT64_MAX}) {
    const std::string id = EncodeVersionId(stamp);
    EXPECT_EQ(id.size(), kVersionIdLength);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    EXPECT_EQ(DecodeVersionId(id), stamp);
    EXPECT_TRUE(IsValidVersionId(id));
  }
}

// Ascending name order, what a sorted directory read gives, is newest first.
TEST(VersionIdTest, NameOrderIsNewestFirst) {
  std::vector<uint64_t> stamps = {5, 1795573478161509708, 17, 1795573478161509709, 1000000};
  std::vector<std::string> names;
  for (uint64_t s : stamps) names.push_back(EncodeVersionName({s, false, false}));
  names.push_back(EncodeVersionName({300, true, false}));
  names.push_back(EncodeVersionName({200, false, true}));
  std::sort(names.begin(), names.end());
  std::vector<uint64_t> order;
  for (const std::string& n : names) order.push_back(DecodeVersionName(n)->stamp);
  EXPECT_TRUE(std::is_sorted(order.rbegin(), order.rend()));
}

TEST(VersionIdTest, EntryNamesCarryNullAndMarker) {
  for (bool null : {false, true}) {
    for (bool marker : {false, true}) {
      VersionName name{1234567, null, marker};
      auto back = DecodeVersionName(EncodeVersionName(name));
      ASSERT_TRUE(back.has_value());
      EXPECT_EQ(back->stamp, 1234567u);
      EXPECT_EQ(back->null, null);
      EXPECT_EQ(back->delete_marker, marker);
      EXPECT_EQ(back->S3Id(), null ? "null" : EncodeVersionId(1234567));
    }
  }
}

TEST(VersionIdTest, RefusesMalformedIds) {
  for (const char* bad : {"", "nul", "NULL", "0123456789abcde", "0123456789abcdef0",
                          "0123456789ABCDEF", "0123456789abcdeg", "../../etc/passwd"}) {
    EXPECT_FALSE(DecodeVersionId(bad).has_value()) << bad;
    EXPECT_FALSE(DecodeVersionName(bad).has_value()) << bad;
  }
  EXPECT_TRUE(IsValidVersionId("null"));
  EXPECT_FALSE(IsValidVersionId("0123456789abcdef~null"));
  EXPECT_FALSE(DecodeVersionName("0123456789abcdef~marker~null").has_value());
}

// Strictly increasing, and past the key's newest version even when the wall
// clock is behind it.
TEST(VersionIdTest, ClockIsStrictlyIncreasingAndPastTheLatest) {
  VersionClock clock;
  uint64_t last = 0;
  for (int i = 0; i < 1000; ++i) {
    uint64_t next = clock.Next(0);
    EXPECT_GT(next, last);
    last = next;
  }
  EXPECT_EQ(clock.Next(UINT64_MAX - 5), UINT64_MAX - 5);
  EXPECT_EQ(clock.Next(0), UINT64_MAX - 4);
}

// A version id needs record format 5; a null version stays in the lowest format.
TEST(VersionIdTest, MetaRecordKeepsTheVersionIdInFormat5Only) {
  ObjectMeta m;
  m.etag = "0123456789abcdef0123456789abcdef";
  m.version_id = EncodeVersionId(42);
  std::string v5 = EncodeMetaRecord(m, false);
  EXPECT_EQ(v5[0], 5);
  auto r = DecodeMetaRecord(v5);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->meta.version_id, m.version_id);
  m.version_id = "null";
  EXPECT_EQ(EncodeMetaRecord(m, false)[0], 2);
  EXPECT_TRUE(DecodeMetaRecord(EncodeMetaRecord(m, false))->meta.version_id.empty());
}

// Versioning makes the bucket record format 2: an older binary refuses the
// bucket rather than overwrite its versions.
TEST(VersionIdTest, BucketRecordKeepsTheVersioningState) {
  BucketRecord record;
  record.created_ns = 7;
  EXPECT_NE(EncodeBucketRecord(record).find(R"("v":1)"), std::string::npos);
  record.attributes.versioning = "Suspended";
  const std::string text = EncodeBucketRecord(record);
  EXPECT_NE(text.find(R"("v":2)"), std::string::npos);
  auto back = DecodeBucketRecord(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->attributes.versioning, "Suspended");
}

}  // namespace
}  // namespace fsgate::store
