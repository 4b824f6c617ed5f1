#include "auth/credentials.h"
#include "gateway/payload_reader.h"
#include "gateway/s3_handlers.h"
#include "gateway/s3_operation_table.h"
#include "gateway/s3_time.h"
#include "gateway/xml_bodies.h"
#include "store/s3_errors.h"

namespace fsgate::gateway {
namespace {

constexpr std::string_view kUsEast1 = "us-east-1";

// The region a bucket lives in: the one stored with it, else this endpoint's.
std::string_view BucketRegion(const S3Context& ctx) {
  const std::string& stored = ctx.bucket_attributes.region;
  return stored.empty() ? ctx.region : std::string_view(stored);
}

// The LocationConstraint of a CreateBucketConfiguration body; empty when
// there is no body or no constraint. False after answering an error.
bool ReadLocationConstraint(S3Context& ctx, std::string& constraint) {
  auto body = ReadXmlBody(ctx);
  if (!body.ok()) {
    ctx.Error(body.status());
    return false;
  }
  if (body->empty()) return true;
  auto parsed = ParseCreateBucketConfiguration(*body);
  if (!parsed) {
    ctx.Error("MalformedXML");
    return false;
  }
  constraint = std::move(*parsed);
  return true;
}

}  // namespace

std::string OwnerId(const S3Context& ctx) {
  if (!ctx.bucket_attributes.owner.empty()) return ctx.bucket_attributes.owner;
  return ctx.user != nullptr ? ctx.user->user : "fsgate";
}

void AppendOwner(pugi::xml_node parent, const S3Context& ctx) {
  auto owner = parent.append_child("Owner");
  std::string id = OwnerId(ctx);
  AddText(owner, "ID", id);
  AddText(owner, "DisplayName", id);
}

// The caller's buckets (an admin's: every bucket).
void ListBuckets(S3Context& ctx) {
  auto buckets = ctx.store.ListBuckets();
  if (!buckets.ok()) return ctx.Error(buckets.status());
  XmlResponse xml("ListAllMyBucketsResult");
  AppendOwner(xml.root(), ctx);
  auto list = xml.root().append_child("Buckets");
  for (const auto& b : *buckets) {
    if (!ctx.user->admin && b.attributes.owner != ctx.user->user) continue;
    auto node = list.append_child("Bucket");
    AddText(node, "Name", b.name);
    AddText(node, "CreationDate", FormatIso8601(b.created_ns));
  }
  ctx.SendXml(200, xml);
}

// A bucket lives in this endpoint's region: a LocationConstraint naming
// another is refused as AWS's regional endpoints refuse it, and us-east-1 is
// never written as a constraint (its buckets have none).
void CreateBucket(S3Context& ctx) {
  std::string constraint;
  if (!ReadLocationConstraint(ctx, constraint)) return;
  if (!constraint.empty() && constraint != ctx.region) {
    return ctx.Error("IllegalLocationConstraintException",
                     "The " + constraint +
                         " location constraint is incompatible for the region specific endpoint "
                         "this request was sent to.");
  }
  if (constraint == kUsEast1) return ctx.Error("InvalidLocationConstraint");
  Status s = ctx.store.CreateBucket(ctx.bucket, {.owner = ctx.user->user,
                                                 .region = std::string(ctx.region),
                                                 .tags = {},
                                                 .policy = {},
                                                 .versioning = {}});
  if (s.Is(s3err::kBucketAlreadyOwnedByYou)) {
    auto info = ctx.store.HeadBucket(ctx.bucket);
    if (!info.ok()) return ctx.Error(info.status());
    if (info->attributes.owner != ctx.user->user) return ctx.Error("BucketAlreadyExists");
    // AWS's legacy answer in us-east-1: re-creating your own bucket succeeds
    // (and changes nothing here: fsgate keeps no ACLs to reset).
    if (ctx.region != kUsEast1) return ctx.Error(s);
  } else if (!s.ok()) {
    return ctx.Error(s);
  }
  ctx.SendEmpty(200, {{"Location", "/" + ctx.bucket}});
}

void DeleteBucket(S3Context& ctx) {
  if (Status s = ctx.store.DeleteBucket(ctx.bucket); !s.ok()) return ctx.Error(s);
  ctx.SendEmpty(204);
}

void HeadBucket(S3Context& ctx) {
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) return ctx.Error(info.status());
  ctx.SendEmpty(200, {{"x-amz-bucket-region", std::string(BucketRegion(ctx))}});
}

void GetBucketLocation(S3Context& ctx) {
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) return ctx.Error(info.status());
  // us-east-1 is answered as an empty LocationConstraint, as AWS does.
  XmlResponse xml("LocationConstraint");
  if (std::string_view region = BucketRegion(ctx); region != kUsEast1) {
    xml.root().text().set(std::string(region).c_str());
  }
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
  std::string id = OwnerId(ctx);
  AddText(grantee, "ID", id);
  AddText(grantee, "DisplayName", id);
  AddText(grant, "Permission", "FULL_CONTROL");
  ctx.SendXml(200, xml);
}

// Bucket configurations fsgate does not keep: answered as "not configured"
// with the code AWS uses for each, so SDK calls that probe them succeed.
void BucketConfigurationAbsent(S3Context& ctx) {
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) return ctx.Error(info.status());
  auto absent = [&ctx](std::string_view code) {
    ctx.Error(code, code == "NoSuchTagSet" ? "The TagSet does not exist"
                                           : "The configuration does not exist");
  };
  switch (ctx.operation) {
    case S3Operation::kGetPublicAccessBlock:
      return absent("NoSuchPublicAccessBlockConfiguration");
    case S3Operation::kGetBucketCors:
      return absent("NoSuchCORSConfiguration");
    case S3Operation::kGetBucketLifecycleConfiguration:
      return absent("NoSuchLifecycleConfiguration");
    case S3Operation::kGetBucketTagging:
      return absent("NoSuchTagSet");
    case S3Operation::kGetBucketEncryption:
      return absent("ServerSideEncryptionConfigurationNotFoundError");
    case S3Operation::kGetObjectLockConfiguration:
      return absent("ObjectLockConfigurationNotFoundError");
    case S3Operation::kGetBucketOwnershipControls:
      return absent("OwnershipControlsNotFoundError");
    case S3Operation::kGetBucketWebsite:
      return absent("NoSuchWebsiteConfiguration");
    case S3Operation::kGetBucketReplication:
      return absent("ReplicationConfigurationNotFoundError");
    case S3Operation::kGetBucketLogging:
      return ctx.SendXml(200, XmlResponse("BucketLoggingStatus"));
    case S3Operation::kGetBucketNotificationConfiguration:
      return ctx.SendXml(200, XmlResponse("NotificationConfiguration"));
    case S3Operation::kGetBucketRequestPayment: {
      XmlResponse xml("RequestPaymentConfiguration");
      AddText(xml.root(), "Payer", "BucketOwner");
      return ctx.SendXml(200, xml);
    }
    case S3Operation::kGetBucketAccelerateConfiguration:
      return ctx.SendXml(200, XmlResponse("AccelerateConfiguration"));
    default:
      return ctx.Error("NotImplemented");
  }
}

// A GET of a bucket naming a sub-resource fsgate does not know: NotImplemented
// (as for the known ones it does not serve), never the bucket's listing.
void UnknownSubresource(S3Context& ctx) {
  ctx.Error("NotImplemented", "fsgate does not implement the bucket sub-resource '" +
                                  std::string(UnknownBucketParameter(ctx.request)) + "'.");
}

}  // namespace fsgate::gateway
