#include "store/dir_listing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace fsgate::store {
namespace {

std::vector<std::string> SortNames(const DirListing& listing) {
  std::vector<std::string> names;
  for (size_t i = 0; i < listing.size(); ++i) names.emplace_back(listing[i].sort_name);
  return names;
}

// A directory sorts as its name plus "/": "a.b" < "a/" < "a0", the order of a
// depth-first walk of whole keys; bytes compare unsigned ("é" after "z").
TEST(DirListing, SortsByNameWithADirectorysSlash) {
  DirListing::Builder b;
  b.Add("a0", false);
  b.Add("a", true);
  b.Add("a.b", false);
  b.Add("z", false);
  b.Add("\xc3\xa9", false);
  b.Add("A", false);
  auto listing = std::move(b).Finish();
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(SortNames(**listing),
            (std::vector<std::string>{"A", "a.b", "a/", "a0", "z", "\xc3\xa9"}));
  EXPECT_TRUE((**listing)[2].is_dir);
  EXPECT_FALSE((**listing)[1].is_dir);
}

TEST(DirListing, KeepsTheNestedPlaceBesideItsDirectory) {
  DirListing::Builder b;
  b.Add("a", true);
  b.Add("a", false, true);
  b.Add("a!", false);
  auto listing = std::move(b).Finish();
  ASSERT_TRUE(listing.ok());
  ASSERT_EQ((*listing)->size(), 3u);
  const DirListing& l = **listing;
  EXPECT_EQ(l[0].sort_name, "a");
  EXPECT_TRUE(l[0].nested);
  EXPECT_FALSE(l[0].is_dir);
  EXPECT_EQ(l[1].sort_name, "a!");
  EXPECT_EQ(l[2].sort_name, "a/");
  EXPECT_TRUE(l[2].is_dir);
  EXPECT_FALSE(l[2].nested);
}

// The same order as std::sort of std::strings, for many names in random order.
TEST(DirListing, OrderAndLowerBoundMatchSortedStrings) {
  std::mt19937 rng(7);
  std::vector<std::string> names;
  DirListing::Builder b;
  for (int i = 0; i < 5000; ++i) {
    std::string name = "k" + std::to_string(rng() % 100000);
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    names.push_back(name);
    b.Add(name, false);
  }
  std::sort(names.begin(), names.end());
  auto listing = std::move(b).Finish();
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(SortNames(**listing), names);
  for (const std::string& probe :
       std::vector<std::string>{"", "k", "k5", "k50000", "k99999", "l", names[1234]}) {
    EXPECT_EQ(
        (*listing)->LowerBound(probe),
        static_cast<size_t>(std::lower_bound(names.begin(), names.end(), probe) - names.begin()))
        << probe;
  }
}

// The multikey sort (8 bytes at a time) agrees with std::sort where names
// share long prefixes, end at a digit's edge, or extend one another, and on
// bytes past 0x7f.
TEST(DirListing, OrderMatchesSortedStringsAcrossDigitEdges) {
  std::mt19937 rng(11);
  std::vector<std::string> names;
  const std::string stems[] = {
      "", "a", "IMG_0000", "IMG_00000000", "common-prefix-of-24-byte", "\xc3\xa9t\xc3\xa9"};
  const std::string alphabet = "0a/.-\x7f\x80\xff";
  for (const std::string& stem : stems) {
    for (int i = 0; i < 400; ++i) {
      std::string name = stem;
      const size_t extra = rng() % 20;
      for (size_t j = 0; j < extra; ++j) name += alphabet[rng() % alphabet.size()];
      if (!name.empty()) names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::vector<std::string> shuffled = names;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  DirListing::Builder b;
  for (const std::string& name : shuffled) b.Add(name, false);
  auto listing = std::move(b).Finish();
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(SortNames(**listing), names);
}

// What the listing keep's bound counts: the names' bytes and 8 per slot,
// not a std::string per name.
TEST(DirListing, BytesAreTheNamesAndASlotEach) {
  DirListing::Builder b;
  constexpr size_t kNames = 10000;
  for (size_t i = 0; i < kNames; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "IMG_%08zu.jpeg", i);  // 17 bytes
    b.Add(name, false);
  }
  auto listing = std::move(b).Finish();
  ASSERT_TRUE(listing.ok());
  EXPECT_LE((*listing)->bytes(), sizeof(DirListing) + kNames * (17 + 8));
  EXPECT_GE((*listing)->bytes(), kNames * (17 + 8));
}

TEST(DirListing, EmptyDirectory) {
  auto listing = DirListing::Builder().Finish();
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ((*listing)->size(), 0u);
  EXPECT_EQ((*listing)->LowerBound("a"), 0u);
}

}  // namespace
}  // namespace fsgate::store
