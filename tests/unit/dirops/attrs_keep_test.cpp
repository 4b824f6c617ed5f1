#include "dirops/attrs_keep.h"

#include <gtest/gtest.h>

#include <string>

namespace fsgate::dirops {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kNow = 1'700'000'000 * kSecond;

fs::FileStat Settled(uint64_t ino) {
  fs::FileStat st;
  st.ino = ino;
  st.size = 4096;
  st.mtime_ns = kNow - 5 * kSecond;
  st.ctime_ns = kNow - 5 * kSecond;
  st.is_regular = true;
  return st;
}

TEST(AttrsKeepTest, FindsABlobForTheStatItWasKeptWith) {
  AttrsKeep keep;
  EXPECT_FALSE(keep.Find(Settled(7)).has_value());
  keep.Keep(Settled(7), "record-7", kNow);
  EXPECT_EQ(keep.Find(Settled(7)), "record-7");
}

TEST(AttrsKeepTest, AnyChangedStampMisses) {
  AttrsKeep keep;
  keep.Keep(Settled(7), "record-7", kNow);
  fs::FileStat changed = Settled(7);
  changed.ctime_ns += 1;  // an xattr set, a rename, a link: ctime moves
  EXPECT_FALSE(keep.Find(changed).has_value());
  changed = Settled(7);
  changed.mtime_ns += 1;
  EXPECT_FALSE(keep.Find(changed).has_value());
  changed = Settled(7);
  changed.size += 1;
  EXPECT_FALSE(keep.Find(changed).has_value());
  EXPECT_FALSE(keep.Find(Settled(8)).has_value());  // another inode
}

TEST(AttrsKeepTest, KeepsNothingChangedWithinTheRacyMargin) {
  AttrsKeep keep;
  fs::FileStat racy = Settled(7);
  racy.ctime_ns = kNow - fs::kRacyMarginNs + 1;
  keep.Keep(racy, "record-7", kNow);
  EXPECT_FALSE(keep.Find(racy).has_value());
  racy.ctime_ns = kNow - fs::kRacyMarginNs;
  keep.Keep(racy, "record-7", kNow);
  EXPECT_EQ(keep.Find(racy), "record-7");
}

TEST(AttrsKeepTest, KeepsNothingWithoutACtime) {
  AttrsKeep keep;
  fs::FileStat no_ctime = Settled(7);
  no_ctime.ctime_ns = 0;  // CephFS reports none
  keep.Keep(no_ctime, "record-7", kNow);
  EXPECT_FALSE(keep.Find(no_ctime).has_value());
}

TEST(AttrsKeepTest, ALargeBlobIsNotKept) {
  AttrsKeep keep;
  keep.Keep(Settled(7), std::string(127, 'x'), kNow);
  EXPECT_FALSE(keep.Find(Settled(7)).has_value());
  keep.Keep(Settled(7), std::string(126, 'x'), kNow);
  EXPECT_EQ(keep.Find(Settled(7)), std::string(126, 'x'));
}

TEST(AttrsKeepTest, ALaterBlobForTheSameInodeReplacesTheEarlier) {
  AttrsKeep keep;
  keep.Keep(Settled(7), "old", kNow);
  fs::FileStat rewritten = Settled(7);
  rewritten.ctime_ns += kSecond;
  keep.Keep(rewritten, "new", kNow);
  EXPECT_FALSE(keep.Find(Settled(7)).has_value());
  EXPECT_EQ(keep.Find(rewritten), "new");
}

}  // namespace
}  // namespace fsgate::dirops
