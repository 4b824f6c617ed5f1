#include <gtest/gtest.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>

#include "gateway/s3_error.h"
#include "gateway/serve_config.h"
#include "store/s3_errors.h"

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
      R"({"root":"/srv/s3","dirops":"sync","max_connections":7,"max_connections_per_client":3,)"
      R"("gateway_id":"east-1","key_conflicts":"nest"})");
  LoadConfigFile(ok, c);
  EXPECT_EQ(c.root, "/srv/s3");
  EXPECT_EQ(c.given.dirops, "sync");
  EXPECT_EQ(c.max_connections, 7);
  EXPECT_EQ(c.max_connections_per_client, 3);
  EXPECT_EQ(c.gateway_id, "east-1");
  EXPECT_EQ(c.given.key_conflicts, "nest");
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
  invalid([](ServeConfig& x) { x.given.dirops = "maybe"; });
  invalid([](ServeConfig& x) { x.given.fsync = "yes"; });
  invalid([](ServeConfig& x) { x.root.clear(); });
  invalid([](ServeConfig& x) { x.listen = "nohostport"; });
  invalid([](ServeConfig& x) { x.listen = "127.0.0.1:99999"; });
  invalid([](ServeConfig& x) { x.tls_cert = "a.pem"; });
  invalid([](ServeConfig& x) { x.metrics_listen = x.listen; });
  invalid([](ServeConfig& x) { x.max_connections_per_client = 0; });
  invalid([](ServeConfig& x) { x.gateway_id = "Gw-1"; });
  invalid([](ServeConfig& x) { x.gateway_id = "../gw"; });
  c.gateway_id = "gw-1_b";
  EXPECT_NO_THROW(ValidateConfig(c));
  invalid([](ServeConfig& x) { x.given.backend = "cephfs"; });  // without --ceph-conf
  ServeConfig ceph;                                             // --root is the posix backend's
  ceph.given.backend = "cephfs";
  ceph.ceph_conf = "/etc/ceph/ceph.conf";
  EXPECT_NO_THROW(ValidateConfig(ceph));
}

// The words of --dirops, --fsync, --backend, --log-level and --log-format
// become enums once, with today's error line for a word that is none of them.
TEST(ServeConfigTest, ChoicesParsedOnceWithTheirErrorLines) {
  ServeConfig c;
  c.root = "/tmp";
  ValidateConfig(c);
  EXPECT_EQ(c.dirops, Dirops::kAsync);
  EXPECT_EQ(c.fsync, Fsync::kOn);
  EXPECT_EQ(c.backend, BackendKind::kPosix);
  EXPECT_EQ(c.log_level, LogLevel::kInfo);
  EXPECT_EQ(c.log_format, LogFormat::kText);
  EXPECT_EQ(c.key_conflicts, KeyConflicts::kReject);
  c.given = {.dirops = "sync",
             .fsync = "off",
             .backend = "posix",
             .log_level = "error",
             .log_format = "json",
             .key_conflicts = "nest"};
  ValidateConfig(c);
  EXPECT_EQ(c.dirops, Dirops::kSync);
  EXPECT_EQ(c.fsync, Fsync::kOff);
  EXPECT_EQ(c.log_level, LogLevel::kError);
  EXPECT_EQ(c.log_format, LogFormat::kJson);
  EXPECT_EQ(c.key_conflicts, KeyConflicts::kNest);
  EXPECT_EQ(ConfigName(c.key_conflicts), "nest");
  EXPECT_EQ(ConfigName(c.log_level), "error");
  EXPECT_EQ(ConfigName(BackendKind::kCephfs), "cephfs");

  auto error_line = [](auto mutate) -> std::string {
    ServeConfig x;
    x.root = "/tmp";
    mutate(x);
    try {
      ValidateConfig(x);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_EQ(error_line([](ServeConfig& x) { x.given.dirops = "maybe"; }),
            "--dirops: 'maybe' is not one of async|sync");
  EXPECT_EQ(error_line([](ServeConfig& x) { x.given.fsync = "yes"; }),
            "--fsync: 'yes' is not one of on|off");
  EXPECT_EQ(error_line([](ServeConfig& x) { x.given.key_conflicts = "merge"; }),
            "--key-conflicts: 'merge' is not one of reject|nest");
  EXPECT_EQ(error_line([](ServeConfig& x) { x.given.backend = "nfs"; }),
            "--backend: 'nfs' is not one of posix|cephfs");
  EXPECT_EQ(error_line([](ServeConfig& x) { x.given.log_level = "loud"; }),
            "--log-level: 'loud' is not one of trace|debug|info|warn|error|off");
  EXPECT_EQ(error_line([](ServeConfig& x) { x.given.log_format = "xml"; }),
            "--log-format: 'xml' is not one of text|json");
  // --root is checked first, and only for the posix backend.
  EXPECT_EQ(error_line([](ServeConfig& x) {
              x.root.clear();
              x.given.dirops = "maybe";
            }),
            "--root is required");
  EXPECT_EQ(error_line([](ServeConfig& x) {
              x.root.clear();
              x.given.backend = "cephfs";
              x.given.dirops = "maybe";
            }),
            "--dirops: 'maybe' is not one of async|sync");
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

// The one mapping of a failed Status to an S3 error: a system error never
// shows its errno text, and a full filesystem asks the client to retry.
TEST(S3ErrorTest, StatusMapping) {
  const S3ErrorOfStatus full = S3ErrorFor(Status::Errno(ENOSPC, "write /srv/b/k: no space"));
  EXPECT_EQ(full.code, "SlowDown");
  EXPECT_EQ(full.message, DefaultErrorMessage("SlowDown"));
  const S3ErrorOfStatus io = S3ErrorFor(Status::Errno(EIO, "fsync /srv/b/k"));
  EXPECT_EQ(io.code, "InternalError");
  EXPECT_EQ(io.message.find("/srv"), std::string_view::npos);
  const S3ErrorOfStatus s3 = S3ErrorFor(S3Error(s3err::kNoSuchKey, "gone"));
  EXPECT_EQ(s3.code, "NoSuchKey");
  EXPECT_EQ(s3.message, "gone");
}

}  // namespace
}  // namespace fsgate::gateway
