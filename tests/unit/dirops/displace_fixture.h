// The fixture of the displacement tests (displace_test.cpp,
// displace_unlink_test.cpp): an async namespace whose ops move a node's file
// to hidden paths, as the store keeps older versions.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "async_fixture.h"
#include "dirops/displace.h"

namespace fsgate::dirops::testing {

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
  // Opens the namespace again after Abandon(), as a restart after kill -9.
  void Restart() {
    ns_->Abandon();
    ns_.reset();
    fault_->ClearRules();
    OpenNs();
  }
};

}  // namespace fsgate::dirops::testing
