#include "store/dir_listing_cache.h"

#include <gtest/gtest.h>

namespace fsgate::store {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

DirListingCache::Listing Names(std::initializer_list<const char*> names) {
  DirListing::Builder b;
  for (const char* n : names) b.Add(n, false);
  return *std::move(b).Finish();
}

fs::FileStat Stamp(uint64_t ino, int64_t mtime_ns) {
  fs::FileStat st;
  st.ino = ino;
  st.mtime_ns = mtime_ns;
  st.is_dir = true;
  return st;
}

TEST(DirListingCache, KeptWhileTheDirectoryIsUnchanged) {
  metrics::Metrics m;
  DirListingCache cache(1 << 20, m);
  auto listing = Names({"a", "b"});
  cache.Insert("bkt", Stamp(7, 100 * kSecond), listing, 200 * kSecond);
  EXPECT_EQ(cache.Find("bkt", Stamp(7, 100 * kSecond)), listing);
  // An entry added or removed moves the mtime; a directory recreated has another inode.
  EXPECT_EQ(cache.Find("bkt", Stamp(7, 100 * kSecond + 1)), nullptr);
  EXPECT_EQ(cache.Find("bkt", Stamp(8, 100 * kSecond)), nullptr);
  EXPECT_EQ(cache.Find("other", Stamp(7, 100 * kSecond)), nullptr);
  EXPECT_EQ(m.ListCacheLookups(true), 1);
  EXPECT_EQ(m.ListCacheLookups(false), 3);
}

// A directory changed less than the margin before its read may change again
// within the same timestamp tick: it is not kept.
TEST(DirListingCache, RacyDirectoriesAreNotKept) {
  metrics::Metrics m;
  DirListingCache cache(1 << 20, m);
  const int64_t read_at = 500 * kSecond;
  cache.Insert("racy", Stamp(1, read_at - DirListingCache::kRacyMarginNs + 1), Names({"a"}),
               read_at);
  EXPECT_EQ(cache.Find("racy", Stamp(1, read_at - DirListingCache::kRacyMarginNs + 1)), nullptr);
  cache.Insert("calm", Stamp(2, read_at - DirListingCache::kRacyMarginNs), Names({"a"}), read_at);
  EXPECT_NE(cache.Find("calm", Stamp(2, read_at - DirListingCache::kRacyMarginNs)), nullptr);
  EXPECT_EQ(cache.bytes() > 0, true);
}

TEST(DirListingCache, BoundedLeastRecentlyUsedFirst) {
  metrics::Metrics m;
  auto one = Names({"0123456789abcdef0123456789"});
  // Room for about two such listings.
  const size_t each = one->bytes() + 2 * 2 + 128;
  DirListingCache cache(2 * each + 8, m);
  cache.Insert("d1", Stamp(1, kSecond), one, 10 * kSecond);
  cache.Insert("d2", Stamp(2, kSecond), one, 10 * kSecond);
  ASSERT_NE(cache.Find("d1", Stamp(1, kSecond)), nullptr);  // d1 is now the most recent
  cache.Insert("d3", Stamp(3, kSecond), one, 10 * kSecond);
  EXPECT_NE(cache.Find("d1", Stamp(1, kSecond)), nullptr);
  EXPECT_EQ(cache.Find("d2", Stamp(2, kSecond)), nullptr);
  EXPECT_NE(cache.Find("d3", Stamp(3, kSecond)), nullptr);
  EXPECT_LE(cache.bytes(), 2 * each + 8);
  // A listing larger than the whole bound is never kept.
  DirListing::Builder big;
  for (int i = 0; i < 1000; ++i) big.Add("name-of-an-object-in-a-big-dir", false);
  cache.Insert("big", Stamp(4, kSecond), *std::move(big).Finish(), 10 * kSecond);
  EXPECT_EQ(cache.Find("big", Stamp(4, kSecond)), nullptr);
  EXPECT_NE(cache.Find("d1", Stamp(1, kSecond)), nullptr);
}

TEST(DirListingCache, EtagsKeptForTheExactStatTheyWereReadWith) {
  metrics::Metrics m;
  DirListingCache cache(1 << 20, m);
  fs::FileStat st;
  st.ino = 42;
  st.size = 5;
  st.mtime_ns = 10 * kSecond;
  st.ctime_ns = 11 * kSecond;
  cache.KeepEtag(st, {"etag-1", "acl-1"}, 20 * kSecond);
  EXPECT_EQ(cache.FindEtag(st), (DirListingCache::FileAttrs{"etag-1", "acl-1"}));
  for (auto change :
       {+[](fs::FileStat& s) { s.size += 1; }, +[](fs::FileStat& s) { s.mtime_ns += 1; },
        +[](fs::FileStat& s) { s.ctime_ns += 1; }, +[](fs::FileStat& s) { s.ino += 1; }}) {
    fs::FileStat other = st;
    change(other);
    EXPECT_EQ(cache.FindEtag(other), std::nullopt);
  }
  // Changed within the racy margin before the read: not kept.
  fs::FileStat fresh = st;
  fresh.ino = 43;
  fresh.ctime_ns = 20 * kSecond - DirListingCache::kRacyMarginNs + 1;
  cache.KeepEtag(fresh, {"etag-2", ""}, 20 * kSecond);
  EXPECT_EQ(cache.FindEtag(fresh), std::nullopt);
  // A backend without ctime: never kept.
  fs::FileStat no_ctime = st;
  no_ctime.ino = 44;
  no_ctime.ctime_ns = 0;
  cache.KeepEtag(no_ctime, {"etag-3", ""}, 20 * kSecond);
  EXPECT_EQ(cache.FindEtag(no_ctime), std::nullopt);
}

TEST(DirListingCache, EtagsStayWithinHalfTheBound) {
  metrics::Metrics m;
  DirListingCache cache(64 << 10, m);
  fs::FileStat st;
  st.mtime_ns = st.ctime_ns = kSecond;
  for (uint64_t ino = 1; ino <= 5000; ++ino) {
    st.ino = ino;
    cache.KeepEtag(st, {"0123456789abcdef0123456789abcdef", ""}, 10 * kSecond);
    ASSERT_LE(cache.bytes(), size_t{32} << 10);
  }
  st.ino = 5000;
  EXPECT_EQ(cache.FindEtag(st),
            (DirListingCache::FileAttrs{"0123456789abcdef0123456789abcdef", ""}));
}

// --list-cache-mib 0: neither listings nor ETags are kept.
TEST(DirListingCache, ABoundOfZeroKeepsNothing) {
  metrics::Metrics m;
  DirListingCache cache(0, m);
  cache.Insert("d", Stamp(1, kSecond), Names({"a"}), 10 * kSecond);
  EXPECT_EQ(cache.Find("d", Stamp(1, kSecond)), nullptr);
  fs::FileStat st;
  st.ino = 9;
  st.mtime_ns = st.ctime_ns = kSecond;
  cache.KeepEtag(st, {"etag", ""}, 10 * kSecond);
  EXPECT_EQ(cache.FindEtag(st), std::nullopt);
  EXPECT_EQ(cache.bytes(), 0u);
}

}  // namespace
}  // namespace fsgate::store
