// Bucket versioning (Put/GetBucketVersioning) and what every object handler
// shares about versions: the versionId parameter, the x-amz-version-id and
// x-amz-delete-marker headers, and reads that land on a delete marker.
#include "gateway/s3_error.h"
#include "gateway/s3_handlers.h"
#include "store/s3_errors.h"
#include "store/version_id.h"

namespace fsgate::gateway {

bool ReadVersionId(S3Context& ctx, std::string& version_id) {
  const std::string* version = ctx.request.Query("versionId");
  if (version == nullptr) return true;
  if (!store::IsValidVersionId(*version)) {
    ctx.Error("InvalidArgument", "Invalid version id specified",
              ArgumentDetails("versionId", *version));
    return false;
  }
  version_id = *version;
  return true;
}

bool BucketHasVersions(const S3Context& ctx) { return !ctx.bucket_attributes.versioning.empty(); }

void AppendVersionHeader(const store::ObjectMeta& meta, http::Headers& headers) {
  if (!meta.version_id.empty()) headers.emplace_back("x-amz-version-id", meta.version_id);
}

void AppendWrittenVersionHeader(const store::ObjectMeta& meta, http::Headers& headers) {
  if (meta.version_id != store::kNullVersionId) AppendVersionHeader(meta, headers);
}

void ErrorOfVersionRead(S3Context& ctx, const Status& status, const std::string& version_id) {
  http::Headers marker;
  if (status.Is(s3err::kMethodNotAllowed)) {
    // A GET or HEAD naming a delete marker's id.
    marker = {
        {"x-amz-delete-marker", "true"}, {"x-amz-version-id", version_id}, {"Allow", "DELETE"}};
  } else if (status.Is(s3err::kNoSuchKey) && version_id.empty() && BucketHasVersions(ctx)) {
    if (auto id = ctx.store.LatestDeleteMarker(ctx.bucket, ctx.key); id.ok()) {
      marker = {{"x-amz-delete-marker", "true"}, {"x-amz-version-id", *id}};
    }
  }
  if (marker.empty()) return ctx.Error(status);
  const S3ErrorOfStatus error = S3ErrorFor(status);
  ctx.Error(error.code, error.message, {}, std::move(marker));
}

Result<std::unique_ptr<store::ObjectReader>> ReadObjectVersion(S3Context& ctx,
                                                               const std::string& version_id) {
  if (version_id.empty() && !BucketHasVersions(ctx)) {
    return ctx.store.GetObject(ctx.bucket, ctx.key);
  }
  return ctx.store.GetObjectVersion(ctx.bucket, ctx.key, version_id);
}

void GetBucketVersioning(S3Context& ctx) {
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) return ctx.Error(info.status());
  XmlResponse xml("VersioningConfiguration");  // never enabled: no Status element
  if (!info->attributes.versioning.empty()) {
    AddText(xml.root(), "Status", info->attributes.versioning);
  }
  ctx.SendXml(200, xml);
}

// <VersioningConfiguration><Status>Enabled|Suspended</Status>
// [<MfaDelete>Disabled</MfaDelete>]</VersioningConfiguration>. MFA delete
// needs an MFA device fsgate does not have: NotImplemented when enabled.
void PutBucketVersioning(S3Context& ctx) {
  auto body = ReadXmlBody(ctx);
  if (!body.ok()) return ctx.Error(body.status());
  pugi::xml_document doc;
  auto root = ParseXmlBody(*body, "VersioningConfiguration", doc);
  if (!root) return ctx.Error("MalformedXML");
  const bool has_status = root.child("Status");
  const std::string status = ChildText(root, "Status");
  const bool has_mfa = root.child("MfaDelete");
  const std::string mfa = ChildText(root, "MfaDelete");
  if (has_status && status != "Enabled" && status != "Suspended") return ctx.Error("MalformedXML");
  if (has_mfa && mfa != "Enabled" && mfa != "Disabled") return ctx.Error("MalformedXML");
  if (!has_status && !has_mfa) {
    return ctx.Error("IllegalVersioningConfigurationException",
                     "The Versioning element must be specified");
  }
  if (mfa == "Enabled") {
    return ctx.Error("NotImplemented", "fsgate does not implement MFA delete.");
  }
  if (!has_status) return ctx.SendEmpty(200);  // MfaDelete Disabled alone: nothing changes
  if (Status s = ctx.store.PutBucketVersioning(ctx.bucket, status); !s.ok()) return ctx.Error(s);
  ctx.SendEmpty(200);
}

}  // namespace fsgate::gateway
