#include "gateway/authorize.h"

#include <spdlog/spdlog.h>

#include "auth/credentials.h"
#include "auth/policy.h"
#include "base/log_text.h"
#include "gateway/s3_handlers.h"

namespace fsgate::gateway {
namespace {

// An anonymous caller (nullptr) owns nothing.
bool MayUse(const auth::Credentials* user, const store::BucketAttributes& bucket) {
  return user != nullptr && (user->admin || bucket.owner == user->user);
}

// AWS keeps a bucket's owner able to read and replace a policy that denies
// everyone, the owner included: those three actions are never denied to it.
bool ManagesPolicy(std::string_view action) {
  return action == "s3:GetBucketPolicy" || action == "s3:PutBucketPolicy" ||
         action == "s3:DeleteBucketPolicy";
}

// aws:SourceIp is the peer's address: remote_address is "<ip>:<port>".
std::string SourceIp(const std::string& remote) {
  const size_t colon = remote.rfind(':');
  return colon == std::string::npos ? remote : remote.substr(0, colon);
}

auth::ConditionContext ConditionsOf(const S3Context& ctx) {
  auth::ConditionContext context = {
      {"aws:SourceIp", SourceIp(ctx.request.remote_address)},
      {"aws:SecureTransport", ctx.secure_transport ? "true" : "false"}};
  if (ctx.user != nullptr) context.emplace_back("aws:username", ctx.user->user);
  for (const char* name : {"prefix", "delimiter", "max-keys"}) {
    if (const std::string* value = ctx.request.Query(name)) {
      context.emplace_back(std::string("s3:") + name, *value);
    }
  }
  return context;
}

// What the bucket's policy says of `action` on bucket[/key]; a stored policy
// that no longer parses denies (fail closed: its Deny statements are unknown).
auth::PolicyDecision PolicyDecisionOf(const S3Context& ctx, const std::string& bucket,
                                      const std::string& key, std::string_view action,
                                      const std::string& policy_text) {
  if (policy_text.empty() || action.empty()) return auth::PolicyDecision::kNoDecision;
  auto policy = auth::ParseBucketPolicy(policy_text, bucket);
  if (!policy.ok()) {
    spdlog::error("request {}: the policy of bucket {} does not parse: {}", ctx.request_id,
                  LogField(bucket), LogText(policy.status().message()));
    return auth::PolicyDecision::kDeny;
  }
  std::string resource = "arn:aws:s3:::" + bucket;
  if (!key.empty()) resource += "/" + key;
  return auth::EvaluatePolicy(*policy,
                              {.user = ctx.user != nullptr ? std::string_view(ctx.user->user) : "",
                               .action = action,
                               .resource = resource,
                               .context = ConditionsOf(ctx)});
}

// An explicit Deny wins over ownership; an Allow opens the bucket to others.
bool Allowed(const S3Context& ctx, const std::string& bucket, const std::string& key,
             std::string_view action, const store::BucketAttributes& attributes) {
  const bool owner = MayUse(ctx.user, attributes);
  const auth::PolicyDecision decision =
      PolicyDecisionOf(ctx, bucket, key, action, attributes.policy);
  const bool denied = decision == auth::PolicyDecision::kDeny && !(owner && ManagesPolicy(action));
  return !denied && (owner || decision == auth::PolicyDecision::kAllow);
}

// false after answering. `attributes` is filled when the bucket exists.
bool AuthorizeBucket(S3Context& ctx, const std::string& bucket, const std::string& key,
                     std::string_view action, store::BucketAttributes& attributes) {
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
  // DeleteObjects names its keys in the body: with a policy, each is
  // authorized there (MayDeleteKey), as AWS answers AccessDenied per key.
  if (ctx.operation == S3Operation::kDeleteObjects && !attributes.policy.empty()) return true;
  if (Allowed(ctx, bucket, key, action, attributes)) return true;
  spdlog::debug("request {}: {} denied {} on bucket {}", ctx.request_id,
                ctx.user != nullptr ? std::string_view(ctx.user->user) : "anonymous", action,
                LogField(bucket));
  ctx.Error("AccessDenied");
  return false;
}

// The action a request naming a versionId is authorized as, as in AWS:
// s3:GetObject -> s3:GetObjectVersion, s3:PutObjectTagging ->
// s3:PutObjectVersionTagging, ...; other actions stay.
std::string VersionAction(std::string_view action) {
  constexpr std::string_view kObject = "Object";
  for (std::string_view verb : {"s3:GetObject", "s3:DeleteObject", "s3:PutObjectTagging"}) {
    if (action.starts_with(verb)) {
      const size_t at = action.find(kObject) + kObject.size();
      return std::string(action.substr(0, at)) + "Version" + std::string(action.substr(at));
    }
  }
  return std::string(action);
}

}  // namespace

bool MayDeleteKey(const S3Context& ctx, const std::string& key, bool version) {
  return Allowed(ctx, ctx.bucket, key, version ? "s3:DeleteObjectVersion" : "s3:DeleteObject",
                 ctx.bucket_attributes);
}

bool Authorize(S3Context& ctx) {
  // A request no operation matches is answered MethodNotAllowed, to the
  // bucket's owner only.
  const Access access = ctx.row != nullptr ? ctx.row->access : Access::kBucketOwner;
  if (ctx.bucket.empty() || access == Access::kCaller) {
    if (ctx.user != nullptr) return true;
    ctx.Error("AccessDenied");  // an anonymous caller has no buckets of its own
    return false;
  }
  // Unmatched requests name no action: only an owner's, never a policy's.
  std::string action(ctx.row != nullptr ? ctx.row->action : "");
  if (ctx.request.HasQuery("versionId")) action = VersionAction(action);
  if (!AuthorizeBucket(ctx, ctx.bucket, ctx.key, action, ctx.bucket_attributes)) return false;
  if (access == Access::kBucketOwnerAndCopySource) {
    CopySource source;
    if (!ParseCopySource(ctx, source)) return false;
    store::BucketAttributes source_attributes;
    const std::string_view read =
        source.version_id.empty() ? "s3:GetObject" : "s3:GetObjectVersion";
    if (!AuthorizeBucket(ctx, source.bucket, source.key, read, source_attributes)) {
      return false;
    }
  }
  return true;
}

}  // namespace fsgate::gateway
