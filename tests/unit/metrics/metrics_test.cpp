#include "metrics/metrics.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <sstream>
#include <thread>
#include <vector>

#include "metrics/errno_name.h"
#include "metrics/exposition.h"
#include "tests/unit/metrics/exposition_parse.h"

namespace fsgate::metrics {
namespace {

using testing::ParseSamples;

std::map<std::string, double> Scrape(const Metrics& m) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, m.registry()->Collect());
  return ParseSamples(out.str());
}

// The value of a series that must exist (a missing one fails the test, rather
// than reading as 0).
double At(const std::map<std::string, double>& samples, const std::string& series) {
  auto it = samples.find(series);
  EXPECT_NE(it, samples.end()) << "missing series " << series;
  return it == samples.end() ? -1 : it->second;
}

TEST(Metrics, FixedSeriesExistAtZeroBeforeAnyOperation) {
  Metrics m;
  const auto s = Scrape(m);
  for (const char* op : {"create", "unlink"}) {
    const std::string o = std::string("op=\"") + op + "\"";
    EXPECT_EQ(At(s, "fsgate_async_pending{" + o + "}"), 0);
    EXPECT_EQ(At(s, "fsgate_async_ops_total{" + o + ",result=\"ok\"}"), 0);
    EXPECT_EQ(At(s, "fsgate_async_ops_total{" + o + ",result=\"error\"}"), 0);
    EXPECT_EQ(At(s, "fsgate_async_apply_seconds_count{" + o + "}"), 0);
    EXPECT_EQ(At(s, "fsgate_async_apply_seconds_bucket{" + o + ",le=\"0.0005\"}"), 0);
    EXPECT_EQ(At(s, "fsgate_async_apply_seconds_bucket{" + o + ",le=\"60\"}"), 0);
  }
  EXPECT_EQ(At(s, "fsgate_ino_mismatch_total"), 0);
  EXPECT_EQ(At(s, "fsgate_multipart_expired_total"), 0);
  EXPECT_EQ(At(s, "fsgate_journals_adopted_total"), 0);
  EXPECT_EQ(At(s, "fsgate_delegated_inodes_available"), 0);
  EXPECT_EQ(At(s, "fsgate_http_inflight_requests"), 0);
  EXPECT_EQ(At(s, "fsgate_http_bytes_total{direction=\"in\"}"), 0);
  EXPECT_EQ(At(s, "fsgate_http_bytes_total{direction=\"out\"}"), 0);
  EXPECT_EQ(At(s, "fsgate_commit_batch_size_count"), 0);
  EXPECT_EQ(At(s, "fsgate_commit_seconds_count"), 0);
  EXPECT_EQ(At(s, "fsgate_caps_held{mode=\"shared\"}"), 0);
  EXPECT_EQ(At(s, "fsgate_caps_held{mode=\"exclusive\"}"), 0);
  EXPECT_EQ(At(s, "fsgate_cap_revokes_total{role=\"holder\"}"), 0);
  EXPECT_EQ(At(s, "fsgate_cap_revokes_total{role=\"asker\"}"), 0);
  EXPECT_EQ(At(s, "fsgate_cap_revoke_wait_seconds_count"), 0);
}

TEST(Metrics, TypesAreDeclared) {
  Metrics m;
  // Families whose labels appear at run time have no series (so no TYPE line)
  // before their first use.
  m.AsyncError(AsyncOp::kCreate, EIO);
  m.SyncFallback("header");
  m.HttpRequest("GetObject", 200, 0.001);
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, m.registry()->Collect());
  const std::string text = out.str();
  for (const char* line : {
           "# TYPE fsgate_async_pending gauge",
           "# TYPE fsgate_async_ops_total counter",
           "# TYPE fsgate_async_errors_total counter",
           "# TYPE fsgate_ino_mismatch_total counter",
           "# TYPE fsgate_multipart_expired_total counter",
           "# TYPE fsgate_journals_adopted_total counter",
           "# TYPE fsgate_async_apply_seconds histogram",
           "# TYPE fsgate_delegated_inodes_available gauge",
           "# TYPE fsgate_sync_fallbacks_total counter",
           "# TYPE fsgate_commit_batch_size histogram",
           "# TYPE fsgate_commit_seconds histogram",
           "# TYPE fsgate_http_requests_total counter",
           "# TYPE fsgate_http_request_seconds histogram",
           "# TYPE fsgate_http_inflight_requests gauge",
           "# TYPE fsgate_http_bytes_total counter",
           "# TYPE fsgate_caps_held gauge",
           "# TYPE fsgate_cap_revokes_total counter",
           "# TYPE fsgate_cap_revoke_wait_seconds histogram",
           "# TYPE fsgate_list_cache_bytes gauge",
           "# TYPE fsgate_list_cache_lookups_total counter",
       })
    EXPECT_NE(text.find(std::string(line) + "\n"), std::string::npos) << line;
}

