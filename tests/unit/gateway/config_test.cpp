#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <fstream>

#include "gateway/s3_error.h"
#include "gateway/serve_config.h"

namespace fsgate::gateway {
namespace {

std::string WriteTemp(const std::string& text) {
  char path[] = "/tmp/fsgate-config-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(ServeConfigTest, FileValuesAndErrors) {
  ServeConfig c;
  std::string ok = WriteTemp(
      R"({"root":"/srv/s3","dirops":"sync","max_connections":7,"max_connections_per_client":3})");
  LoadConfigFile(ok, c);
  EXPECT_EQ(c.root, "/srv/s3");
  EXPECT_EQ(c.dirops, "sync");
  EXPECT_EQ(c.max_connections, 7);
  EXPECT_EQ(c.max_connections_per_client, 3);
  std::remove(ok.c_str());

  for (const char* bad : {R"({"root": 5})", R"({"nope": "x"})", "{not json", "[]"}) {
    std::string path = WriteTemp(bad);
    ServeConfig d;
    EXPECT_THROW(LoadConfigFile(path, d), std::runtime_error) << bad;
    std::remove(path.c_str());
  }
  ServeConfig missing;
  EXPECT_THROW(LoadConfigFile("/nonexistent/fsgate.json", missing), std::runtime_error);
}

TEST(ServeConfigTest, Validation) {
  ServeConfig c;
  c.root = "/tmp";
  EXPECT_NO_THROW(ValidateConfig(c));
  auto invalid = [](auto mutate) {
    ServeConfig x;
    x.root = "/tmp";
    mutate(x);
    EXPECT_THROW(ValidateConfig(x), std::runtime_error);
  };
  invalid([](ServeConfig& x) { x.dirops = "maybe"; });
  invalid([](ServeConfig& x) { x.fsync = "yes"; });
  invalid([](ServeConfig& x) { x.root.clear(); });
  invalid([](ServeConfig& x) { x.listen = "nohostport"; });
  invalid([](ServeConfig& x) { x.listen = "127.0.0.1:99999"; });
  invalid([](ServeConfig& x) { x.tls_cert = "a.pem"; });
  invalid([](ServeConfig& x) { x.metrics_listen = x.listen; });
  invalid([](ServeConfig& x) { x.max_connections_per_client = 0; });
  invalid([](ServeConfig& x) { x.backend = "cephfs"; });  // without --ceph-conf
  ServeConfig ceph;                                       // --root is the posix backend's
  ceph.backend = "cephfs";
  ceph.ceph_conf = "/etc/ceph/ceph.conf";
  EXPECT_NO_THROW(ValidateConfig(ceph));
}

TEST(ServeConfigTest, MultipartExpiry) {
  EXPECT_EQ(ServeConfig{}.multipart_expiry_seconds, 7 * 86400);
  EXPECT_EQ(ParseDurationSeconds("0", "--multipart-expiry"), 0);
  EXPECT_EQ(ParseDurationSeconds("90", "--multipart-expiry"), 90);
  EXPECT_EQ(ParseDurationSeconds("90s", "--multipart-expiry"), 90);
  EXPECT_EQ(ParseDurationSeconds("15m", "--multipart-expiry"), 900);
  EXPECT_EQ(ParseDurationSeconds("12h", "--multipart-expiry"), 43200);
  EXPECT_EQ(ParseDurationSeconds("7d", "--multipart-expiry"), 604800);
  for (const char* bad : {"", "d", "-1", "1.5h", "7 d", "3w", "7dd", "99999999999d"}) {
    EXPECT_THROW(ParseDurationSeconds(bad, "--multipart-expiry"), std::runtime_error) << bad;
  }
  ServeConfig c;
  std::string path = WriteTemp(R"({"multipart_expiry_seconds": 3600})");
  LoadConfigFile(path, c);
  EXPECT_EQ(c.multipart_expiry_seconds, 3600);
  std::remove(path.c_str());
  c.root = "/tmp";
  c.multipart_expiry_seconds = -1;
  EXPECT_THROW(ValidateConfig(c), std::runtime_error);
}

TEST(S3ErrorTest, StatusesAndXml) {
  EXPECT_EQ(HttpStatusForError("NoSuchKey"), 404);
  EXPECT_EQ(HttpStatusForError("BucketNotEmpty"), 409);
  EXPECT_EQ(HttpStatusForError("PreconditionFailed"), 412);
  EXPECT_EQ(HttpStatusForError("InvalidRange"), 416);
  EXPECT_EQ(HttpStatusForError("SignatureDoesNotMatch"), 403);
  EXPECT_EQ(HttpStatusForError("SlowDown"), 503);
  EXPECT_EQ(HttpStatusForError("NotImplemented"), 501);
  EXPECT_EQ(HttpStatusForError("SomethingElse"), 500);
  // Every "not configured" answer for a bucket sub-resource is a 404.
  for (const char* code :
       {"NoSuchBucketPolicy", "NoSuchCORSConfiguration", "NoSuchLifecycleConfiguration",
        "NoSuchTagSet", "NoSuchWebsiteConfiguration",
        "ServerSideEncryptionConfigurationNotFoundError", "ObjectLockConfigurationNotFoundError",
        "OwnershipControlsNotFoundError", "ReplicationConfigurationNotFoundError"}) {
    EXPECT_EQ(HttpStatusForError(code), 404) << code;
  }
  std::string xml = ErrorXml("NoSuchKey", "gone <here>", "/b/k", "REQ1");
  EXPECT_NE(xml.find("<Code>NoSuchKey</Code>"), std::string::npos);
  EXPECT_NE(xml.find("<Message>gone &lt;here&gt;</Message>"), std::string::npos);
  EXPECT_NE(xml.find("<Resource>/b/k</Resource>"), std::string::npos);
  EXPECT_NE(xml.find("<RequestId>REQ1</RequestId>"), std::string::npos);
}

}  // namespace
}  // namespace fsgate::gateway
