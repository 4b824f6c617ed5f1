#include "dirops/overlay.h"

#include <gtest/gtest.h>

#include <array>

#include "store/key_cursor.h"
#include "store/meta_record.h"

namespace fsgate::dirops {
namespace {

using store::KeyCursor;
using store::ListEntry;

// A disk cursor over a sorted list of keys.
class VectorCursor final : public KeyCursor {
 public:
  explicit VectorCursor(std::vector<std::string> keys) : keys_(std::move(keys)) {}
  Result<std::optional<ListEntry>> Next() override {
    if (pos_ == keys_.size()) return std::optional<ListEntry>();
    ListEntry e;
    e.key = keys_[pos_++];
    e.meta.etag = "disk";
    return std::optional<ListEntry>(e);
  }
  void SkipPrefix(const std::string& prefix) override {
    while (pos_ < keys_.size() && keys_[pos_].starts_with(prefix)) ++pos_;
  }

 private:
  std::vector<std::string> keys_;
  size_t pos_ = 0;
};

OverlayEntry Create(uint64_t seq, const std::string& etag) {
  OverlayEntry e;
  e.seq = seq;
  store::ObjectMeta meta;
  meta.etag = etag;
  e.attrs = store::EncodeMetaRecord(meta, false);
  e.inline_data = std::make_shared<const std::string>("body-" + etag);
  return e;
}

OverlayEntry Tombstone(uint64_t seq) {
  OverlayEntry e;
  e.seq = seq;
  e.tombstone = true;
  return e;
}

std::string EtagOf(const std::string& attrs) { return store::DecodeMetaRecord(attrs)->meta.etag; }

std::vector<std::string> Drain(KeyCursor& c, std::vector<std::string>* etags = nullptr) {
  std::vector<std::string> keys;
  for (;;) {
    auto n = c.Next();
    EXPECT_TRUE(n.ok());
    if (!*n) break;
    keys.push_back((*n)->key);
    if (etags) etags->push_back((*n)->meta.etag);
  }
  return keys;
}

TEST(Overlay, LatestEntryWinsAndResolveKeepsLaterOps) {
  Overlay o;
  o.Put("b", "k", Create(1, "v1"));
  o.Put("b", "k", Tombstone(2));
  o.Put("b", "k", Create(3, "v3"));
  EXPECT_EQ(o.size(), 1u);
  o.Resolve("b", "k", 1);  // op 1 applied: entry of op 3 stays
  ASSERT_TRUE(o.Get("b", "k"));
  EXPECT_EQ(EtagOf(o.Get("b", "k")->attrs), "v3");
  o.Resolve("b", "k", 3);
  EXPECT_FALSE(o.Get("b", "k"));
  EXPECT_EQ(o.size(), 0u);
}

TEST(Overlay, InlineVersionReadsTheBody) {
  Overlay o;
  o.Put("b", "k", Create(1, "e"));
  auto v = o.Get("b", "k")->View();
  ASSERT_TRUE(v.data);
  std::array<char, 16> buf{};
  auto n = v.data->PRead(0, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf.data(), *n), "body-e");
  EXPECT_EQ(v.data->Stat()->size, 6u);
}

TEST(Overlay, MergeHidesTombstonesAndInsertsCreatesInOrder) {
  Overlay o;
  o.Put("b", "a", Tombstone(1));
  o.Put("b", "c", Create(2, "new-c"));
  o.Put("b", "d", Create(3, "new-d"));
  o.Put("b", "x/1", Tombstone(4));
  o.Put("other", "b", Create(5, "elsewhere"));
  auto cursor = store::MergePending(
      PendingNodes(o.Range("b", "", "")),
      std::make_unique<VectorCursor>(std::vector<std::string>{"a", "b", "c", "x/1", "x/2", "z"}));
  std::vector<std::string> etags;
  EXPECT_EQ(Drain(*cursor, &etags), (std::vector<std::string>{"b", "c", "d", "x/2", "z"}));
  EXPECT_EQ(etags, (std::vector<std::string>{"disk", "new-c", "new-d", "disk", "disk"}));
}

TEST(Overlay, RangeHonoursPrefixAndMarker) {
  Overlay o;
  for (const char* k : {"p/a", "p/b", "p/c", "q/a", "o"}) o.Put("b", k, Create(1, k));
  auto r = o.Range("b", "p/", "p/a");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].first, "p/b");
  EXPECT_EQ(r[1].first, "p/c");
  EXPECT_EQ(o.Range("b", "p/", "").size(), 3u);
  EXPECT_TRUE(o.HasCreateUnder("b", "q/"));
  EXPECT_FALSE(o.HasCreateUnder("b", "r/"));
}

TEST(Overlay, SkipPrefixAppliesToBothSides) {
  Overlay o;
  o.Put("b", "dir/new", Create(1, "n"));
  o.Put("b", "dir2", Create(2, "n"));
  auto cursor = store::MergePending(
      PendingNodes(o.Range("b", "", "")),
      std::make_unique<VectorCursor>(std::vector<std::string>{"a", "dir/old1", "dir/old2", "e"}));
  auto first = cursor->Next();
  EXPECT_EQ((*first)->key, "a");
  auto second = cursor->Next();
  EXPECT_EQ((*second)->key, "dir/new");
  cursor->SkipPrefix("dir/");
  EXPECT_EQ(Drain(*cursor), (std::vector<std::string>{"dir2", "e"}));
}

}  // namespace
}  // namespace fsgate::dirops