TEST(Metrics, PendingGoesUpAndDown) {
  Metrics m;
  m.AddAsyncPending(AsyncOp::kCreate, 3);
  m.AddAsyncPending(AsyncOp::kUnlink, 2);
  m.AddAsyncPending(AsyncOp::kCreate, -1);
  EXPECT_EQ(m.AsyncPending(AsyncOp::kCreate), 2);
  EXPECT_EQ(m.AsyncPending(AsyncOp::kUnlink), 2);
  m.AddAsyncPending(AsyncOp::kUnlink, -2);
  const auto s = Scrape(m);
  EXPECT_EQ(At(s, "fsgate_async_pending{op=\"create\"}"), 2);
  EXPECT_EQ(At(s, "fsgate_async_pending{op=\"unlink\"}"), 0);
}

TEST(Metrics, AppliedOpsCountByResultAndObserveLag) {
  Metrics m;
  m.AsyncApplied(AsyncOp::kCreate, true, 0.0003);  // first bucket
  m.AsyncApplied(AsyncOp::kCreate, true, 0.02);    // le=0.025
  m.AsyncApplied(AsyncOp::kCreate, false, 100);    // only +Inf
  m.AsyncApplied(AsyncOp::kUnlink, true, 0.001);   // le=0.001 (bounds are inclusive)
  const auto s = Scrape(m);
  EXPECT_EQ(At(s, "fsgate_async_ops_total{op=\"create\",result=\"ok\"}"), 2);
  EXPECT_EQ(At(s, "fsgate_async_ops_total{op=\"create\",result=\"error\"}"), 1);
  EXPECT_EQ(At(s, "fsgate_async_ops_total{op=\"unlink\",result=\"ok\"}"), 1);
  EXPECT_EQ(At(s, "fsgate_async_ops_total{op=\"unlink\",result=\"error\"}"), 0);
  EXPECT_EQ(At(s, "fsgate_async_apply_seconds_count{op=\"create\"}"), 3);
  EXPECT_DOUBLE_EQ(At(s, "fsgate_async_apply_seconds_sum{op=\"create\"}"), 100.0203);
  EXPECT_EQ(At(s, "fsgate_async_apply_seconds_bucket{op=\"create\",le=\"0.0005\"}"), 1);
  EXPECT_EQ(At(s, "fsgate_async_apply_seconds_bucket{op=\"create\",le=\"0.01\"}"), 1);
  EXPECT_EQ(At(s, "fsgate_async_apply_seconds_bucket{op=\"create\",le=\"0.025\"}"), 2);
  EXPECT_EQ(At(s, "fsgate_async_apply_seconds_bucket{op=\"create\",le=\"60\"}"), 2);
  EXPECT_EQ(At(s, "fsgate_async_apply_seconds_bucket{op=\"create\",le=\"+Inf\"}"), 3);
  EXPECT_EQ(At(s, "fsgate_async_apply_seconds_bucket{op=\"unlink\",le=\"0.0005\"}"), 0);
  EXPECT_EQ(At(s, "fsgate_async_apply_seconds_bucket{op=\"unlink\",le=\"0.001\"}"), 1);
}

TEST(Metrics, ErrorsAreLabelledWithTheSymbolicErrnoName) {
  Metrics m;
  m.AsyncError(AsyncOp::kCreate, EIO);
  m.AsyncError(AsyncOp::kCreate, EIO);
  m.AsyncError(AsyncOp::kCreate, ENOSPC);
  m.AsyncError(AsyncOp::kUnlink, EIO);
  m.AsyncError(AsyncOp::kUnlink, 9999);
  const auto s = Scrape(m);
  EXPECT_EQ(At(s, "fsgate_async_errors_total{errno=\"EIO\",op=\"create\"}"), 2);
  EXPECT_EQ(At(s, "fsgate_async_errors_total{errno=\"ENOSPC\",op=\"create\"}"), 1);
  EXPECT_EQ(At(s, "fsgate_async_errors_total{errno=\"EIO\",op=\"unlink\"}"), 1);
  EXPECT_EQ(At(s, "fsgate_async_errors_total{errno=\"errno_9999\",op=\"unlink\"}"), 1);
  EXPECT_EQ(s.count("fsgate_async_errors_total{errno=\"ENOSPC\",op=\"unlink\"}"), 0u);
}

