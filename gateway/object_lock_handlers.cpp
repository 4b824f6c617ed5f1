// S3 Object Lock: Put/GetObjectLockConfiguration of a bucket,
// Put/GetObjectRetention and Put/GetObjectLegalHold of a version, the
// x-amz-object-lock-* headers of the writes that make a version and of
// GET/HEAD, and the check that keeps a locked version from being removed.
// The rules themselves are store/object_lock.h's.
#include <charconv>
#include <chrono>

#include "base/iso8601.h"
#include "gateway/authorize.h"
#include "gateway/s3_handlers.h"
#include "gateway/s3_time.h"
#include "store/object_lock.h"
#include "store/s3_errors.h"

namespace fsgate::gateway {
namespace {

constexpr const char* kModeHeader = "x-amz-object-lock-mode";
constexpr const char* kUntilHeader = "x-amz-object-lock-retain-until-date";
constexpr const char* kLegalHoldHeader = "x-amz-object-lock-legal-hold";
// AWS's upper limits of a default retention period.
constexpr int64_t kMaxDays = 36500;
constexpr int64_t kMaxYears = 100;

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status MissingLockConfiguration() {
  return S3Error(s3err::kInvalidRequest, "Bucket is missing Object Lock Configuration");
}

// A RetainUntilDate, which must be in the future: fsgate's clock counts
// nanoseconds in 64 bits, so a date past 2255 is refused rather than wrapped.
Result<int64_t> RetainUntil(std::string_view text) {
  constexpr int64_t kLastSecond = 9'000'000'000;
  auto until_s = ParseIso8601Seconds(text);
  if (!until_s) {
    return S3Error(s3err::kInvalidArgument,
                   "The retain until date must be provided in ISO 8601 format");
  }
  if (*until_s <= NowSeconds()) {
    return S3Error(s3err::kInvalidArgument, "The retain until date must be in the future!");
  }
  if (*until_s > kLastSecond) {
    return S3Error(s3err::kInvalidArgument, "The retain until date must be before 2255.");
  }
  return *until_s;
}

// A positive integer element of a DefaultRetention; MalformedXML when it is
// not a number, InvalidRetentionPeriod when it is not positive or too long.
Status ReadPeriod(pugi::xml_node rule, const char* name, int64_t max, int64_t& out) {
  const std::string text = ChildText(rule, name);
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return S3Error(s3err::kMalformedXML, std::string(DefaultErrorMessage("MalformedXML")));
  }
  if (n <= 0) {
    return S3Error("InvalidRetentionPeriod",
                   "Default retention period must be a positive integer value.");
  }
  if (n > max) return S3Error("InvalidRetentionPeriod", "Default retention period is too large.");
  out = n;
  return Status::Ok();
}

// The answers of the object-level operations on a bucket without object lock.
bool RequireObjectLock(S3Context& ctx) {
  if (!ctx.bucket_attributes.object_lock.empty()) return true;
  ctx.Error(MissingLockConfiguration());
  return false;
}

// The version the request names (versionId, else the latest) in a bucket
// with object lock, read; false after answering an error.
bool ReadLockedVersion(S3Context& ctx, store::ObjectMeta& meta) {
  if (!RequireObjectLock(ctx)) return false;
  std::string version_id;
  if (!ReadVersionId(ctx, version_id)) return false;
  auto reader = ReadObjectVersion(ctx, version_id);
  if (!reader.ok()) {
    ErrorOfVersionRead(ctx, reader.status(), version_id);
    return false;
  }
  meta = (*reader)->meta();
  return true;
}

// The document of a Put request, which must come with Content-MD5 or a
// checksum as AWS requires; `of_version`: of a version, in a bucket with
// object lock. An empty node after answering an error.
pugi::xml_node ReadLockDocument(S3Context& ctx, const char* root_name, pugi::xml_document& doc,
                                bool of_version) {
  if (of_version && !RequireObjectLock(ctx)) return {};
  auto body = ReadXmlBody(ctx, /*integrity_required=*/true);
  if (!body.ok()) {
    ctx.Error(body.status());
    return {};
  }
  auto root = ParseXmlBody(*body, root_name, doc);
  if (!root) ctx.Error("MalformedXML");
  return root;
}

// Applies `change` to the version the request names, answering 200 or the error.
void ChangeVersionLock(S3Context& ctx, const std::function<Status(store::ObjectMeta&)>& change) {
  std::string version_id;
  if (!ReadVersionId(ctx, version_id)) return;
  auto meta = ctx.store.UpdateVersionMeta(ctx.bucket, ctx.key, version_id, change);
  if (!meta.ok()) return ErrorOfVersionRead(ctx, meta.status(), version_id);
  http::Headers extra;
  AppendVersionHeader(*meta, extra);
  ctx.SendEmpty(200, std::move(extra));
}

}  // namespace

