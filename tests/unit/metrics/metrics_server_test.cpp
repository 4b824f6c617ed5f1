#include "metrics/metrics_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>

#include "metrics/metrics.h"
#include "tests/unit/metrics/exposition_parse.h"

namespace fsgate::metrics {
namespace {

struct HttpReply {
  int status = 0;
  std::string headers;  // lower-cased, "name: value\r\n" each
  std::string body;
};

// A plain-socket HTTP/1.1 client: one request, Connection: close, read to EOF.
HttpReply Fetch(uint16_t port, const std::string& method, const std::string& target) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    throw std::runtime_error("connect");
  }
  const std::string request =
      method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  (void)!write(fd, request.data(), request.size());
  std::string raw;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) raw.append(buf, static_cast<size_t>(n));
  close(fd);
  HttpReply reply;
  const size_t head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos) return reply;
  reply.status = std::stoi(raw.substr(9, 3));
  reply.headers = raw.substr(0, head_end + 2);
  for (char& c : reply.headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  reply.body = raw.substr(head_end + 4);
  return reply;
}

class MetricsServerTest : public ::testing::Test {
 protected:
  MetricsServerTest() {
    MetricsServerOptions options;
    options.port = 0;
    options.version = "9.9.9";
    options.commit = "deadbee";
    options.ready = [this] { return ready_.load(); };
    options.admin_async_json = [] { return std::string(R"({"pending":0,"failed":[]})"); };
    server_ = std::make_unique<MetricsServer>(metrics_, options);
    server_->Start();
  }

  Metrics metrics_;
  std::atomic<bool> ready_{false};
  std::unique_ptr<MetricsServer> server_;
};

TEST_F(MetricsServerTest, PicksAPortWhenAskedForZero) { EXPECT_NE(server_->port(), 0); }

TEST_F(MetricsServerTest, ServesTheRegistryAsPrometheusText) {
  metrics_.HttpRequest("PutObject", 200, 0.01);
  metrics_.AddAsyncPending(AsyncOp::kCreate, 4);
  const HttpReply r = Fetch(server_->port(), "GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.headers.find("content-type: text/plain; version=0.0.4; charset=utf-8\r\n"),
            std::string::npos)
      << r.headers;
  const auto s = testing::ParseSamples(r.body);
  EXPECT_EQ(s.at("fsgate_http_requests_total{api=\"PutObject\",code=\"200\"}"), 1);
  EXPECT_EQ(s.at("fsgate_async_pending{op=\"create\"}"), 4);
  EXPECT_EQ(s.at("fsgate_build_info{commit=\"deadbee\",version=\"9.9.9\"}"), 1);
  EXPECT_GT(s.at("process_resident_memory_bytes"), 0);
}

TEST_F(MetricsServerTest, HealthAndReadiness) {
  HttpReply r = Fetch(server_->port(), "GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  r = Fetch(server_->port(), "GET", "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not ready\n");
  ready_ = true;
  r = Fetch(server_->port(), "GET", "/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ready\n");
}

TEST_F(MetricsServerTest, AdminAsyncIsJson) {
  const HttpReply r = Fetch(server_->port(), "GET", "/admin/async");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.headers.find("content-type: application/json\r\n"), std::string::npos);
  EXPECT_EQ(r.body, R"({"pending":0,"failed":[]})");
}

TEST_F(MetricsServerTest, UnknownPathIs404AndOtherMethods405) {
  EXPECT_EQ(Fetch(server_->port(), "GET", "/").status, 404);
  EXPECT_EQ(Fetch(server_->port(), "GET", "/metrics/x").status, 404);
  EXPECT_EQ(Fetch(server_->port(), "GET", "/bucket/key").status, 404);
  const HttpReply r = Fetch(server_->port(), "POST", "/metrics");
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(r.headers.find("allow: get\r\n"), std::string::npos);
  EXPECT_EQ(Fetch(server_->port(), "DELETE", "/readyz").status, 405);
}

TEST_F(MetricsServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server_->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string one = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string last = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const std::string both = one + last;
  ASSERT_EQ(write(fd, both.data(), both.size()), static_cast<ssize_t>(both.size()));
  std::string raw;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) raw.append(buf, static_cast<size_t>(n));
  close(fd);
  size_t answers = 0;
  for (size_t at = 0; (at = raw.find("HTTP/1.1 200 OK\r\n", at)) != std::string::npos; ++at)
    ++answers;
  EXPECT_EQ(answers, 2u) << raw;
}

TEST_F(MetricsServerTest, GarbageDoesNotKillTheListener) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server_->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string junk = "\x01\x02 not http at all\r\n\r\n";
  (void)!write(fd, junk.data(), junk.size());
  char buf[256];
  while (read(fd, buf, sizeof buf) > 0) {
  }
  close(fd);
  EXPECT_EQ(Fetch(server_->port(), "GET", "/healthz").status, 200);
}

// Scrapes run on the listener's thread while request threads add series.
TEST_F(MetricsServerTest, ScrapesWhileSeriesAreAdded) {
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    // At least 100 series updates even when the scrapes end before this
    // thread is first scheduled (seen on a loaded 2-core machine).
    for (int i = 0; !stop || i < 100; ++i) {
      metrics_.HttpRequest("Api" + std::to_string(i % 50), 200 + i % 7, 0.001);
      metrics_.SyncFallback("reason" + std::to_string(i % 5));
    }
  });
  for (int i = 0; i < 20; ++i) {
    const HttpReply r = Fetch(server_->port(), "GET", "/metrics");
    ASSERT_EQ(r.status, 200);
    EXPECT_NO_THROW(testing::ParseSamples(r.body));
  }
  stop = true;
  writer.join();
  const auto s = testing::ParseSamples(Fetch(server_->port(), "GET", "/metrics").body);
  double total = 0;
  for (const auto& [series, value] : s)
    if (series.rfind("fsgate_http_requests_total{", 0) == 0) total += value;
  double counted = 0;
  for (const auto& [series, value] : s)
    if (series.rfind("fsgate_http_request_seconds_count{", 0) == 0) counted += value;
  EXPECT_GT(total, 0);
  EXPECT_EQ(total, counted);
}

TEST(MetricsServer, BindFailureThrowsAClearError) {
  Metrics metrics;
  MetricsServerOptions options;
  options.port = 0;
  MetricsServer first(metrics, options);
  first.Start();
  options.port = first.port();
  MetricsServer second(metrics, options);
  try {
    second.Start();
    FAIL() << "second bind on the same port succeeded";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("127.0.0.1:" + std::to_string(first.port())), std::string::npos) << what;
    EXPECT_NE(what.find("in use"), std::string::npos) << what;
  }
}

TEST(MetricsServer, BadHostThrows) {
  Metrics metrics;
  MetricsServerOptions options;
  options.host = "256.1.1.1";
  options.port = 0;
  MetricsServer server(metrics, options);
  EXPECT_THROW(server.Start(), std::runtime_error);
}

TEST(MetricsServer, DestroyWithoutStartIsFine) {
  Metrics metrics;
  MetricsServer server(metrics, MetricsServerOptions{});
}

}  // namespace
}  // namespace fsgate::metrics
