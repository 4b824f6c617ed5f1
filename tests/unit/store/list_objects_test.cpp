#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <random>
#include <set>

#include "store_test_util.h"

namespace fsgate::store {
namespace {

using testing::StoreTest;
using testing::WriteLocalFile;

// Forwards to a real backend, recording which directories were read.
class ReadDirRecorder final : public fs::Backend {
 public:
  ReadDirRecorder(std::unique_ptr<fs::Backend> inner, std::vector<std::string>* reads)
      : inner_(std::move(inner)), reads_(reads) {}
  std::string Name() const override { return inner_->Name(); }
  Result<std::unique_ptr<fs::File>> Open(const std::string& p, OpenMode m) override {
    return inner_->Open(p, m);
  }
  Result<fs::FileStat> Stat(const std::string& p) override { return inner_->Stat(p); }
  Status Mkdir(const std::string& p) override { return inner_->Mkdir(p); }
  Status Rmdir(const std::string& p) override { return inner_->Rmdir(p); }
  Status Unlink(const std::string& p) override { return inner_->Unlink(p); }
  Status Rename(const std::string& a, const std::string& b) override {
    return inner_->Rename(a, b);
  }
  Status RenameNoReplace(const std::string& a, const std::string& b) override {
    return inner_->RenameNoReplace(a, b);
  }
  Result<std::vector<fs::DirEntry>> ReadDir(const std::string& p) override {
    reads_->push_back(p);
    return inner_->ReadDir(p);
  }
  Status SyncDir(const std::string& p) override { return inner_->SyncDir(p); }
  Status SyncFs() override { return inner_->SyncFs(); }
  Result<std::string> GetXattr(const std::string& p, const std::string& n) override {
    return inner_->GetXattr(p, n);
  }
  Status SetXattr(const std::string& p, const std::string& n, std::string_view v) override {
    return inner_->SetXattr(p, n, v);
  }
  Status RemoveXattr(const std::string& p, const std::string& n) override {
    return inner_->RemoveXattr(p, n);
  }

 private:
  std::unique_ptr<fs::Backend> inner_;
  std::vector<std::string>* reads_;
};

class ListObjectsTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_TRUE(store_->CreateBucket("bkt").ok());
  }
  void PutAll(const std::vector<std::string>& keys) {
    for (const auto& key : keys) {
      ASSERT_TRUE(Put("bkt", key, key.back() == '/' ? "" : key).ok()) << key;
    }
  }
  ListResult List(const std::string& prefix, const std::string& delimiter,
                  const std::string& marker = "", size_t max_keys = 1000) {
    ListRequest request{prefix, delimiter, marker, max_keys};
    auto result = store_->ListObjects("bkt", request);
    EXPECT_TRUE(result.ok()) << result.status().message();
    return result.ok() ? std::move(*result) : ListResult{};
  }
  static std::vector<std::string> Keys(const ListResult& r) {
    std::vector<std::string> keys;
    for (const auto& e : r.objects) keys.push_back(e.key);
    return keys;
  }
};

TEST_F(ListObjectsTest, ByteOrderAcrossDirectories) {
  std::vector<std::string> keys = {"a/b", "a.b",   "a0",   "a", "b/c/d", "b/c.d",
                                   "b-",  "a/a/a", "a/b/", "Z", "a/b/c", "a-b/x"};
  // "a" as a file and "a/..." cannot coexist: drop "a".
  keys.erase(std::find(keys.begin(), keys.end(), "a"));
  keys.erase(std::find(keys.begin(), keys.end(), "a/b"));  // "a/b/" is a directory object
  PutAll(keys);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(AllKeys("bkt"), keys);
  EXPECT_EQ(AllKeys("bkt"), (std::vector<std::string>{"Z", "a-b/x", "a.b", "a/a/a", "a/b/", "a/b/c",
                                                      "a0", "b-", "b/c.d", "b/c/d"}));
}

