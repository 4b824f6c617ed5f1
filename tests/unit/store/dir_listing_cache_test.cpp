#include "store/dir_listing_cache.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <sstream>
#include <string>
#include <vector>

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
  cache.Insert("racy", Stamp(1, read_at - fs::kRacyMarginNs + 1), Names({"a"}), read_at);
  EXPECT_EQ(cache.Find("racy", Stamp(1, read_at - fs::kRacyMarginNs + 1)), nullptr);
  cache.Insert("calm", Stamp(2, read_at - fs::kRacyMarginNs), Names({"a"}), read_at);
  EXPECT_NE(cache.Find("calm", Stamp(2, read_at - fs::kRacyMarginNs)), nullptr);
  EXPECT_EQ(cache.bytes() > 0, true);
}

TEST(DirListingCache, BoundedLeastRecentlyUsedFirst) {
  metrics::Metrics m;
  auto one = Names({"0123456789abcdef0123456789"});
  // Room for about two such listings.
  const size_t each = one->bytes() + 2 * 2 + 128 + EtagKeep::BytesFor(1);
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

fs::FileStat FileStamp(uint64_t ino) {
  fs::FileStat st;
  st.ino = ino;
  st.size = 5;
  st.mtime_ns = 10 * kSecond;
  st.ctime_ns = 11 * kSecond;
  st.is_regular = true;
  return st;
}

TEST(DirListingCache, EtagsKeptForTheExactStatTheyWereReadWith) {
  metrics::Metrics m;
  DirListingCache cache(1 << 20, m);
  auto etags = cache.Insert("bkt", Stamp(7, kSecond), Names({"a", "b"}), 20 * kSecond);
  ASSERT_NE(etags, nullptr);
  const fs::FileStat st = FileStamp(42);
  cache.KeepEtag(etags, 1, st, {"etag-1", "acl-1"}, 20 * kSecond);
  EXPECT_EQ(cache.FindEtag(etags, 1, st), (FileAttrs{"etag-1", "acl-1"}));
  EXPECT_EQ(cache.FindEtag(etags, 0, st), std::nullopt);  // another entry's slot
  for (auto change :
       {+[](fs::FileStat& s) { s.size += 1; }, +[](fs::FileStat& s) { s.mtime_ns += 1; },
        +[](fs::FileStat& s) { s.ctime_ns += 1; }, +[](fs::FileStat& s) { s.ino += 1; }}) {
    fs::FileStat other = st;
    change(other);
    EXPECT_EQ(cache.FindEtag(etags, 1, other), std::nullopt);
  }
  // Changed within the racy margin before the read: not kept.
  fs::FileStat fresh = FileStamp(43);
  fresh.ctime_ns = 20 * kSecond - fs::kRacyMarginNs + 1;
  cache.KeepEtag(etags, 0, fresh, {"etag-2", ""}, 20 * kSecond);
  EXPECT_EQ(cache.FindEtag(etags, 0, fresh), std::nullopt);
  // A backend without ctime: never kept.
  fs::FileStat no_ctime = FileStamp(44);
  no_ctime.ctime_ns = 0;
  cache.KeepEtag(etags, 0, no_ctime, {"etag-3", ""}, 20 * kSecond);
  EXPECT_EQ(cache.FindEtag(etags, 0, no_ctime), std::nullopt);
  // Out of range, or no keep at all: nothing.
  cache.KeepEtag(etags, 2, st, {"etag-4", ""}, 20 * kSecond);
  EXPECT_EQ(cache.FindEtag(etags, 2, st), std::nullopt);
  EXPECT_EQ(cache.FindEtag(nullptr, 1, st), std::nullopt);
}

// Every form an ETag takes comes back byte for byte: the compact ones (an
// MD5, a multipart's or a derived one's "-N") and the others, kept whole.
TEST(DirListingCache, EveryEtagFormRoundTrips) {
  const std::vector<std::string> forms = {
      "0123456789abcdef0123456789abcdef",
      "0123456789abcdef0123456789abcdef-1",
      "0123456789abcdef0123456789abcdef-10000",
      "0123456789abcdef0123456789abcdef-4294967294",
      "0123456789abcdef0123456789abcdef-4294967295",  // the compact form's marker value
      "0123456789abcdef0123456789abcdef-99999999999",
      "0123456789abcdef0123456789abcdef-01",
      "0123456789abcdef0123456789abcdef-0",
      "0123456789abcdef0123456789abcdef-",
      "0123456789abcdef0123456789abcdef-2x",
      "0123456789ABCDEF0123456789abcdef",
      "0123456789abcdef0123456789abcde",
      "\"0123456789abcdef0123456789abcdef\"",
      "0123456789abcdef0123456789abcdef0",
      "AAAAAA==",
      "",
  };
  metrics::Metrics m;
  DirListingCache cache(1 << 20, m);
  DirListing::Builder b;
  for (size_t i = 0; i < forms.size(); ++i) b.Add("k" + std::to_string(i), false);
  auto etags = cache.Insert("bkt", Stamp(7, kSecond), *std::move(b).Finish(), 20 * kSecond);
  ASSERT_NE(etags, nullptr);
  for (size_t i = 0; i < forms.size(); ++i) {
    cache.KeepEtag(etags, i, FileStamp(100 + i), {forms[i], i % 2 ? "acl-odd" : ""}, 20 * kSecond);
  }
  for (size_t i = 0; i < forms.size(); ++i) {
    EXPECT_EQ(cache.FindEtag(etags, i, FileStamp(100 + i)),
              (FileAttrs{forms[i], i % 2 ? "acl-odd" : ""}))
        << forms[i];
  }
}

// The bytes counted are those held: the names, a 56-byte slot per entry, and
// each distinct string kept whole (ACLs, ETags of no compact form) once.
TEST(DirListingCache, CountsTheBytesItHolds) {
  metrics::Metrics m;
  DirListingCache cache(1 << 20, m);
  auto names = Names({"a", "b", "c", "d"});
  auto etags = cache.Insert("dir", Stamp(7, kSecond), names, 20 * kSecond);
  ASSERT_NE(etags, nullptr);
  const size_t base = names->bytes() + 2 * 3 + 128 + EtagKeep::BytesFor(4);
  EXPECT_EQ(cache.bytes(), base);
  EXPECT_EQ(EtagKeep::BytesFor(4) - EtagKeep::BytesFor(0), 4 * 56u);
  const std::string md5 = "0123456789abcdef0123456789abcdef";
  cache.KeepEtag(etags, 0, FileStamp(1), {md5, ""}, 20 * kSecond);
  cache.KeepEtag(etags, 1, FileStamp(2), {md5 + "-3", ""}, 20 * kSecond);
  EXPECT_EQ(cache.bytes(), base);  // compact, private: nothing more
  const std::string acl(100, 'x');
  cache.KeepEtag(etags, 2, FileStamp(3), {md5, acl}, 20 * kSecond);
  cache.KeepEtag(etags, 3, FileStamp(4), {md5, acl}, 20 * kSecond);
  const size_t with_acl = cache.bytes();
  EXPECT_GE(with_acl, base + acl.size());
  EXPECT_LE(with_acl, base + acl.size() + 128);  // the one ACL, counted once
  EXPECT_EQ(etags->bytes() + names->bytes() + 2 * 3 + 128, with_acl);
  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, m.registry()->Collect());
  EXPECT_NE(text.str().find("\nfsgate_list_cache_bytes " + std::to_string(with_acl) + "\n"),
            std::string::npos);
}

