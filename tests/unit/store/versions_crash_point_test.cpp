// Versioned writes stopped at every one of their steps, then the power cut.
//
// Each case builds a key's history, then runs one more versioned operation
// stopped after its n-th mutating call (tests/support/crash_point_backend.h),
// for n = 0, 1, ... until it runs to the end; after each stop the power is cut
// (tests/support/power_cut_backend.h: whatever was not synced is undone) and
// the store reopened. What the restart shows must be the history before the
// operation or, all of it, the history after: every answered version with its
// bytes, no version twice, the right latest. The power-cut backend has no hard
// links, so this covers the rename path of store/object_versions.cpp.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <optional>

#include "fs/posix_backend.h"
#include "metrics/metrics.h"
#include "store/fs_object_store.h"
#include "tests/support/crash_point_backend.h"
#include "tests/support/power_cut_backend.h"
#include "tests/support/temp_dir.h"

namespace fsgate::store {
namespace {

// A key's versions, newest first: an id ("" when the test cannot know it: an
// operation stopped before it answered) and the bytes, none for a marker.
struct Version {
  std::string id;
  std::optional<std::string> data;
  bool operator==(const Version&) const = default;
};
using History = std::map<std::string, std::vector<Version>>;  // by key

std::string Describe(const History& h) {
  std::string out;
  for (const auto& [key, versions] : h) {
    out += key + ":";
    for (const auto& v : versions) {
      out += " " + (v.id.empty() ? std::string("<new>") : v.id) + "=" +
             (v.data ? "'" + *v.data + "'" : std::string("marker"));
    }
    out += "\n";
  }
  return out;
}

// `got` is `want`, an empty id in `want` matching any id.
bool Matches(const History& got, const History& want) {
  if (got.size() != want.size()) return false;
  for (const auto& [key, versions] : want) {
    auto it = got.find(key);
    if (it == got.end() || it->second.size() != versions.size()) return false;
    for (size_t i = 0; i < versions.size(); ++i) {
      const auto& g = it->second[i];
      const auto& w = versions[i];
      if (g.data != w.data || (!w.id.empty() && g.id != w.id)) return false;
    }
  }
  return true;
}

// One run: a fresh root, the store over crash point over power cut over posix.
class Run {
 public:
  explicit Run(bool async) : async_(async) {
    auto posix = fs::MakePosixBackend(dir_.path());
    EXPECT_TRUE(posix.ok());
    auto cut = std::make_unique<fs::PowerCutBackend>(std::move(*posix));
    cut_ = cut.get();
    auto crash = std::make_unique<fs::CrashPointBackend>(std::move(cut));
    crash_ = crash.get();
    store_ = OpenStore(std::move(crash));
  }

  ObjectStore& store() { return *store_; }
  fs::CrashPointBackend& crash() { return *crash_; }

  // Stops the world, cuts the power, and opens the root again as a restart
  // would (over the plain posix backend).
  void CrashCutAndRestart() {
    // Stopped, the store is a process that no longer reaches the disk: the
    // cut happens under it, and its shutdown afterwards changes nothing.
    crash_->Arm(0);
    ASSERT_TRUE(cut_->SimulatePowerCut().ok());
    store_.reset();  // the backends with it
    auto posix = fs::MakePosixBackend(dir_.path());
    ASSERT_TRUE(posix.ok());
    store_ = OpenStore(std::move(*posix));
  }

  // What the store shows of the bucket: ListObjectVersions, each version's bytes.
  History Shown() {
    History out;
    auto listed = store_->ListObjectVersions("bkt", {});
    EXPECT_TRUE(listed.ok()) << listed.status().message();
    if (!listed.ok()) return out;
    for (const auto& v : listed->versions) {
      Version version{v.meta.version_id, std::nullopt};
      if (!v.delete_marker) {
        auto reader = store_->GetObjectVersion("bkt", v.key, v.meta.version_id);
        EXPECT_TRUE(reader.ok()) << v.key << " " << v.meta.version_id;
        if (reader.ok()) version.data = ReadAll(**reader);
      }
      out[v.key].push_back(version);
    }
    return out;
  }

 private:
  std::unique_ptr<ObjectStore> OpenStore(std::unique_ptr<fs::Backend> backend) {
    StoreOptions options;
    options.async_dirops = async_;
    options.fsync = true;
    options.gateway_id = "test";
    auto store = ObjectStore::Open(std::move(backend), options, metrics_);
    EXPECT_TRUE(store.ok()) << store.status().message();
    return store.ok() ? std::move(*store) : nullptr;
  }

  static std::string ReadAll(ObjectReader& reader) {
    std::string data(reader.meta().size, '\0');
    size_t got = 0;
    while (got < data.size()) {
      auto n = reader.Read(got, std::span<char>(data.data() + got, data.size() - got));
      if (!n.ok() || *n == 0) break;
      got += *n;
    }
    data.resize(got);
    return data;
  }