TEST_F(ListObjectsTest, PrefixEndingMidName) {
  PutAll({"photos/jan/1.jpg", "photos/jan/2.jpg", "photos/jazz", "photos/java/x", "photos/jb",
          "photos/j", "photos/k/1", "photosx", "photo"});
  EXPECT_EQ(AllKeys("bkt", "photos/ja"),
            (std::vector<std::string>{"photos/jan/1.jpg", "photos/jan/2.jpg", "photos/java/x",
                                      "photos/jazz"}));
  EXPECT_EQ(
      AllKeys("bkt", "photos"),
      (std::vector<std::string>{"photos/j", "photos/jan/1.jpg", "photos/jan/2.jpg", "photos/java/x",
                                "photos/jazz", "photos/jb", "photos/k/1", "photosx"}));
  EXPECT_EQ(AllKeys("bkt", "photos/jan/"),
            (std::vector<std::string>{"photos/jan/1.jpg", "photos/jan/2.jpg"}));
  EXPECT_TRUE(AllKeys("bkt", "nothing/here").empty());
  EXPECT_TRUE(AllKeys("bkt", "photos/jazz/").empty());  // a file, not a directory
  EXPECT_TRUE(AllKeys("bkt", "../").empty());
  EXPECT_TRUE(AllKeys("bkt", "a//").empty());
}

TEST_F(ListObjectsTest, DelimiterFolding) {
  PutAll({"a/1", "a/2", "a/b/3", "b", "c/d/e", "c.txt", "dir/", "dir/x"});
  ListResult r = List("", "/");
  EXPECT_EQ(Keys(r), (std::vector<std::string>{"b", "c.txt"}));
  EXPECT_EQ(r.common_prefixes, (std::vector<std::string>{"a/", "c/", "dir/"}));
  EXPECT_FALSE(r.truncated);

  r = List("a/", "/");
  EXPECT_EQ(Keys(r), (std::vector<std::string>{"a/1", "a/2"}));
  EXPECT_EQ(r.common_prefixes, (std::vector<std::string>{"a/b/"}));

  // The directory object is listed under its own prefix.
  r = List("dir/", "/");
  EXPECT_EQ(Keys(r), (std::vector<std::string>{"dir/", "dir/x"}));

  // max_keys counts keys and prefixes together.
  r = List("", "/", "", 2);
  EXPECT_TRUE(r.common_prefixes == (std::vector<std::string>{"a/"}));
  EXPECT_EQ(Keys(r), (std::vector<std::string>{"b"}));
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.next_marker, "b");
  r = List("", "/", "b", 2);
  EXPECT_EQ(Keys(r), (std::vector<std::string>{"c.txt"}));
  EXPECT_EQ(r.common_prefixes, (std::vector<std::string>{"c/"}));
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.next_marker, "c/");
  r = List("", "/", "c/", 2);  // a common prefix as marker is not repeated
  EXPECT_TRUE(Keys(r).empty());
  EXPECT_EQ(r.common_prefixes, (std::vector<std::string>{"dir/"}));
  EXPECT_FALSE(r.truncated);
}

TEST_F(ListObjectsTest, OtherDelimiters) {
  PutAll({"x-1/a", "x-1/b", "x-2", "y", "x/z-q"});
  ListResult r = List("", "-");
  EXPECT_EQ(Keys(r), (std::vector<std::string>{"y"}));
  EXPECT_EQ(r.common_prefixes, (std::vector<std::string>{"x-", "x/z-"}));
  r = List("x", "1/");
  EXPECT_EQ(Keys(r), (std::vector<std::string>{"x-2", "x/z-q"}));
  EXPECT_EQ(r.common_prefixes, (std::vector<std::string>{"x-1/"}));
}

TEST_F(ListObjectsTest, PaginationOverThousandsOfKeys) {
  std::vector<std::string> keys;
  std::mt19937 rng(42);
  const char* parts[] = {"a", "a.b", "a0", "b", "b-c", "z", "m"};
  std::set<std::string> unique;
  while (unique.size() < 3000) {
    std::string key;
    int depth = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < depth; ++i) {
      if (i > 0) key += "/d";
      key += parts[rng() % 7];
    }
    key += "/f" + std::to_string(rng() % 1000);
    unique.insert(key);
  }
  keys.assign(unique.begin(), unique.end());
  for (const auto& key : keys) ASSERT_TRUE(Put("bkt", key, "").ok()) << key;
  ASSERT_EQ(AllKeys("bkt"), keys);  // already sorted (std::set): byte order

  for (size_t page_size : {1u, 7u, 1000u}) {
    std::vector<std::string> joined;
    std::string marker;
    int pages = 0;
    for (;;) {
      ListResult r = List("", "", marker, page_size);
      for (const auto& e : r.objects) joined.push_back(e.key);
      ++pages;
      if (!r.truncated) break;
      ASSERT_EQ(r.objects.size(), page_size);
      marker = r.next_marker;
      ASSERT_LT(pages, 10000);
    }
    EXPECT_EQ(joined, keys) << "page size " << page_size;
  }
  // With a delimiter, pages of keys and prefixes join to the one-shot answer.
  ListResult all = List("a/", "/", "", 100000);
  std::vector<std::string> joined;
  std::string marker;
  for (;;) {
    ListResult r = List("a/", "/", marker, 3);
    for (const auto& e : r.objects) joined.push_back(e.key);
    for (const auto& p : r.common_prefixes) joined.push_back("P:" + p);
    if (!r.truncated) break;
    marker = r.next_marker;
  }
  std::vector<std::string> expected;
  for (const auto& e : all.objects) expected.push_back(e.key);
  for (const auto& p : all.common_prefixes) expected.push_back("P:" + p);
  std::sort(joined.begin(), joined.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(joined, expected);
}

