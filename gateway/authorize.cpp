#include "gateway/authorize.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

#include "auth/access.h"
#include "auth/credentials.h"
#include "auth/policy_cache.h"
#include "auth/sigv4_canonical.h"
#include "base/log_text.h"
#include "gateway/bucket_access.h"
#include "gateway/object_tags.h"
#include "gateway/s3_handlers.h"
#include "gateway/s3_time.h"
#include "http/url.h"

namespace fsgate::gateway {
namespace {

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
  // A user's id is its canonical id, its name; AWS's for an anonymous caller.
  context.emplace_back("aws:userid", ctx.user != nullptr ? ctx.user->user : "anonymous");
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  context.emplace_back(
      "aws:CurrentTime",
      FormatIso8601(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()));
  context.emplace_back(
      "aws:EpochTime",
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count()));
  for (const char* name : {"prefix", "delimiter", "max-keys"}) {
    if (const std::string* value = ctx.request.Query(name)) {
      context.emplace_back(std::string("s3:") + name, *value);
    }
  }
  // The request headers AWS makes condition keys of, as sent.
  for (const char* name :
       {"x-amz-acl", "x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp",
        "x-amz-grant-write-acp", "x-amz-grant-full-control", "x-amz-metadata-directive",
        "x-amz-storage-class", "x-amz-server-side-encryption"}) {
    if (const std::string* value = ctx.request.Header(name)) {
      context.emplace_back(std::string("s3:") + name, *value);
    }
  }
  // s3:x-amz-copy-source is "bucket/key": decoded, without a leading slash
  // or a ?versionId.
  if (const std::string* source = ctx.request.Header("x-amz-copy-source")) {
    std::string_view path = *source;
    path = path.substr(0, path.find('?'));
    if (path.starts_with('/')) path.remove_prefix(1);
    context.emplace_back("s3:x-amz-copy-source", http::PercentDecode(path));
  }
  if (const std::string* referer = ctx.request.Header("referer")) {
    context.emplace_back("aws:Referer", *referer);
  }
  if (const std::string* agent = ctx.request.Header("user-agent")) {
    context.emplace_back("aws:UserAgent", *agent);
  }
  // The tags the request gives its object (PutObject, CopyObject,
  // CreateMultipartUpload); a malformed header is refused by the handler.
  if (const std::string* tagging = ctx.request.Header("x-amz-tagging")) {
    if (auto tags = ParseTaggingHeader(*tagging); tags.ok()) {
      for (const auto& [name, value] : *tags) {
        context.emplace_back("s3:RequestObjectTag/" + name, value);
        context.emplace_back("s3:RequestObjectTagKeys", name);
      }
    }
  }
  return context;
}

// s3:ExistingObjectTag/<key>: the stored object's tags, read only when the
// policy has a condition on them (one HeadObject more) and AWS gives them to
// the action; a missing object has none.
void AddExistingObjectTags(const S3Context& ctx, const auth::BucketPolicy* policy,
                           const std::string& bucket, const std::string& key,
                           std::string_view action, auth::ConditionContext& context) {
  if (policy == nullptr || !policy->existing_object_tags || key.empty() ||
      !auth::ExistingObjectTagsApply(action)) {
    return;
  }
  auto meta = ctx.store.HeadObject(bucket, key);
  if (!meta.ok()) return;
  for (const auto& [name, value] : meta->tags) {
    context.emplace_back("s3:ExistingObjectTag/" + name, value);
  }
}

// The bucket's policy, parsed; nullptr when it has none. A stored policy
// that no longer parses denies everything but its owner's repair of it (fail
// closed: its Deny statements are unknown), as a policy denying "*" would.
std::shared_ptr<const auth::BucketPolicy> PolicyOf(const S3Context& ctx, const std::string& bucket,
                                                   const std::string& text) {
  if (text.empty()) return nullptr;
  auto policy = auth::CachedBucketPolicy(text, bucket);
  if (policy.ok()) return *policy;
  spdlog::error("request {}: the policy of bucket {} does not parse: {}", ctx.request_id,
                LogField(bucket), LogText(policy.status().message()));
  static const auto kDenyAll = std::make_shared<const auth::BucketPolicy>(
      auth::BucketPolicy{.statements = {{.allow = false,
                                         .not_principal = false,
                                         .principals = {"*"},
                                         .not_action = false,
                                         .actions = {"*"},
                                         .not_resource = false,
                                         .resources = {"*"},
                                         .conditions = {}}}});
  return kDenyAll;
}

