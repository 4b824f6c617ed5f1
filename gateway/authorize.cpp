#include "gateway/authorize.h"

#include <spdlog/spdlog.h>

#include "auth/credentials.h"
#include "base/log_text.h"
#include "gateway/s3_handlers.h"

namespace fsgate::gateway {
namespace {

// An anonymous caller (nullptr) owns nothing.
bool MayUse(const auth::Credentials* user, const store::BucketAttributes& bucket) {
  return user != nullptr && (user->admin || bucket.owner == user->user);
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
  if (MayUse(ctx.user, attributes)) return true;
  spdlog::debug("request {}: {} denied {} on bucket {}", ctx.request_id,
                ctx.user != nullptr ? std::string_view(ctx.user->user) : "anonymous",
                ctx.row != nullptr ? ctx.row->action : "s3:*", LogField(bucket));
  ctx.Error("AccessDenied");
  return false;
}

}  // namespace

bool Authorize(S3Context& ctx) {
  // A request no operation matches is answered MethodNotAllowed, to the
  // bucket's owner only.
  const Access access = ctx.row != nullptr ? ctx.row->access : Access::kBucketOwner;
  if (ctx.bucket.empty() || access == Access::kCaller) {
    if (ctx.user != nullptr) return true;
    ctx.Error("AccessDenied");  // an anonymous caller has no buckets of its own
    return false;
  }
  if (!AuthorizeBucket(ctx, ctx.bucket, ctx.bucket_attributes)) return false;
  if (access == Access::kBucketOwnerAndCopySource) {
    CopySource source;
    if (!ParseCopySource(ctx, source)) return false;
    store::BucketAttributes source_attributes;
    if (!AuthorizeBucket(ctx, source.bucket, source_attributes)) return false;
  }
  return true;
}

}  // namespace fsgate::gateway