TEST_F(ListObjectsTest, EntriesCarrySizeEtagMtime) {
  ASSERT_TRUE(Put("bkt", "k", "hello").ok());
  ListResult r = List("", "");
  ASSERT_EQ(r.objects.size(), 1u);
  EXPECT_EQ(r.objects[0].meta.size, 5u);
  EXPECT_EQ(r.objects[0].meta.etag, "5d41402abc4b2a76b9719d911017c592");
  EXPECT_GT(r.objects[0].meta.mtime_ns, 0);
}

TEST_F(ListObjectsTest, SkipsInternalEmptyAndSpecialEntries) {
  PutAll({"k"});
  WriteLocalFile(Root("bkt/.fsgate/hidden"), "x");
  std::filesystem::create_directories(Root("bkt/empty/dirs/only"));
  std::filesystem::create_symlink(Root("bkt/k"), Root("bkt/link"));
  WriteLocalFile(Root("bkt/sub/.fsgate"), "allowed below the top");
  EXPECT_EQ(AllKeys("bkt"), (std::vector<std::string>{"k", "sub/.fsgate"}));
  ListResult r = List("", "/");
  EXPECT_EQ(r.common_prefixes, (std::vector<std::string>{"sub/"}));
  EXPECT_TRUE(store_->HeadObject("bkt", ".fsgate/hidden").status().Is(s3err::kInvalidArgument));
}

TEST(ListObjectsLazy, MarkerAndDelimiterDoNotReadSkippedSubtrees) {
  testing::TempDir dir;
  std::vector<std::string> reads;
  auto posix = fs::MakePosixBackend(dir.path());
  ASSERT_TRUE(posix.ok());
  metrics::Metrics metrics;
  StoreOptions options;
  options.async_dirops = false;
  options.fsync = false;
  auto store = ObjectStore::Open(std::make_unique<ReadDirRecorder>(std::move(*posix), &reads),
                                 options, metrics);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->CreateBucket("bkt").ok());
  for (std::string d : {"a", "b", "c"}) {
    for (int i = 0; i < 3; ++i) {
      WriteLocalFile(dir.path() + "/bkt/" + d + "/sub" + std::to_string(i) + "/f", "x");
    }
  }
  auto has_read = [&](const std::string& p) {
    return std::find(reads.begin(), reads.end(), p) != reads.end();
  };
  // Marker inside "b/": "a/" is never opened.
  reads.clear();
  auto r = (*store)->ListObjects("bkt", ListRequest{"", "", "b/sub1/f", 2});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->objects.size(), 2u);
  EXPECT_EQ(r->objects[0].key, "b/sub2/f");
  EXPECT_EQ(r->objects[1].key, "c/sub0/f");
  EXPECT_FALSE(has_read("bkt/a"));
  EXPECT_FALSE(has_read("bkt/b/sub0"));
  EXPECT_FALSE(has_read("bkt/c/sub2"));  // sub1 is read to find out whether more follow
  // Delimiter: a folded subtree is read only down to its first object (which
  // proves the common prefix is not empty), never further.
  reads.clear();
  r = (*store)->ListObjects("bkt", ListRequest{"", "/", "", 1000});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->common_prefixes, (std::vector<std::string>{"a/", "b/", "c/"}));
  EXPECT_EQ(reads, (std::vector<std::string>{"bkt", "bkt/a", "bkt/a/sub0", "bkt/b", "bkt/b/sub0",
                                             "bkt/c", "bkt/c/sub0"}));
  // A prefix starts in its directory.
  reads.clear();
  r = (*store)->ListObjects("bkt", ListRequest{"c/sub1/", "", "", 1000});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(reads, (std::vector<std::string>{"bkt/c/sub1"}));
}

}  // namespace
}  // namespace fsgate::store