void DefaultObjectLock(const S3Context& ctx, store::ObjectLock& lock) {
  if (auto rule = store::DecodeDefaultRetention(ctx.bucket_attributes.object_lock)) {
    lock.mode = rule->mode;
    lock.until_s = rule->UntilFrom(NowSeconds());
  }
}

bool ObjectLockFromRequest(S3Context& ctx, store::ObjectLock& lock) {
  const std::string* mode = ctx.request.Header(kModeHeader);
  const std::string* until = ctx.request.Header(kUntilHeader);
  const std::string* hold = ctx.request.Header(kLegalHoldHeader);
  const std::string& configured = ctx.bucket_attributes.object_lock;
  if (mode == nullptr && until == nullptr && hold == nullptr) {
    DefaultObjectLock(ctx, lock);
    return true;
  }
  Status s;
  if (configured.empty()) {
    s = MissingLockConfiguration();
  } else if ((mode != nullptr && !MayOnObject(ctx, ctx.key, "s3:PutObjectRetention")) ||
             (hold != nullptr && !MayOnObject(ctx, ctx.key, "s3:PutObjectLegalHold"))) {
    // A write that sets a lock needs the permission to set it, as in AWS.
    s = S3Error(s3err::kAccessDenied, "Access Denied");
  } else if ((mode == nullptr) != (until == nullptr)) {
    s = S3Error(s3err::kInvalidArgument,
                "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be "
                "supplied");
  } else if (mode != nullptr && !store::IsRetentionMode(*mode)) {
    s = S3Error(s3err::kInvalidArgument, "Unknown wormMode directive.");
  } else if (hold != nullptr && *hold != "ON" && *hold != "OFF") {
    s = S3Error(s3err::kInvalidArgument, "Legal Hold must be either of 'ON' or 'OFF'");
  }
  Result<int64_t> until_s = int64_t{0};
  if (s.ok() && until != nullptr) {
    until_s = RetainUntil(*until);
    s = until_s.status();
  }
  if (!s.ok()) {
    ctx.Error(s);
    return false;
  }
  if (mode != nullptr) {
    lock.mode = *mode;
    lock.until_s = *until_s;
  } else {
    DefaultObjectLock(ctx, lock);
  }
  lock.legal_hold = hold != nullptr && *hold == "ON";
  return true;
}