// `listed_prefix`, when set, is the s3:prefix a ListBucket is judged with in
// place of the request's own.
// `initiator`: the addressed upload's, for the actions auth::InitiatorMay.
bool Allowed(const S3Context& ctx, const std::string& bucket, const std::string& key,
             std::string_view action, const store::BucketAttributes& attributes,
             const auth::Acl* object_acl = nullptr, const std::string* listed_prefix = nullptr,
             std::string_view initiator = {}) {
  const std::string_view user = ctx.user != nullptr ? std::string_view(ctx.user->user) : "";
  const bool admin = ctx.user != nullptr && ctx.user->admin;
  // Without a policy to deny it, the bucket's owner may: decided before the
  // ACL, the resource and the access settings are spelt out for IsAllowed
  // (three mallocs of every request its owner makes).
  if (attributes.policy.empty() && auth::OwnsBucket(user, admin, attributes.owner)) return true;
  const auto policy = PolicyOf(ctx, bucket, attributes.policy);
  const auth::Acl bucket_acl = BucketAclOf(ctx, attributes);
  std::string resource = "arn:aws:s3:::" + bucket;
  if (!key.empty()) resource += "/" + key;
  // Only a policy reads the conditions: without one, the request is not
  // spelt out for it (a clock read and formatting per request).
  auth::ConditionContext context;
  if (policy != nullptr) {
    context = ConditionsOf(ctx);
    AddExistingObjectTags(ctx, policy.get(), bucket, key, action, context);
    if (listed_prefix != nullptr) {
      std::erase_if(context, [](const auto& entry) { return entry.first == "s3:prefix"; });
      context.emplace_back("s3:prefix", *listed_prefix);
    }
  }
  return auth::IsAllowed({.request = {.user = user,
                                      .action = action,
                                      .resource = resource,
                                      .context = std::move(context)},
                          .admin = admin,
                          .bucket_owner = attributes.owner,
                          .policy = policy.get(),
                          .bucket_acl = &bucket_acl,
                          .object_acl = object_acl,
                          .settings = AccessSettingsOf(attributes),
                          .upload_initiator = initiator});
}

// Denied without the upload's initiator: is the caller the initiator of the
// upload it addresses (ListParts, AbortMultipartUpload)? A missing upload is
// AccessDenied to a caller who may not know of it.
bool AllowedByUpload(const S3Context& ctx, const std::string& bucket, const std::string& key,
                     std::string_view action, const store::BucketAttributes& attributes) {
  const std::string* upload_id = ctx.request.Query("uploadId");
  if (ctx.user == nullptr || upload_id == nullptr || !auth::InitiatorMay(action)) return false;
  auto upload = ctx.store.HeadUpload(bucket, key, *upload_id);
  return upload.ok() && upload->initiator == ctx.user->user &&
         Allowed(ctx, bucket, key, action, attributes, nullptr, nullptr, upload->initiator);
}

// Denied without the object's ACL: may the object's ACL allow it? A missing
// object is NoSuchKey to a caller who may list the bucket, else AccessDenied,
// as AWS answers — listing judged with s3:prefix the key, the listing that
// would show the key.
bool AllowedByObject(const S3Context& ctx, const std::string& bucket, const std::string& key,
                     std::string_view action, const store::BucketAttributes& attributes) {
  if (key.empty() || !auth::ObjectAclDecides(action)) return false;
  auto meta = ctx.store.HeadObject(bucket, key);
  if (!meta.ok()) {
    return meta.status().Is("NoSuchKey") &&
           Allowed(ctx, bucket, "", "s3:ListBucket", attributes, nullptr, &key);
  }
  const auth::Acl acl = ObjectAclOf(ctx, *meta, attributes);
  return Allowed(ctx, bucket, key, action, attributes, &acl);
}

// false after answering. `attributes` is filled when the bucket exists.
constexpr std::string_view kExpectedBucketOwner = "x-amz-expected-bucket-owner";

