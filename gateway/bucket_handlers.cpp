#include <unordered_map>

#include "auth/credentials.h"
#include "gateway/payload_reader.h"
#include "gateway/s3_handlers.h"
#include "gateway/s3_time.h"
#include "gateway/xml_bodies.h"

namespace fsgate::gateway {

void AppendOwner(pugi::xml_node parent, const S3Context& ctx) {
  auto owner = parent.append_child("Owner");
  std::string id = ctx.user != nullptr ? ctx.user->user : "fsgate";
  AddText(owner, "ID", id);
  AddText(owner, "DisplayName", id);
}

void ListBuckets(S3Context& ctx) {
  auto buckets = ctx.store.ListBuckets();
  if (!buckets.ok()) return ctx.Error(buckets.status());
  XmlResponse xml("ListAllMyBucketsResult");
  AppendOwner(xml.root(), ctx);
  auto list = xml.root().append_child("Buckets");
  for (const auto& b : *buckets) {
    auto node = list.append_child("Bucket");
    AddText(node, "Name", b.name);
    AddText(node, "CreationDate", FormatIso8601(b.created_ns));
  }
  ctx.SendXml(200, xml);
}

void CreateBucket(S3Context& ctx) {
  auto body = ctx.payload.ReadAll(64 * 1024);
  if (!body.ok()) return ctx.Error(body.status());
  if (!body->empty() && !IsCreateBucketConfiguration(*body)) return ctx.Error("MalformedXML");
  if (Status s = ctx.store.CreateBucket(ctx.bucket); !s.ok()) return ctx.Error(s);
  ctx.SendEmpty(200, {{"Location", "/" + ctx.bucket}});
}

void DeleteBucket(S3Context& ctx) {
  if (Status s = ctx.store.DeleteBucket(ctx.bucket); !s.ok()) return ctx.Error(s);
  ctx.SendEmpty(204);
}

void HeadBucket(S3Context& ctx) {
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) return ctx.Error(info.status());
  ctx.SendEmpty(200, {{"x-amz-bucket-region", "us-east-1"}});
}

void GetBucketLocation(S3Context& ctx) {
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) return ctx.Error(info.status());
  // us-east-1 is answered as an empty LocationConstraint, as AWS does.
  XmlResponse xml("LocationConstraint");
  ctx.SendXml(200, xml);
}

void GetBucketVersioning(S3Context& ctx) {
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) return ctx.Error(info.status());
  XmlResponse xml("VersioningConfiguration");  // never enabled: no Status element
  ctx.SendXml(200, xml);
}

void GetBucketAcl(S3Context& ctx) {
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) return ctx.Error(info.status());
  XmlResponse xml("AccessControlPolicy");
  AppendOwner(xml.root(), ctx);
  auto grant = xml.root().append_child("AccessControlList").append_child("Grant");
  auto grantee = grant.append_child("Grantee");
  grantee.append_attribute("xmlns:xsi") = "http://www.w3.org/2001/XMLSchema-instance";
  grantee.append_attribute("xsi:type") = "CanonicalUser";
  std::string id = ctx.user != nullptr ? ctx.user->user : "fsgate";
  AddText(grantee, "ID", id);
  AddText(grantee, "DisplayName", id);
  AddText(grant, "Permission", "FULL_CONTROL");
  ctx.SendXml(200, xml);
}

// Bucket configurations fsgate does not keep: answered as "not configured"
// with the code AWS uses for each, so SDK calls that probe them succeed.
void BucketConfigurationAbsent(S3Context& ctx) {
  static const std::unordered_map<std::string_view, std::string_view> kAbsent = {
      {"GetBucketPolicy", "NoSuchBucketPolicy"},
      {"GetBucketCors", "NoSuchCORSConfiguration"},
      {"GetBucketLifecycleConfiguration", "NoSuchLifecycleConfiguration"},
      {"GetBucketTagging", "NoSuchTagSet"},
      {"GetBucketEncryption", "ServerSideEncryptionConfigurationNotFoundError"},
      {"GetObjectLockConfiguration", "ObjectLockConfigurationNotFoundError"},
      {"GetBucketOwnershipControls", "OwnershipControlsNotFoundError"},
      {"GetBucketWebsite", "NoSuchWebsiteConfiguration"},
      {"GetBucketReplication", "ReplicationConfigurationNotFoundError"},
  };
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) return ctx.Error(info.status());
  auto it = kAbsent.find(ctx.api);
  if (it != kAbsent.end()) {
    return ctx.Error(it->second, it->second == "NoSuchTagSet" ? "The TagSet does not exist"
                                                              : "The configuration does not exist");
  }
  if (ctx.api == "GetBucketLogging") {
    XmlResponse xml("BucketLoggingStatus");
    return ctx.SendXml(200, xml);
  }
  if (ctx.api == "GetBucketNotificationConfiguration") {
    XmlResponse xml("NotificationConfiguration");
    return ctx.SendXml(200, xml);
  }
  if (ctx.api == "GetBucketRequestPayment") {
    XmlResponse xml("RequestPaymentConfiguration");
    AddText(xml.root(), "Payer", "BucketOwner");
    return ctx.SendXml(200, xml);
  }
  if (ctx.api == "GetBucketAccelerateConfiguration") {
    XmlResponse xml("AccelerateConfiguration");
    return ctx.SendXml(200, xml);
  }
  ctx.Error("NotImplemented");
}

}  // namespace fsgate::gateway
