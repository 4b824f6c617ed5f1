// Public access block (Get/Put/DeletePublicAccessBlock) and ownership
// controls (Get/Put/DeleteBucketOwnershipControls): bucket attributes kept in
// the bucket record; Authorize and the ACL-setting requests enforce them
// (gateway/bucket_access.h).
//
// A new bucket has neither: nothing blocked, objects owned by their writer
// (ObjectWriter), as fsgate always behaved — unlike AWS, whose new buckets
// since April 2023 block public access and enforce bucket ownership. A
// gateway's existing clients keep working; an owner opts in per bucket.
#include <iterator>

#include "gateway/bucket_access.h"
#include "gateway/s3_handlers.h"
#include "gateway/xml_bodies.h"

namespace fsgate::gateway {
namespace {

// The bucket's attributes; false after answering NoSuchBucket.
bool Attributes(S3Context& ctx, store::BucketAttributes& attributes) {
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) {
    ctx.Error(info.status());
    return false;
  }
  attributes = std::move(info->attributes);
  return true;
}

void Answer(S3Context& ctx, const Status& s, int http_status) {
  if (!s.ok()) return ctx.Error(s);
  ctx.SendEmpty(http_status);
}

}  // namespace

void GetPublicAccessBlock(S3Context& ctx) {
  store::BucketAttributes attributes;
  if (!Attributes(ctx, attributes)) return;
  if (attributes.public_access_block.empty()) {
    return ctx.Error("NoSuchPublicAccessBlockConfiguration");
  }
  const PublicAccessBlock block = DecodePublicAccessBlock(attributes.public_access_block);
  XmlResponse xml("PublicAccessBlockConfiguration");
  for (auto [name, flag] : {std::pair{"BlockPublicAcls", block.block_public_acls},
                            std::pair{"IgnorePublicAcls", block.ignore_public_acls},
                            std::pair{"BlockPublicPolicy", block.block_public_policy},
                            std::pair{"RestrictPublicBuckets", block.restrict_public_buckets}}) {
    AddText(xml.root(), name, flag ? "true" : "false");
  }
  ctx.SendXml(200, xml);
}

void PutPublicAccessBlock(S3Context& ctx) {
  auto body = ReadXmlBody(ctx);
  if (!body.ok()) return ctx.Error(body.status());
  auto flags = ParsePublicAccessBlock(*body);
  if (!flags) return ctx.Error("MalformedXML");
  const PublicAccessBlock block{.block_public_acls = (*flags)[0],
                                .ignore_public_acls = (*flags)[1],
                                .block_public_policy = (*flags)[2],
                                .restrict_public_buckets = (*flags)[3]};
  Answer(ctx, ctx.store.PutPublicAccessBlock(ctx.bucket, EncodePublicAccessBlock(block)), 200);
}

void DeletePublicAccessBlock(S3Context& ctx) {
  Answer(ctx, ctx.store.PutPublicAccessBlock(ctx.bucket, {}), 204);
}

void GetBucketOwnershipControls(S3Context& ctx) {
  store::BucketAttributes attributes;
  if (!Attributes(ctx, attributes)) return;
  if (attributes.ownership.empty()) return ctx.Error("OwnershipControlsNotFoundError");
  XmlResponse xml("OwnershipControls");
  AddText(xml.root().append_child("Rule"), "ObjectOwnership", attributes.ownership);
  ctx.SendXml(200, xml);
}

void PutBucketOwnershipControls(S3Context& ctx) {
  store::BucketAttributes attributes;
  if (!Attributes(ctx, attributes)) return;
  auto body = ReadXmlBody(ctx);
  if (!body.ok()) return ctx.Error(body.status());
  auto ownership = ParseOwnershipControls(*body);
  if (!ownership) return ctx.Error("MalformedXML");
  if (*ownership != kBucketOwnerEnforced && *ownership != kBucketOwnerPreferred &&
      *ownership != kObjectWriter) {
    return ctx.Error("MalformedXML");
  }
  // ACLs are disabled only on a bucket whose own ACL grants nothing to others.
  if (*ownership == kBucketOwnerEnforced && !attributes.acl.empty()) {
    return ctx.Error("InvalidBucketAclWithObjectOwnership");
  }
  Answer(ctx, ctx.store.PutBucketOwnershipControls(ctx.bucket, std::move(*ownership)), 200);
}

void DeleteBucketOwnershipControls(S3Context& ctx) {
  Answer(ctx, ctx.store.PutBucketOwnershipControls(ctx.bucket, {}), 204);
}

}  // namespace fsgate::gateway