  const bool async_;
  testing::TempDir dir_;
  metrics::Metrics metrics_;
  fs::PowerCutBackend* cut_ = nullptr;
  fs::CrashPointBackend* crash_ = nullptr;
  std::unique_ptr<ObjectStore> store_;
};

// A case's operations, keeping a history in step: on a store (ids from its
// answers), or with no store as a prediction (new versions' ids unknown).
struct Model {
  ObjectStore* store;
  History& h;
  bool suspended = false;

  Status SetVersioning(const std::string& state) {
    suspended = state == "Suspended";
    return store ? store->PutBucketVersioning("bkt", state) : Status::Ok();
  }

  Status Put(const std::string& key, const std::string& data) {
    std::string id = suspended ? "null" : "";
    if (store) {
      PutRequest request;
      request.bucket = "bkt";
      request.key = key;
      request.expected_size = static_cast<int64_t>(data.size());
      auto writer = store->BeginPut(std::move(request));
      if (!writer.ok()) return writer.status();
      if (Status s = (*writer)->Write(data); !s.ok()) return s;
      auto meta = (*writer)->Commit(ObjectMeta{});
      if (!meta.ok()) return meta.status();
      id = meta->version_id;
    }
    auto& versions = h[key];
    if (id == "null") {  // a null version replaces the null one
      std::erase_if(versions, [](const Version& v) { return v.id == "null"; });
    }
    versions.insert(versions.begin(), Version{id, data});
    return Status::Ok();
  }

  Status Delete(const std::string& key, const std::string& version_id = "") {
    std::string id = suspended ? "null" : "";
    if (store) {
      auto deleted = store->DeleteObjectVersion("bkt", key, version_id, false);
      if (!deleted.ok()) return deleted.status();
      id = deleted->version_id;
    }
    auto& versions = h[key];
    if (version_id.empty()) {
      if (id == "null") {
        std::erase_if(versions, [](const Version& v) { return v.id == "null"; });
      }
      versions.insert(versions.begin(), Version{id, std::nullopt});
    } else {
      std::erase_if(versions, [&](const Version& v) { return v.id == version_id; });
    }
    if (versions.empty()) h.erase(key);
    return Status::Ok();
  }