TEST(Metrics, ErrnoNames) {
  EXPECT_EQ(ErrnoName(EIO), "EIO");
  EXPECT_EQ(ErrnoName(ENOSPC), "ENOSPC");
  EXPECT_EQ(ErrnoName(EDQUOT), "EDQUOT");
  EXPECT_EQ(ErrnoName(ESTALE), "ESTALE");
  EXPECT_EQ(ErrnoName(-5), "errno_-5");
}

TEST(Metrics, InoMismatchDelegatedPoolAndFallbacks) {
  Metrics m;
  m.InoMismatch();
  m.InoMismatch();
  m.SetDelegatedInodesAvailable(128);
  m.SetDelegatedInodesAvailable(97);
  m.SyncFallback("no_delegated_inode");
  m.SyncFallback("header");
  m.SyncFallback(std::string("header"));
  EXPECT_EQ(m.InoMismatchTotal(), 2);
  m.MultipartExpired();
  EXPECT_EQ(m.MultipartExpiredTotal(), 1);
  m.JournalAdopted();
  EXPECT_EQ(m.JournalsAdoptedTotal(), 1);
  const auto s = Scrape(m);
  EXPECT_EQ(At(s, "fsgate_multipart_expired_total"), 1);
  EXPECT_EQ(At(s, "fsgate_journals_adopted_total"), 1);
  EXPECT_EQ(At(s, "fsgate_ino_mismatch_total"), 2);
  EXPECT_EQ(At(s, "fsgate_delegated_inodes_available"), 97);
  EXPECT_EQ(At(s, "fsgate_sync_fallbacks_total{reason=\"no_delegated_inode\"}"), 1);
  EXPECT_EQ(At(s, "fsgate_sync_fallbacks_total{reason=\"header\"}"), 2);
}

TEST(Metrics, CommitHistogramsUsePowerOfTwoBatchBuckets) {
  Metrics m;
  m.Commit(1, 0.0004);
  m.Commit(3, 0.002);
  m.Commit(1024, 0.002);
  m.Commit(5000, 3);
  const auto s = Scrape(m);
  EXPECT_EQ(At(s, "fsgate_commit_batch_size_count"), 4);
  EXPECT_EQ(At(s, "fsgate_commit_batch_size_sum"), 6028);
  EXPECT_EQ(At(s, "fsgate_commit_batch_size_bucket{le=\"1\"}"), 1);
  EXPECT_EQ(At(s, "fsgate_commit_batch_size_bucket{le=\"2\"}"), 1);
  EXPECT_EQ(At(s, "fsgate_commit_batch_size_bucket{le=\"4\"}"), 2);
  EXPECT_EQ(At(s, "fsgate_commit_batch_size_bucket{le=\"512\"}"), 2);
  EXPECT_EQ(At(s, "fsgate_commit_batch_size_bucket{le=\"1024\"}"), 3);
  EXPECT_EQ(At(s, "fsgate_commit_batch_size_bucket{le=\"+Inf\"}"), 4);
  EXPECT_EQ(At(s, "fsgate_commit_seconds_count"), 4);
  EXPECT_EQ(At(s, "fsgate_commit_seconds_bucket{le=\"0.0005\"}"), 1);
  EXPECT_EQ(At(s, "fsgate_commit_seconds_bucket{le=\"0.0025\"}"), 3);
}