// A listing and its ETags leave together, least recently used first; a
// cursor still holding the ETags of one that left finds and keeps nothing.
TEST(DirListingCache, EtagsLeaveWithTheirListing) {
  metrics::Metrics m;
  auto one = Names({"a", "b", "c"});
  const size_t each = one->bytes() + 2 * 2 + 128 + EtagKeep::BytesFor(3);
  DirListingCache cache(2 * each + 8, m);
  auto d1 = cache.Insert("d1", Stamp(1, kSecond), one, 10 * kSecond);
  auto d2 = cache.Insert("d2", Stamp(2, kSecond), one, 10 * kSecond);
  ASSERT_NE(d1, nullptr);
  ASSERT_NE(d2, nullptr);
  cache.KeepEtag(d2, 0, FileStamp(5), {"0123456789abcdef0123456789abcdef", ""}, 20 * kSecond);
  ASSERT_NE(cache.FindEtag(d2, 0, FileStamp(5)), std::nullopt);
  ASSERT_NE(cache.Find("d1", Stamp(1, kSecond)), nullptr);  // d2 is now the least recent
  auto d3 = cache.Insert("d3", Stamp(3, kSecond), one, 10 * kSecond);
  ASSERT_NE(d3, nullptr);
  EXPECT_EQ(cache.Find("d2", Stamp(2, kSecond)), nullptr);
  EXPECT_EQ(cache.FindEtag(d2, 0, FileStamp(5)), std::nullopt);
  cache.KeepEtag(d2, 1, FileStamp(6), {"0123456789abcdef0123456789abcdef", ""}, 20 * kSecond);
  EXPECT_EQ(cache.FindEtag(d2, 1, FileStamp(6)), std::nullopt);
  EXPECT_EQ(cache.bytes(), 2 * each);
  // An ETag whose whole form would pass the bound evicts the least recent
  // listing first; its own listing going too keeps nothing.
  cache.KeepEtag(d3, 0, FileStamp(7), {std::string(40, 'e'), ""}, 20 * kSecond);
  EXPECT_EQ(cache.Find("d1", Stamp(1, kSecond)), nullptr);
  EXPECT_EQ(cache.FindEtag(d3, 0, FileStamp(7)), (FileAttrs{std::string(40, 'e'), ""}));
  EXPECT_LE(cache.bytes(), 2 * each + 8);
}