  // The id of `key`'s i-th version, newest first.
  std::string Id(const std::string& key, size_t i) const { return h.at(key).at(i).id; }
};

struct Case {
  const char* name;
  std::function<void(Model&)> setup;  // answered before the crash point is armed
  std::function<Status(Model&)> op;   // stopped at each of its steps in turn
};

void CheckEveryCrashPoint(const Case& c, bool async) {
  for (int64_t n = 0;; ++n) {
    SCOPED_TRACE(std::string(c.name) + ", stopped after " + std::to_string(n) + " steps");
    ASSERT_LT(n, 200) << "the operation never ran to its end";
    Run run(async);
    ASSERT_TRUE(run.store().CreateBucket("bkt").ok());
    History before;
    Model setup{&run.store(), before};
    ASSERT_TRUE(setup.SetVersioning("Enabled").ok());
    c.setup(setup);
    ASSERT_FALSE(::testing::Test::HasFailure());
    History predicted = before;
    Model prediction{nullptr, predicted, setup.suspended};
    ASSERT_TRUE(c.op(prediction).ok());
    History after = before;
    Model op{&run.store(), after, setup.suspended};
    run.crash().Arm(n);
    Status answered = c.op(op);
    const bool ran_to_end = !run.crash().stopped();
    ASSERT_TRUE(answered.ok() || !ran_to_end) << answered.message();
    run.CrashCutAndRestart();
    History shown = run.Shown();
    if (answered.ok()) {
      EXPECT_TRUE(Matches(shown, after)) << "shown:\n"
                                         << Describe(shown) << "want:\n"
                                         << Describe(after);
    } else {  // not answered: all of it or nothing
      EXPECT_TRUE(Matches(shown, before) || Matches(shown, predicted))
          << "shown:\n"
          << Describe(shown) << "before:\n"
          << Describe(before) << "or:\n"
          << Describe(predicted);
    }
    if (ran_to_end || ::testing::Test::HasFailure()) return;
  }
}

constexpr bool kSync = false;
constexpr bool kAsync = true;

void PutThree(Model& m) {
  ASSERT_TRUE(m.Put("d/k", "one").ok());
  ASSERT_TRUE(m.Put("d/k", "two").ok());
  ASSERT_TRUE(m.Put("d/k", "three").ok());
  ASSERT_TRUE(m.Put("other", "unrelated").ok());
}

TEST(VersionsCrashPointTest, PutOverALatest) {
  CheckEveryCrashPoint(
      {"PUT over a latest", PutThree, [](Model& m) { return m.Put("d/k", "four"); }}, kSync);
}

TEST(VersionsCrashPointTest, PutOfANewKey) {
  CheckEveryCrashPoint({"PUT of a new key", PutThree, [](Model& m) { return m.Put("e/new", "x"); }},
                       kSync);
}

TEST(VersionsCrashPointTest, DeleteMakesAMarker) {
  CheckEveryCrashPoint({"DELETE", PutThree, [](Model& m) { return m.Delete("d/k"); }}, kSync);
}

TEST(VersionsCrashPointTest, PutOverADeleteMarker) {
  CheckEveryCrashPoint({"PUT over a marker",
                        [](Model& m) {
                          PutThree(m);
                          ASSERT_TRUE(m.Delete("d/k").ok());
                        },
                        [](Model& m) { return m.Put("d/k", "back"); }},
                       kSync);
}

TEST(VersionsCrashPointTest, DeleteOfTheLatestByIdBringsBackTheNext) {
  CheckEveryCrashPoint(
      {"DELETE latest by id", PutThree, [](Model& m) { return m.Delete("d/k", m.Id("d/k", 0)); }},
      kSync);
}

TEST(VersionsCrashPointTest, DeleteOfAnOlderVersionById) {
  CheckEveryCrashPoint(
      {"DELETE older by id", PutThree, [](Model& m) { return m.Delete("d/k", m.Id("d/k", 1)); }},
      kSync);
}

TEST(VersionsCrashPointTest, DeleteOfAMarkerById) {
  CheckEveryCrashPoint({"DELETE marker by id",
                        [](Model& m) {
                          PutThree(m);
                          ASSERT_TRUE(m.Delete("d/k").ok());
                        },
                        [](Model& m) { return m.Delete("d/k", m.Id("d/k", 0)); }},
                       kSync);
}

TEST(VersionsCrashPointTest, SuspendedPutReplacesTheNullVersion) {
  CheckEveryCrashPoint({"suspended PUT",
                        [](Model& m) {
                          PutThree(m);
                          ASSERT_TRUE(m.SetVersioning("Suspended").ok());
                          ASSERT_TRUE(m.Put("d/k", "null one").ok());
                        },
                        [](Model& m) { return m.Put("d/k", "null two"); }},
                       kSync);
}

TEST(VersionsCrashPointTest, SuspendedDeleteReplacesTheNullVersionWithAMarker) {
  CheckEveryCrashPoint({"suspended DELETE",
                        [](Model& m) {
                          PutThree(m);
                          ASSERT_TRUE(m.SetVersioning("Suspended").ok());
                          ASSERT_TRUE(m.Put("d/k", "null one").ok());
                        },
                        [](Model& m) { return m.Delete("d/k"); }},
                       kSync);
}

// Under the async engine a PUT is one intent (the old latest displaced, the
// new one linked) answered once journaled, and so is a DELETE of a key with a
// plain file (the marker made, the old latest displaced, the name unlinked)
// and a Suspended write (dropping the null version it replaces); the
// applier's steps are crash points too (every run waits for the pool's first
// fill: seconds, so few cases).
TEST(VersionsCrashPointTest, PutOverALatestUnderTheAsyncEngine) {
  CheckEveryCrashPoint(
      {"async PUT over a latest", PutThree, [](Model& m) { return m.Put("d/k", "four"); }}, kAsync);
}

TEST(VersionsCrashPointTest, PutOverADeleteMarkerUnderTheAsyncEngine) {
  CheckEveryCrashPoint({"async PUT over a marker",
                        [](Model& m) {
                          PutThree(m);
                          ASSERT_TRUE(m.Delete("d/k").ok());
                        },
                        [](Model& m) { return m.Put("d/k", "back"); }},
                       kAsync);
}

TEST(VersionsCrashPointTest, DeleteMakesAMarkerUnderTheAsyncEngine) {
  CheckEveryCrashPoint({"async DELETE", PutThree, [](Model& m) { return m.Delete("d/k"); }},
                       kAsync);
}

// The null marker in the history is dropped by the PUT's intent.
TEST(VersionsCrashPointTest, SuspendedPutOverANullMarkerUnderTheAsyncEngine) {
  CheckEveryCrashPoint({"async suspended PUT over a null marker",
                        [](Model& m) {
                          PutThree(m);
                          ASSERT_TRUE(m.SetVersioning("Suspended").ok());
                          ASSERT_TRUE(m.Delete("d/k").ok());
                        },
                        [](Model& m) { return m.Put("d/k", "null two"); }},
                       kAsync);
}

// The latest (with an id) displaced, a null marker made, the older null
// version in the history dropped: every step of the intent.
TEST(VersionsCrashPointTest, SuspendedDeleteUnderTheAsyncEngine) {
  CheckEveryCrashPoint({"async suspended DELETE",
                        [](Model& m) {
                          PutThree(m);
                          ASSERT_TRUE(m.SetVersioning("Suspended").ok());
                          ASSERT_TRUE(m.Put("d/k", "null one").ok());
                          ASSERT_TRUE(m.SetVersioning("Enabled").ok());
                          ASSERT_TRUE(m.Put("d/k", "four").ok());
                          ASSERT_TRUE(m.SetVersioning("Suspended").ok());
                        },
                        [](Model& m) { return m.Delete("d/k"); }},
                       kAsync);
}

}  // namespace
}  // namespace fsgate::store
