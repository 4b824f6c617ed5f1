// Object Lock: the rules that decide whether a version may be removed or its
// retention changed, the bucket configuration as stored, the record fields
// that carry a version's lock, and the bucket states the store refuses.
#include "store/object_lock.h"

#include <gtest/gtest.h>

#include "store/meta_record.h"
#include "store/s3_errors.h"
#include "store_test_util.h"

namespace fsgate::store {
namespace {

constexpr int64_t kNow = 1'800'000'000;

ObjectLock Retained(std::string_view mode, int64_t until_s) {
  return {.mode = std::string(mode), .until_s = until_s};
}

TEST(ObjectLockRules, AnUnlockedOrExpiredVersionMayBeRemoved) {
  EXPECT_TRUE(MayRemoveVersion({}, kNow, false).ok());
  EXPECT_TRUE(MayRemoveVersion(Retained(kCompliance, kNow), kNow, false).ok());
  EXPECT_TRUE(MayRemoveVersion(Retained(kGovernance, kNow - 1), kNow, false).ok());
}

TEST(ObjectLockRules, RetentionKeepsAVersionUntilItsDate) {
  const Status compliance = MayRemoveVersion(Retained(kCompliance, kNow + 1), kNow, true);
  EXPECT_TRUE(compliance.Is(s3err::kAccessDenied));  // the bypass is for GOVERNANCE only
  EXPECT_TRUE(
      MayRemoveVersion(Retained(kGovernance, kNow + 1), kNow, false).Is(s3err::kAccessDenied));
  EXPECT_TRUE(MayRemoveVersion(Retained(kGovernance, kNow + 1), kNow, true).ok());
}

TEST(ObjectLockRules, ALegalHoldKeepsAVersionWhateverItsRetention) {
  ObjectLock held;
  held.legal_hold = true;
  EXPECT_TRUE(MayRemoveVersion(held, kNow, true).Is(s3err::kAccessDenied));
  held = Retained(kGovernance, kNow - 10);
  held.legal_hold = true;
  EXPECT_TRUE(MayRemoveVersion(held, kNow, true).Is(s3err::kAccessDenied));
}

TEST(ObjectLockRules, ComplianceMayOnlyBeLengthened) {
  const ObjectLock lock = Retained(kCompliance, kNow + 100);
  EXPECT_TRUE(MayChangeRetention(lock, kCompliance, kNow + 100, kNow, false).ok());
  EXPECT_TRUE(MayChangeRetention(lock, kCompliance, kNow + 200, kNow, false).ok());
  for (bool bypass : {false, true}) {
    EXPECT_TRUE(
        MayChangeRetention(lock, kCompliance, kNow + 99, kNow, bypass).Is(s3err::kAccessDenied));
    EXPECT_TRUE(
        MayChangeRetention(lock, kGovernance, kNow + 200, kNow, bypass).Is(s3err::kAccessDenied));
    EXPECT_TRUE(MayChangeRetention(lock, "", 0, kNow, bypass).Is(s3err::kAccessDenied));
  }
  // Once its date has passed, it is no lock at all.
  EXPECT_TRUE(MayChangeRetention(lock, kGovernance, kNow + 300, kNow + 100, false).ok());
}

TEST(ObjectLockRules, GovernanceShortenedRemovedOrHardenedNeedsTheBypass) {
  const ObjectLock lock = Retained(kGovernance, kNow + 100);
  EXPECT_TRUE(MayChangeRetention(lock, kGovernance, kNow + 200, kNow, false).ok());
  EXPECT_TRUE(
      MayChangeRetention(lock, kGovernance, kNow + 50, kNow, false).Is(s3err::kAccessDenied));
  EXPECT_TRUE(
      MayChangeRetention(lock, kCompliance, kNow + 100, kNow, false).Is(s3err::kAccessDenied));
  EXPECT_TRUE(MayChangeRetention(lock, "", 0, kNow, false).Is(s3err::kAccessDenied));
  EXPECT_TRUE(MayChangeRetention(lock, kGovernance, kNow + 50, kNow, true).ok());
  EXPECT_TRUE(MayChangeRetention(lock, kCompliance, kNow + 100, kNow, true).ok());
  EXPECT_TRUE(MayChangeRetention(lock, "", 0, kNow, true).ok());
}

TEST(ObjectLockConfiguration, DefaultRetentionRoundTrips) {
  EXPECT_EQ(EncodeBucketObjectLock(std::nullopt), "Enabled");
  EXPECT_FALSE(DecodeDefaultRetention("Enabled").has_value());
  EXPECT_FALSE(DecodeDefaultRetention("").has_value());
  auto days = DecodeDefaultRetention(
      EncodeBucketObjectLock(DefaultRetention{.mode = "GOVERNANCE", .days = 30}));
  ASSERT_TRUE(days.has_value());
  EXPECT_EQ(days->mode, "GOVERNANCE");
  EXPECT_EQ(days->days, 30);
  EXPECT_EQ(days->UntilFrom(kNow), kNow + 30 * 86400);
  auto years = DecodeDefaultRetention("Enabled COMPLIANCE 2y");
  ASSERT_TRUE(years.has_value());
  EXPECT_EQ(years->years, 2);
  EXPECT_EQ(years->UntilFrom(kNow), kNow + 2 * 365 * 86400);
  for (const char* damaged : {"Enabled governance 1d", "Enabled GOVERNANCE 0d",
                              "Enabled GOVERNANCE 1w", "Enabled GOVERNANCE", "Enabled  1d"}) {
    EXPECT_FALSE(DecodeDefaultRetention(damaged).has_value()) << damaged;
  }
}

// A version's lock is kept in its record, of format 6 only; records without
// one keep their older format, readable by the fsgate before.
TEST(ObjectLockRecord, RoundTripsInFormat6Only) {
  ObjectMeta m;
  m.etag = "8aed84801cfdb3c95972aac35f2fc78b";
  m.version_id = "null";
  EXPECT_LT(EncodeMetaRecord(m, false)[0], 6);
  m.lock = Retained(kCompliance, 4'102'444'800);  // 2100-01-01
  m.lock.legal_hold = true;
  const std::string v6 = EncodeMetaRecord(m, false);
  EXPECT_EQ(v6[0], 6);
  auto r = DecodeMetaRecord(v6);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->meta.lock.mode, "COMPLIANCE");
  EXPECT_EQ(r->meta.lock.until_s, 4'102'444'800);
  EXPECT_TRUE(r->meta.lock.legal_hold);
  ObjectMeta hold_only;
  hold_only.etag = m.etag;
  hold_only.lock.legal_hold = true;
  auto held = DecodeMetaRecord(EncodeMetaRecord(hold_only, false));
  ASSERT_TRUE(held.ok());
  EXPECT_TRUE(held->meta.lock.legal_hold);
  EXPECT_TRUE(held->meta.lock.mode.empty());
  // A format 5 record cannot carry one; nor is an unknown mode guessed at.
  EXPECT_FALSE(DecodeMetaRecord(std::string("\x05e\x00o\x02ON", 7)).ok());
  EXPECT_FALSE(DecodeMetaRecord(std::string("\x06e\x00r\x05\x01GOVE", 10)).ok());
}

using ObjectLockBucketTest = testing::StoreTest;

TEST_F(ObjectLockBucketTest, LockNeedsVersioningEnabledAndKeepsIt) {
  ASSERT_TRUE(store_->CreateBucket("bkt").ok());
  EXPECT_TRUE(store_->PutBucketObjectLock("bkt", "Enabled").Is(s3err::kInvalidBucketState));
  ASSERT_TRUE(store_->PutBucketVersioning("bkt", "Suspended").ok());
  EXPECT_TRUE(store_->PutBucketObjectLock("bkt", "Enabled").Is(s3err::kInvalidBucketState));
  EXPECT_TRUE(store_->HeadBucket("bkt")->attributes.object_lock.empty());
  ASSERT_TRUE(store_->PutBucketVersioning("bkt", "Enabled").ok());
  ASSERT_TRUE(store_->PutBucketObjectLock("bkt", "Enabled GOVERNANCE 1d").ok());
  EXPECT_EQ(store_->HeadBucket("bkt")->attributes.object_lock, "Enabled GOVERNANCE 1d");
  EXPECT_TRUE(store_->PutBucketVersioning("bkt", "Suspended").Is(s3err::kInvalidBucketState));
  EXPECT_EQ(store_->HeadBucket("bkt")->attributes.versioning, "Enabled");
}

}  // namespace
}  // namespace fsgate::store