TEST(Metrics, HttpRequestsByApiAndCode) {
  Metrics m;
  m.HttpRequest("PutObject", 200, 0.003);
  m.HttpRequest("PutObject", 200, 0.004);
  m.HttpRequest("GetObject", 404, 0.0001);
  m.HttpRequest("GetObject", 200, 2);
  m.HttpRequest(std::string("PutObject"), 403, 0.001);
  m.AddHttpInflight(3);
  m.AddHttpInflight(-1);
  m.HttpBytes(Direction::kIn, 1000);
  m.HttpBytes(Direction::kIn, 24);
  m.HttpBytes(Direction::kOut, 5);
  const auto s = Scrape(m);
  EXPECT_EQ(At(s, "fsgate_http_requests_total{api=\"PutObject\",code=\"200\"}"), 2);
  EXPECT_EQ(At(s, "fsgate_http_requests_total{api=\"PutObject\",code=\"403\"}"), 1);
  EXPECT_EQ(At(s, "fsgate_http_requests_total{api=\"GetObject\",code=\"404\"}"), 1);
  EXPECT_EQ(At(s, "fsgate_http_requests_total{api=\"GetObject\",code=\"200\"}"), 1);
  EXPECT_EQ(At(s, "fsgate_http_request_seconds_count{api=\"PutObject\"}"), 3);
  EXPECT_EQ(At(s, "fsgate_http_request_seconds_count{api=\"GetObject\"}"), 2);
  EXPECT_EQ(At(s, "fsgate_http_request_seconds_bucket{api=\"GetObject\",le=\"0.0005\"}"), 1);
  EXPECT_EQ(At(s, "fsgate_http_request_seconds_bucket{api=\"GetObject\",le=\"2.5\"}"), 2);
  EXPECT_EQ(At(s, "fsgate_http_inflight_requests"), 2);
  EXPECT_EQ(At(s, "fsgate_http_bytes_total{direction=\"in\"}"), 1024);
  EXPECT_EQ(At(s, "fsgate_http_bytes_total{direction=\"out\"}"), 5);
}

// The cached series pointers are shared by every request thread: no count may
// be lost while new label sets are being added concurrently.
TEST(Metrics, ConcurrentUpdatesLoseNothing) {
  Metrics m;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  const std::vector<std::string> apis = {"PutObject", "GetObject", "DeleteObject", "ListObjectsV2"};
  const std::vector<int> codes = {200, 204, 404, 500};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        m.HttpRequest(apis[(i + t) % apis.size()], codes[i % codes.size()], 0.001);
        m.AsyncError(AsyncOp::kCreate, i % 2 ? EIO : ENOSPC);
        m.AddAsyncPending(AsyncOp::kUnlink, 1);
        m.AddAsyncPending(AsyncOp::kUnlink, -1);
      }
    });
  for (auto& th : threads) th.join();
  const auto s = Scrape(m);
  double total = 0;
  for (const auto& api : apis)
    for (int code : codes) {
      auto it = s.find("fsgate_http_requests_total{api=\"" + api + "\",code=\"" +
                       std::to_string(code) + "\"}");
      if (it != s.end()) total += it->second;
    }
  EXPECT_EQ(total, kThreads * kPerThread);
  EXPECT_EQ(At(s, "fsgate_async_errors_total{errno=\"EIO\",op=\"create\"}") +
                At(s, "fsgate_async_errors_total{errno=\"ENOSPC\",op=\"create\"}"),
            kThreads * kPerThread);
  EXPECT_EQ(At(s, "fsgate_async_pending{op=\"unlink\"}"), 0);
}

TEST(Exposition, HasBuildInfoAndProcessSeries) {
  Metrics m;
  m.InoMismatch();
  const std::string text = RenderExposition(m, "1.2.3", "abc1234");
  const auto s = ParseSamples(text);
  EXPECT_EQ(At(s, "fsgate_build_info{commit=\"abc1234\",version=\"1.2.3\"}"), 1);
  EXPECT_EQ(At(s, "fsgate_ino_mismatch_total"), 1);
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
  EXPECT_GT(At(s, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GE(At(s, "process_virtual_memory_bytes"), At(s, "process_resident_memory_bytes"));
  EXPECT_GE(At(s, "process_open_fds"), 3);  // at least stdin, stdout, stderr
  EXPECT_GE(At(s, "process_max_fds"), At(s, "process_open_fds"));
  EXPECT_GE(At(s, "process_cpu_seconds_total"), 0);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double started = At(s, "process_start_time_seconds");
  EXPECT_LE(started, now + 1);
  EXPECT_GT(started, now - 3600);  // this test process started within the hour
}

TEST(Exposition, OpenFdsFollowsTheProcess) {
  Metrics m;
  const double before = At(ParseSamples(RenderExposition(m, "v", "c")), "process_open_fds");
  const int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const double during = At(ParseSamples(RenderExposition(m, "v", "c")), "process_open_fds");
  close(fd);
  EXPECT_EQ(during, before + 1);
}

}  // namespace
}  // namespace fsgate::metrics
