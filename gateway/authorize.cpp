#include "gateway/authorize.h"

#include "auth/credentials.h"
#include "gateway/s3_handlers.h"

namespace fsgate::gateway {
namespace {

bool MayUse(const auth::Credentials& user, const store::BucketAttributes& bucket) {
  return user.admin || bucket.owner == user.user;
}

// false after answering. `attributes` is filled when the bucket exists.
bool AuthorizeBucket(S3Context& ctx, const std::string& bucket,
                     store::BucketAttributes& attributes) {
  auto info = ctx.store.HeadBucket(bucket);
  if (!info.ok()) {
    // A bucket whose owner cannot be read is nobody's to use: fail closed.
    if (info.status().err() != 0) {
      ctx.Error(info.status());
      return false;
    }
    return true;
  }
  attributes = std::move(info->attributes);
  if (MayUse(*ctx.user, attributes)) return true;
  ctx.Error("AccessDenied");
  return false;
}

}  // namespace

bool Authorize(S3Context& ctx) {
  // ListBuckets lists the caller's own; CreateBucket of a taken name is
  // answered by its handler (BucketAlreadyExists).
  if (ctx.bucket.empty() || ctx.api == "CreateBucket") return true;
  if (!AuthorizeBucket(ctx, ctx.bucket, ctx.bucket_attributes)) return false;
  if (ctx.api == "CopyObject" || ctx.api == "UploadPartCopy") {
    CopySource source;
    if (!ParseCopySource(ctx, source)) return false;
    store::BucketAttributes source_attributes;
    if (!AuthorizeBucket(ctx, source.bucket, source_attributes)) return false;
  }
  return true;
}

}  // namespace fsgate::gateway
