// Shared fixture for the store unit tests: a temporary root and an open store.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "fs/posix_backend.h"
#include "metrics/metrics.h"
#include "store/fs_object_store.h"
#include "tests/support/temp_dir.h"

namespace fsgate::store::testing {

using ::fsgate::testing::TempDir;

// The regular files under `dir`, at any depth: staging files live in
// generation subdirectories (dirops/staging_dirs.h).
inline std::vector<std::filesystem::path> FilesUnder(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(e.path());
  }
  return out;
}

using ::fsgate::testing::ReadLocalFile;
using ::fsgate::testing::WriteLocalFile;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    auto backend = fs::MakePosixBackend(dir_.path());
    ASSERT_TRUE(backend.ok()) << backend.status().message();
    StoreOptions options;
    options.async_dirops = false;
    options.fsync = fsync_;
    options.gateway_id = "test";  // its staging: .fsgate/gw/test/staging
    options.nest_key_conflicts = nest_keys_;
    auto store = ObjectStore::Open(WrapBackend(std::move(*backend)), options, metrics_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
  }

  // A test's decorator over the posix backend (one that counts calls, say).
  virtual std::unique_ptr<fs::Backend> WrapBackend(std::unique_ptr<fs::Backend> backend) {
    return backend;
  }

  std::string Root(const std::string& rel = "") const { return dir_.path() + "/" + rel; }

  Result<ObjectMeta> Put(const std::string& bucket, const std::string& key, const std::string& data,
                         ObjectMeta meta = {}, WriteConditions conditions = {}) {
    PutRequest request;
    request.bucket = bucket;
    request.key = key;
    request.meta = meta;
    request.conditions = conditions;
    request.expected_size = static_cast<int64_t>(data.size());
    auto writer = store_->BeginPut(std::move(request));
    if (!writer.ok()) return writer.status();
    if (Status s = (*writer)->Write(data); !s.ok()) return s;
    return (*writer)->Commit(ObjectMeta{});
  }

  Result<std::string> Get(const std::string& bucket, const std::string& key) {
    auto reader = store_->GetObject(bucket, key);
    if (!reader.ok()) return reader.status();
    std::string data((*reader)->meta().size, '\0');
    size_t got = 0;
    while (got < data.size()) {
      auto n = (*reader)->Read(got, std::span<char>(data.data() + got, data.size() - got));
      if (!n.ok()) return n.status();
      if (*n == 0) break;
      got += *n;
    }
    data.resize(got);
    return data;
  }

  std::vector<std::string> AllKeys(const std::string& bucket, const std::string& prefix = "") {
    ListRequest request;
    request.prefix = prefix;
    request.max_keys = 1000000;
    auto result = store_->ListObjects(bucket, request);
    EXPECT_TRUE(result.ok()) << result.status().message();
    std::vector<std::string> keys;
    if (result.ok()) {
      for (auto& e : result->objects) keys.push_back(e.key);
    }
    return keys;
  }

  bool fsync_ = false;      // the page cache is enough for logic tests
  bool nest_keys_ = false;  // --key-conflicts nest
  TempDir dir_;
  metrics::Metrics metrics_;
  std::unique_ptr<ObjectStore> store_;
};

}  // namespace fsgate::store::testing
