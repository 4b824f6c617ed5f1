#include <charconv>

#include "auth/credentials.h"
#include "auth/sigv4_canonical.h"
#include "base/hash.h"
#include "gateway/bucket_access.h"
#include "gateway/payload_reader.h"
#include "gateway/s3_handlers.h"
#include "gateway/s3_operation_table.h"
#include "gateway/s3_time.h"
#include "gateway/xml_bodies.h"
#include "store/object_lock.h"
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
  AppendOwnerId(parent, OwnerId(ctx));
}

void AppendOwnerId(pugi::xml_node parent, const std::string& id, const char* element) {
  auto owner = parent.append_child(element);
  AddText(owner, "ID", id);
  AddText(owner, "DisplayName", id);
}

// From the ACL in the record a listing read for the ETag: no read more per key.
void AppendObjectOwner(pugi::xml_node node, const S3Context& ctx, const store::ObjectMeta& meta) {
  if (meta.acl.empty()) return AppendOwner(node, ctx);
  AppendOwnerId(node, ObjectAclOf(ctx, meta, ctx.bucket_attributes).owner);
}

// ListBuckets' page size when a client pages without naming one, and the
// largest it may name: AWS's 10,000 for both.
constexpr long long kMaxBucketsLimit = 10000;

// The caller's buckets (an admin's: every bucket), in name order, paged as
// AWS pages them: `max-buckets`, `prefix`, `bucket-region`, and an opaque
// continuation token (the last name answered, base64) to resume after.
void ListBuckets(S3Context& ctx) {
  const http::HttpRequest& r = ctx.request;
  long long max_buckets = kMaxBucketsLimit;
  if (const std::string* v = r.Query("max-buckets")) {
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), max_buckets);
    if (ec != std::errc() || ptr != v->data() + v->size() || max_buckets < 1 ||
        max_buckets > kMaxBucketsLimit) {
      return ctx.Error("InvalidArgument",
                       "Argument max-buckets must be an integer between 1 and 10000.");
    }
  }
  std::string after;
  const std::string* token = r.Query("continuation-token");
  if (token != nullptr) {
    auto decoded = Base64Decode(*token);
    if (!decoded || token->empty() || token->size() > 1024) {
      return ctx.Error("InvalidArgument", "The continuation token provided is incorrect");
    }
    after = std::move(*decoded);
  }
  const std::string* prefix = r.Query("prefix");
  const std::string* region = r.Query("bucket-region");

  auto buckets = ctx.store.ListBuckets();
  if (!buckets.ok()) return ctx.Error(buckets.status());
  XmlResponse xml("ListAllMyBucketsResult");
  auto list = xml.root().append_child("Buckets");
  long long listed = 0;
  std::string last;
  bool truncated = false;
  for (const auto& b : *buckets) {
    if (!ctx.user->admin && b.attributes.owner != ctx.user->user) continue;
    if (b.name <= after) continue;
    if (prefix != nullptr && !b.name.starts_with(*prefix)) continue;
    std::string_view bucket_region =
        b.attributes.region.empty() ? ctx.region : std::string_view(b.attributes.region);
    if (region != nullptr && bucket_region != *region) continue;
    if (listed == max_buckets) {
      truncated = true;
      break;
    }
    auto node = list.append_child("Bucket");
    AddText(node, "Name", b.name);
    AddText(node, "CreationDate", FormatIso8601(b.created_ns));
    AddText(node, "BucketRegion", bucket_region);
    last = b.name;
    ++listed;
  }
  AppendOwner(xml.root(), ctx);
  if (truncated) AddText(xml.root(), "ContinuationToken", Base64Encode(last));
  if (prefix != nullptr) AddText(xml.root(), "Prefix", *prefix);
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
  store::BucketAttributes attributes;
  attributes.owner = ctx.user->user;
  attributes.region = std::string(ctx.region);
  const std::string* ownership = ctx.request.Header("x-amz-object-ownership");
  if (ownership != nullptr && *ownership != kBucketOwnerEnforced &&
      *ownership != kBucketOwnerPreferred && *ownership != kObjectWriter) {
    return ctx.Error("InvalidArgument", "Invalid x-amz-object-ownership header",
                     ArgumentDetails("x-amz-object-ownership", *ownership));
  }
  std::optional<auth::Acl> acl;
  if (!AclFromHeaders(ctx, ctx.user->user, attributes, acl)) return;
  if (acl) attributes.acl = StoredAcl(*acl, ctx.user->user);
  if (ownership != nullptr) {
    // A bucket made with ACLs disabled cannot be made with an ACL granting others.
    if (*ownership == kBucketOwnerEnforced && !attributes.acl.empty()) {
      return ctx.Error("InvalidBucketAclWithObjectOwnership");
    }
    attributes.ownership = *ownership;
  }
  if (const std::string* lock = ctx.request.Header("x-amz-bucket-object-lock-enabled");
      lock != nullptr && auth::sigv4::EqualsIgnoreCase(*lock, "true")) {
    // Object lock keeps every version: the bucket is versioned from the start.
    attributes.versioning = "Enabled";
    attributes.object_lock = store::EncodeBucketObjectLock(std::nullopt);
  }
  Status s = ctx.store.CreateBucket(ctx.bucket, attributes);
  if (s.Is(s3err::kBucketAlreadyOwnedByYou)) {
    auto info = ctx.store.HeadBucket(ctx.bucket);
    if (!info.ok()) return ctx.Error(info.status());
    if (info->attributes.owner != ctx.user->user) return ctx.Error("BucketAlreadyExists");
    // AWS's legacy answer in us-east-1: re-creating your own bucket succeeds
    // (and changes nothing here: its ACL stays).
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
    case S3Operation::kGetBucketLifecycleConfiguration:
      return absent("NoSuchLifecycleConfiguration");
    case S3Operation::kGetBucketTagging:
      return absent("NoSuchTagSet");
    case S3Operation::kGetBucketEncryption:
      return absent("ServerSideEncryptionConfigurationNotFoundError");
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