void AppendObjectLockHeaders(const store::ObjectMeta& meta, http::Headers& headers) {
  if (!meta.lock.mode.empty()) {
    headers.emplace_back(kModeHeader, meta.lock.mode);
    headers.emplace_back(kUntilHeader, FormatIso8601(meta.lock.until_s * 1'000'000'000));
  }
  if (meta.lock.legal_hold) headers.emplace_back(kLegalHoldHeader, "ON");
}

Status CheckVersionRemovable(S3Context& ctx, const std::string& key,
                             const std::string& version_id) {
  if (version_id.empty() || ctx.bucket_attributes.object_lock.empty()) return Status::Ok();
  auto version = ctx.store.GetObjectVersion(ctx.bucket, key, version_id);
  // A delete marker, or a version that is not there: nothing locks it, and
  // the delete answers as it would without object lock.
  if (!version.ok()) return Status::Ok();
  return store::MayRemoveVersion((*version)->meta().lock, NowSeconds(),
                                 MayBypassGovernance(ctx, key));
}

// <ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>
// [<Rule><DefaultRetention><Mode>M</Mode><Days>N</Days>|<Years>N</Years>
// </DefaultRetention></Rule>]</ObjectLockConfiguration>
void PutObjectLockConfiguration(S3Context& ctx) {
  pugi::xml_document doc;
  auto root = ReadLockDocument(ctx, "ObjectLockConfiguration", doc, /*of_version=*/false);
  if (!root) return;
  if (ChildText(root, "ObjectLockEnabled") != "Enabled") return ctx.Error("MalformedXML");
  std::optional<store::DefaultRetention> rule;
  if (auto rule_node = root.child("Rule")) {
    auto retention = rule_node.child("DefaultRetention");
    rule.emplace();
    rule->mode = ChildText(retention, "Mode");
    const bool days = retention.child("Days");
    const bool years = retention.child("Years");
    if (!retention || !store::IsRetentionMode(rule->mode) || days == years) {
      return ctx.Error("MalformedXML");
    }
    Status s = days ? ReadPeriod(retention, "Days", kMaxDays, rule->days)
                    : ReadPeriod(retention, "Years", kMaxYears, rule->years);
    if (!s.ok()) return ctx.Error(s);
  }
  Status s = ctx.store.PutBucketObjectLock(ctx.bucket, store::EncodeBucketObjectLock(rule));
  if (!s.ok()) return ctx.Error(s);
  ctx.SendEmpty(200);
}

void GetObjectLockConfiguration(S3Context& ctx) {
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) return ctx.Error(info.status());
  const std::string& configured = info->attributes.object_lock;
  if (configured.empty()) return ctx.Error("ObjectLockConfigurationNotFoundError");
  XmlResponse xml("ObjectLockConfiguration");
  AddText(xml.root(), "ObjectLockEnabled", "Enabled");
  if (auto rule = store::DecodeDefaultRetention(configured)) {
    auto retention = xml.root().append_child("Rule").append_child("DefaultRetention");
    AddText(retention, "Mode", rule->mode);
    if (rule->days > 0) {
      AddText(retention, "Days", std::to_string(rule->days));
    } else {
      AddText(retention, "Years", std::to_string(rule->years));
    }
  }
  ctx.SendXml(200, xml);
}

// <Retention><Mode>M</Mode><RetainUntilDate>ISO 8601</RetainUntilDate></Retention>;
// both absent removes the retention (GOVERNANCE with the bypass only).
void PutObjectRetention(S3Context& ctx) {
  pugi::xml_document doc;
  auto root = ReadLockDocument(ctx, "Retention", doc, /*of_version=*/true);
  if (!root) return;
  const std::string mode = ChildText(root, "Mode");
  const bool has_until = root.child("RetainUntilDate");
  if (!mode.empty() && !store::IsRetentionMode(mode)) return ctx.Error("MalformedXML");
  if (mode.empty() == has_until) return ctx.Error("MalformedXML");
  int64_t until_s = 0;
  if (has_until) {
    auto parsed = RetainUntil(ChildText(root, "RetainUntilDate"));
    if (!parsed.ok()) return ctx.Error(parsed.status());
    until_s = *parsed;
  }
  const bool bypass = MayBypassGovernance(ctx, ctx.key);
  ChangeVersionLock(ctx, [&](store::ObjectMeta& meta) {
    Status s = store::MayChangeRetention(meta.lock, mode, until_s, NowSeconds(), bypass);
    if (!s.ok()) return s;
    meta.lock.mode = mode;
    meta.lock.until_s = until_s;
    return Status::Ok();
  });
}

void GetObjectRetention(S3Context& ctx) {
  store::ObjectMeta meta;
  if (!ReadLockedVersion(ctx, meta)) return;
  if (meta.lock.mode.empty()) return ctx.Error("NoSuchObjectLockConfiguration");
  XmlResponse xml("Retention");
  AddText(xml.root(), "Mode", meta.lock.mode);
  AddText(xml.root(), "RetainUntilDate", FormatIso8601(meta.lock.until_s * 1'000'000'000));
  ctx.SendXml(200, xml);
}

// <LegalHold><Status>ON|OFF</Status></LegalHold>
void PutObjectLegalHold(S3Context& ctx) {
  pugi::xml_document doc;
  auto root = ReadLockDocument(ctx, "LegalHold", doc, /*of_version=*/true);
  if (!root) return;
  const std::string status = ChildText(root, "Status");
  if (status != "ON" && status != "OFF") return ctx.Error("MalformedXML");
  ChangeVersionLock(ctx, [on = status == "ON"](store::ObjectMeta& meta) {
    meta.lock.legal_hold = on;
    return Status::Ok();
  });
}

void GetObjectLegalHold(S3Context& ctx) {
  store::ObjectMeta meta;
  if (!ReadLockedVersion(ctx, meta)) return;
  XmlResponse xml("LegalHold");
  AddText(xml.root(), "Status", meta.lock.legal_hold ? "ON" : "OFF");
  ctx.SendXml(200, xml);
}

}  // namespace fsgate::gateway