// Names that fit the bound with no room for their ETags' slots are kept
// without them.
TEST(DirListingCache, NamesKeptWithoutEtagsWhenOnlyTheyFit) {
  metrics::Metrics m;
  auto names = Names({"a", "b", "c", "d"});
  DirListingCache cache(names->bytes() + 2 * 3 + 128 + EtagKeep::BytesFor(4) - 1, m);
  EXPECT_EQ(cache.Insert("dir", Stamp(7, kSecond), names, 20 * kSecond), nullptr);
  DirListingCache::Etags etags;
  EXPECT_EQ(cache.Find("dir", Stamp(7, kSecond), &etags), names);
  EXPECT_EQ(etags, nullptr);
}

// A directory read again after an entry came or went keeps the ETags of the
// names it still has, each still valid only for its exact stat.
TEST(DirListingCache, EtagsCarriedOverToTheDirectorysNextListing) {
  metrics::Metrics m;
  DirListingCache cache(1 << 20, m);
  auto before = cache.Insert("dir", Stamp(7, kSecond), Names({"a", "b", "d"}), 20 * kSecond);
  ASSERT_NE(before, nullptr);
  cache.KeepEtag(before, 0, FileStamp(1), {"0123456789abcdef0123456789abcdef", ""}, 20 * kSecond);
  cache.KeepEtag(before, 1, FileStamp(2), {"etag-b", "acl-b"}, 20 * kSecond);
  cache.KeepEtag(before, 2, FileStamp(4), {"etag-d", ""}, 20 * kSecond);
  auto after = cache.Insert("dir", Stamp(7, 2 * kSecond), Names({"a", "c", "d"}), 30 * kSecond);
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(cache.FindEtag(after, 0, FileStamp(1)),
            (FileAttrs{"0123456789abcdef0123456789abcdef", ""}));
  EXPECT_EQ(cache.FindEtag(after, 1, FileStamp(2)), std::nullopt);  // "c": b's is gone
  EXPECT_EQ(cache.FindEtag(after, 2, FileStamp(4)), (FileAttrs{"etag-d", ""}));
  EXPECT_EQ(cache.FindEtag(before, 0, FileStamp(1)), std::nullopt);  // the old one is dropped
  EXPECT_EQ(cache.bytes(),
            cache.Find("dir", Stamp(7, 2 * kSecond))->bytes() + 2 * 3 + 128 + after->bytes());
}

// --list-cache-mib 0: neither listings nor ETags are kept.
TEST(DirListingCache, ABoundOfZeroKeepsNothing) {
  metrics::Metrics m;
  DirListingCache cache(0, m);
  cache.Insert("d", Stamp(1, kSecond), Names({"a"}), 10 * kSecond);
  EXPECT_EQ(cache.Find("d", Stamp(1, kSecond)), nullptr);
  EXPECT_EQ(cache.Insert("d", Stamp(1, kSecond), Names({"a"}), 10 * kSecond), nullptr);
  EXPECT_EQ(cache.bytes(), 0u);
}

}  // namespace
}  // namespace fsgate::store
