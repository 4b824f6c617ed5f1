// Bucket policy: Get/Put/DeleteBucketPolicy and GetBucketPolicyStatus. The
// policy is kept as sent, in the bucket record; Authorize evaluates it.
#include "auth/policy.h"
#include "gateway/bucket_access.h"
#include "gateway/s3_handlers.h"
#include "gateway/xml_bodies.h"

namespace fsgate::gateway {
namespace {

// The bucket's policy as sent; false after answering (NoSuchBucket,
// NoSuchBucketPolicy).
bool StoredPolicy(S3Context& ctx, std::string& policy) {
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) {
    ctx.Error(info.status());
    return false;
  }
  if (info->attributes.policy.empty()) {
    ctx.Error("NoSuchBucketPolicy");
    return false;
  }
  policy = std::move(info->attributes.policy);
  return true;
}

}  // namespace

void GetBucketPolicy(S3Context& ctx) {
  std::string policy;
  if (!StoredPolicy(ctx, policy)) return;
  ctx.status = 200;
  auto headers = ctx.BaseHeaders();
  headers.emplace_back("Content-Type", "application/json");
  ctx.bytes_out += policy.size();
  ctx.response.Send(200, std::move(headers), policy);
}

void PutBucketPolicy(S3Context& ctx) {
  auto body = ReadXmlBody(ctx);
  if (!body.ok()) return ctx.Error(body.status());
  auto policy = auth::ParseBucketPolicy(*body, ctx.bucket);
  if (!policy.ok()) return ctx.Error(policy.status());
  if (DecodePublicAccessBlock(ctx.bucket_attributes.public_access_block).block_public_policy &&
      auth::IsPublicPolicy(*policy)) {
    return ctx.Error("AccessDenied");
  }
  Status s = ctx.store.PutBucketPolicy(ctx.bucket, std::move(*body));
  if (!s.ok()) return ctx.Error(s);
  ctx.SendEmpty(204);
}

void DeleteBucketPolicy(S3Context& ctx) {
  Status s = ctx.store.PutBucketPolicy(ctx.bucket, {});
  if (!s.ok()) return ctx.Error(s);
  ctx.SendEmpty(204);
}

void GetBucketPolicyStatus(S3Context& ctx) {
  std::string text;
  if (!StoredPolicy(ctx, text)) return;
  auto policy = auth::ParseBucketPolicy(text, ctx.bucket);
  // A stored policy was checked when it was put; one that no longer parses
  // grants nothing, so it makes nothing public.
  const bool is_public = policy.ok() && auth::IsPublicPolicy(*policy);
  XmlResponse xml("PolicyStatus");
  AddText(xml.root(), "IsPublic", is_public ? "true" : "false");
  ctx.SendXml(200, xml);
}

}  // namespace fsgate::gateway