// `expected_owner_header` (x-amz-expected-bucket-owner, or for a copy's
// source x-amz-source-expected-bucket-owner), when sent, must name the
// bucket's owner: AccessDenied otherwise, whoever asks, as AWS answers — a
// client's guard against a bucket that changed hands.
bool AuthorizeBucket(S3Context& ctx, const std::string& bucket, const std::string& key,
                     std::string_view action, std::string_view expected_owner_header,
                     store::BucketAttributes& attributes, bool* found = nullptr) {
  auto info = ctx.store.HeadBucket(bucket);
  if (!info.ok()) {
    // A bucket whose owner cannot be read is nobody's to use: fail closed.
    if (info.status().err() != 0) {
      ctx.Error(info.status());
      return false;
    }
    return true;
  }
  if (found != nullptr) *found = true;
  attributes = std::move(info->attributes);
  if (const std::string* expected = ctx.request.Header(expected_owner_header);
      expected != nullptr && *expected != attributes.owner) {
    ctx.Error("AccessDenied");
    return false;
  }
  // DeleteObjects names its keys in the body: with a policy, each is
  // authorized there (MayDeleteKey), as AWS answers AccessDenied per key.
  if (ctx.operation == S3Operation::kDeleteObjects && !attributes.policy.empty()) return true;
  if (Allowed(ctx, bucket, key, action, attributes) ||
      AllowedByObject(ctx, bucket, key, action, attributes) ||
      AllowedByUpload(ctx, bucket, key, action, attributes)) {
    return true;
  }
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
  for (std::string_view verb :
       {"s3:GetObject", "s3:DeleteObject", "s3:PutObjectTagging", "s3:PutObjectAcl"}) {
    if (action.starts_with(verb)) {
      const size_t at = action.find(kObject) + kObject.size();
      return std::string(action.substr(0, at)) + "Version" + std::string(action.substr(at));
    }
  }
  return std::string(action);
}

}  // namespace

bool AuthorizeFormUpload(S3Context& ctx, const std::string& key) {
  // A bucket that does not exist passes: the upload answers NoSuchBucket.
  return AuthorizeBucket(ctx, ctx.bucket, key, ctx.row->action, kExpectedBucketOwner,
                         ctx.bucket_attributes);
}

bool MayDeleteKey(const S3Context& ctx, const std::string& key, bool version) {
  return Allowed(ctx, ctx.bucket, key, version ? "s3:DeleteObjectVersion" : "s3:DeleteObject",
                 ctx.bucket_attributes);
}

bool MayBypassGovernance(const S3Context& ctx, const std::string& key) {
  const std::string* header = ctx.request.Header("x-amz-bypass-governance-retention");
  if (header == nullptr || !auth::sigv4::EqualsIgnoreCase(*header, "true")) return false;
  return MayOnObject(ctx, key, "s3:BypassGovernanceRetention");
}

bool MayOnObject(const S3Context& ctx, const std::string& key, std::string_view action) {
  return Allowed(ctx, ctx.bucket, key, action, ctx.bucket_attributes);
}

bool Authorize(S3Context& ctx) {
  // A request no operation matches is answered MethodNotAllowed, to the
  // bucket's owner only.
  const Access access = ctx.row != nullptr ? ctx.row->access : Access::kBucketOwner;
  if (access == Access::kAnyone || access == Access::kByHandler) return true;
  if (ctx.bucket.empty() || access == Access::kCaller) {
    if (ctx.user != nullptr) return true;
    ctx.Error("AccessDenied");  // an anonymous caller has no buckets of its own
    return false;
  }
  // Unmatched requests name no action: only an owner's, never a policy's.
  std::string action(ctx.row != nullptr ? ctx.row->action : "");
  if (ctx.request.HasQuery("versionId")) action = VersionAction(action);
  if (!AuthorizeBucket(ctx, ctx.bucket, ctx.key, action, kExpectedBucketOwner,
                       ctx.bucket_attributes, &ctx.bucket_found)) {
    return false;
  }
  if (access == Access::kBucketOwnerAndCopySource) {
    CopySource source;
    if (!ParseCopySource(ctx, source)) return false;
    store::BucketAttributes source_attributes;
    const std::string_view read =
        source.version_id.empty() ? "s3:GetObject" : "s3:GetObjectVersion";
    if (!AuthorizeBucket(ctx, source.bucket, source.key, read, "x-amz-source-expected-bucket-owner",
                         source_attributes)) {
      return false;
    }
  }
  return true;
}

}  // namespace fsgate::gateway
