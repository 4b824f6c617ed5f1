// The fixture of the displacement tests (displace_test.cpp,
// displace_unlink_test.cpp): an async namespace whose ops move a node's file
// to hidden paths, as the store keeps older versions.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "async_fixture.h"
#include "dirops/displace.h"
#include "dirops/intent_codec.h"

namespace fsgate::dirops::testing {

// The record of `in`, sealed for segment 1; with `dropped`, as an older
// format wrote it: the last `dropped` string fields before has_inline (empty
// in `in`, and no inline body) left out, as the formats before them had none.
inline std::string SealedRecord(const Intent& in, size_t dropped) {
  std::string record;
  AppendIntentRecord(in, &record);
  const size_t tail = 4 * dropped + 1;
  EXPECT_EQ(record.substr(record.size() - tail), std::string(tail, '\0'));
  record.erase(record.size() - tail, tail - 1);
  const auto length = static_cast<uint32_t>(record.size() - kRecordHeaderSize);
  for (int i = 0; i < 4; ++i) record[i] = static_cast<char>(length >> (8 * i));
  SealRecords(&record, RecordSeed(1));
  return record;
}

// Hidden paths, outside the bucket, as the store's versions are.
constexpr const char* kOld1 = ".fsgate/moved/bkt/k/1";
constexpr const char* kOld2 = ".fsgate/moved/bkt/k/2";
constexpr const char* kMark = ".fsgate/moved/bkt/k/0~mark";

class DisplaceTest : public AsyncFixture {
 protected:
  Result<int64_t> PutDisplacing(const std::string& key, const std::string& body,
                                const std::string& to) {
    OpOptions op;
    op.displace_to = to;
    return Put(key, body, op);
  }
  // The displaced files of `key` the namespace answers: path -> body.
  std::map<std::string, std::string> Moved(const std::string& key) {
    std::map<std::string, std::string> out;
    auto moved = ns_->Displaced(Node(key));
    EXPECT_TRUE(moved.ok());
    if (!moved.ok()) return out;
    for (const auto& [path, view] : *moved) {
      if (!view.data) {  // a marker (OpOptions::marker)
        out[path] = "<mark>";
        continue;
      }
      auto data = fs::ReadWholeFile(*view.data);
      EXPECT_TRUE(data.ok()) << path;
      if (!data.ok()) continue;
      EXPECT_EQ(EtagOf(view), MetaFor(*data).etag) << path;
      out[path] = *data;
    }
    return out;
  }
  // An unlink of `key` that keeps its file at kOld1 and leaves kMark.
  Status RemoveKeeping(const std::string& key, bool sync = false) {
    OpOptions op;
    op.sync = sync;
    op.displace_to = kOld1;
    op.marker = kMark;
    return ns_->Remove(Node(key), op);
  }
  std::string At(const std::string& path) {
    auto f = backend_->Open(path, fs::Backend::OpenMode::kRead);
    if (!f.ok()) return "<absent>";
    auto data = fs::ReadWholeFile(**f);
    return data.ok() ? *data : "<error>";
  }
  // Opens the namespace with "k" holding "one", applied.
  void OpenWithOne(AsyncOptions options = TestOptions()) {
    OpenNs(std::move(options));
    ASSERT_TRUE(Put("k", "one").ok());
    ASSERT_TRUE(ns_->Drain().ok());
  }
  // Options under which an applied op is not retired before the test ends.
  static AsyncOptions NeverRetired() {
    auto options = TestOptions();
    options.applier.sync_window = std::chrono::hours(1);
    return options;
  }
  // Options under which a failing apply is still being retried at a crash.
  static AsyncOptions RetriedThroughTheCrash() {
    auto options = TestOptions();
    options.applier.max_attempts = 1000;
    return options;
  }
  // Waits (at most a second) until `path` holds `want`.
  void WaitAt(const std::string& path, const std::string& want) {
    for (int i = 0; i < 500 && At(path) != want; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_EQ(At(path), want);
  }
  // kill -9, then the power cut (SetUpWithPowerCut): what was not synced is
  // undone, and the namespace opened again.
  void CutPowerAndReopen() {
    ns_->Abandon();
    ns_.reset();
    ASSERT_TRUE(cut_->SimulatePowerCut().ok());
    OpenNs();
  }
  // Opens the namespace again after Abandon(), as a restart after kill -9.
  void Restart() {
    ns_->Abandon();
    ns_.reset();
    fault_->ClearRules();
    OpenNs();
  }
};

}  // namespace fsgate::dirops::testing
