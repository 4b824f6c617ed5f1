// ListObjectVersions of a key with 10,000 versions, paged 1,000 at a time over
// the real posix backend, counting what each page costs the backend: it reads
// the names of that key's history directory and opens only the versions it
// returns, never the whole history (store/list_versions.cpp).
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>

#include "fs/backend_wrapper.h"
#include "store_test_util.h"

namespace fsgate::store {
namespace {

constexpr size_t kVersions = 10000;
constexpr size_t kPage = 1000;

// Counts the calls that touch a versioned bucket's history (.fsgate/versions/).
class HistoryCounter final : public fs::BackendWrapper {
 public:
  struct Counts {
    std::atomic<size_t> opens{0}, xattr_reads{0}, dir_reads{0}, names_read{0};
  };
  HistoryCounter(std::unique_ptr<fs::Backend> target, Counts& counts)
      : BackendWrapper(std::move(target)), counts_(counts) {}

  Result<std::unique_ptr<fs::File>> Open(const std::string& path, OpenMode mode) override {
    if (InHistory(path)) ++counts_.opens;
    return BackendWrapper::Open(path, mode);
  }
  Result<std::string> GetXattr(const std::string& path, const std::string& name) override {
    if (InHistory(path)) ++counts_.xattr_reads;
    return BackendWrapper::GetXattr(path, name);
  }
  Result<std::vector<fs::DirEntry>> ReadDir(const std::string& path) override {
    auto entries = BackendWrapper::ReadDir(path);
    if (InHistory(path) && entries.ok()) {
      ++counts_.dir_reads;
      counts_.names_read += entries->size();
    }
    return entries;
  }

 private:
  static bool InHistory(const std::string& path) {
    return path.find(".fsgate/versions/") != std::string::npos;
  }
  Counts& counts_;
};

class ListVersionsPagingTest : public testing::StoreTest {
 protected:
  std::unique_ptr<fs::Backend> WrapBackend(std::unique_ptr<fs::Backend> backend) override {
    return std::make_unique<HistoryCounter>(std::move(backend), counts_);
  }
  void ResetCounts() {
    counts_.opens = counts_.xattr_reads = counts_.dir_reads = counts_.names_read = 0;
  }
  HistoryCounter::Counts counts_;
};

// Version ids are 16 hex digits of the inverted time of the write: one past
// an id is an older version of the same key.
std::string OlderId(const std::string& id, uint64_t by) {
  char out[17];
  std::snprintf(out, sizeof out, "%016llx",
                static_cast<unsigned long long>(std::stoull(id, nullptr, 16) + by));
  return out;
}

TEST_F(ListVersionsPagingTest, TenThousandVersionsPageWithoutReadingTheWholeHistory) {
  ASSERT_TRUE(store_->CreateBucket("bkt").ok());
  ASSERT_TRUE(store_->PutBucketVersioning("bkt", "Enabled").ok());
  ASSERT_TRUE(Put("bkt", "a", "before").ok());
  ASSERT_TRUE(Put("bkt", "k", "oldest").ok());
  auto latest = Put("bkt", "k", "latest");
  ASSERT_TRUE(latest.ok());
  ASSERT_TRUE(Put("bkt", "z", "after").ok());
  // The rest of k's history: hard links of its oldest version under older ids.
  const std::string history = Root(".fsgate/versions/bkt/k/");
  std::vector<std::string> ids;
  auto first = store_->ListObjectVersions("bkt", VersionListRequest{"k", "", "", "", 10});
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->versions.size(), 2u);
  ids.push_back(first->versions[0].meta.version_id);
  ids.push_back(first->versions[1].meta.version_id);
  for (uint64_t i = 1; ids.size() < kVersions; ++i) {
    ids.push_back(OlderId(ids[1], i));
    ASSERT_EQ(::link((history + ids[1]).c_str(), (history + ids.back()).c_str()), 0) << errno;
  }

  // Paged: a, then k's 10,000 versions newest first, then z.
  std::vector<std::string> listed;
  VersionListRequest request;
  request.max_keys = kPage;
  size_t pages = 0;
  for (;;) {
    ResetCounts();
    auto page = store_->ListObjectVersions("bkt", request);
    ASSERT_TRUE(page.ok()) << page.status().message();
    ++pages;
    size_t of_k = 0;
    for (const auto& v : page->versions) {
      listed.push_back(v.key + "@" + v.meta.version_id);
      of_k += v.key == "k";
    }
    // Each page opens at most the versions it returns (the latest is the plain
    // file, outside the history) and reads k's directory of names a bounded
    // number of times: its cost does not grow with the pages before it.
    EXPECT_LE(counts_.opens + counts_.xattr_reads, of_k) << "page " << pages;
    EXPECT_LE(counts_.dir_reads, 3u) << "page " << pages;
    EXPECT_LE(counts_.names_read, 2 * kVersions) << "page " << pages;
    if (!page->truncated) break;
    ASSERT_EQ(page->versions.size(), kPage);
    request.key_marker = page->next_key_marker;
    request.version_id_marker = page->next_version_id_marker;
  }
  EXPECT_EQ(pages, (kVersions + 2 + kPage - 1) / kPage);
  ASSERT_EQ(listed.size(), kVersions + 2);
  EXPECT_EQ(listed.front(), "a@" + listed.front().substr(2));
  EXPECT_EQ(listed.back().substr(0, 2), "z@");
  for (size_t i = 0; i < kVersions; ++i) ASSERT_EQ(listed[i + 1], "k@" + ids[i]) << i;
}

}  // namespace
}  // namespace fsgate::store
