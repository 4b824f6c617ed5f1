#include "gateway/bucket_access.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "auth/credentials.h"
#include "base/log_text.h"

namespace fsgate::gateway {
namespace {

constexpr std::string_view kBucketOwnerFullControl = "bucket-owner-full-control";

constexpr std::pair<const char*, auth::AclPermission> kGrantHeaders[] = {
    {"x-amz-grant-read", auth::AclPermission::kRead},
    {"x-amz-grant-write", auth::AclPermission::kWrite},
    {"x-amz-grant-read-acp", auth::AclPermission::kReadAcp},
    {"x-amz-grant-write-acp", auth::AclPermission::kWriteAcp},
    {"x-amz-grant-full-control", auth::AclPermission::kFullControl}};

auth::Acl DecodeOr(const S3Context& ctx, std::string_view stored, std::string_view owner) {
  if (stored.empty()) return auth::PrivateAcl(owner);
  if (auto acl = auth::DecodeAcl(stored)) return std::move(*acl);
  spdlog::error("request {}: a stored ACL in bucket {} does not decode", ctx.request_id,
                LogField(ctx.bucket));
  return auth::PrivateAcl(owner);
}

// Grants nothing but FULL_CONTROL to the bucket's owner: what
// bucket-owner-full-control comes to, which BucketOwnerEnforced accepts.
bool OnlyBucketOwnerFullControl(const auth::Acl& acl, std::string_view bucket_owner) {
  return std::all_of(acl.grants.begin(), acl.grants.end(), [&](const auth::AclGrant& g) {
    return g.kind == auth::GranteeKind::kUser && g.id == bucket_owner &&
           g.permission == auth::AclPermission::kFullControl;
  });
}

}  // namespace

std::string EncodePublicAccessBlock(const PublicAccessBlock& b) {
  std::string out;
  for (bool flag : {b.block_public_acls, b.ignore_public_acls, b.block_public_policy,
                    b.restrict_public_buckets}) {
    out += flag ? '1' : '0';
  }
  return out;
}

PublicAccessBlock DecodePublicAccessBlock(std::string_view text) {
  auto flag = [text](size_t i) { return i < text.size() && text[i] == '1'; };
  return {.block_public_acls = flag(0),
          .ignore_public_acls = flag(1),
          .block_public_policy = flag(2),
          .restrict_public_buckets = flag(3)};
}

auth::AccessSettings AccessSettingsOf(const store::BucketAttributes& attributes) {
  const PublicAccessBlock block = DecodePublicAccessBlock(attributes.public_access_block);
  return {.ignore_public_acls = block.ignore_public_acls,
          .restrict_public_buckets = block.restrict_public_buckets,
          .acls_disabled = attributes.ownership == kBucketOwnerEnforced};
}

auth::Acl BucketAclOf(const S3Context& ctx, const store::BucketAttributes& attributes) {
  if (attributes.ownership == kBucketOwnerEnforced) return auth::PrivateAcl(attributes.owner);
  return DecodeOr(ctx, attributes.acl, attributes.owner);
}

auth::Acl ObjectAclOf(const S3Context& ctx, const store::ObjectMeta& meta,
                      const store::BucketAttributes& attributes) {
  if (attributes.ownership == kBucketOwnerEnforced) return auth::PrivateAcl(attributes.owner);
  return DecodeOr(ctx, meta.acl, attributes.owner);
}

std::string StoredAcl(const auth::Acl& acl, std::string_view bucket_owner) {
  return acl == auth::PrivateAcl(bucket_owner) ? std::string() : auth::EncodeAcl(acl);
}

bool MaySetAcl(S3Context& ctx, const auth::Acl& acl, const store::BucketAttributes& attributes,
               bool bucket_owner_full_control) {
  if (attributes.ownership == kBucketOwnerEnforced &&
      !(bucket_owner_full_control && OnlyBucketOwnerFullControl(acl, attributes.owner))) {
    ctx.Error("AccessControlListNotSupported", "The bucket does not allow ACLs");
    return false;
  }
  if (DecodePublicAccessBlock(attributes.public_access_block).block_public_acls &&
      auth::IsPublicAcl(acl)) {
    ctx.Error("AccessDenied");
    return false;
  }
  return true;
}

bool AclFromHeaders(S3Context& ctx, std::string_view owner,
                    const store::BucketAttributes& attributes, std::optional<auth::Acl>& acl) {
  acl.reset();
  const std::string* canned = ctx.request.Header("x-amz-acl");
  const bool grants = std::any_of(std::begin(kGrantHeaders), std::end(kGrantHeaders),
                                  [&](const auto& h) { return ctx.request.Header(h.first); });
  if (canned != nullptr && grants) {
    ctx.Error("InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed");
    return false;
  }
  if (canned != nullptr) {
    auto made = auth::CannedAcl(*canned, owner, attributes.owner);
    if (!made.ok()) {
      ctx.Error("InvalidArgument", {}, ArgumentDetails("x-amz-acl", *canned));
      return false;
    }
    acl = std::move(*made);
  } else if (grants) {
    acl = auth::Acl{.owner = std::string(owner), .grants = {}};
    const auth::UserExists exists = [&ctx](std::string_view name) {
      return ctx.users != nullptr && ctx.users->HasUser(name);
    };
    for (const auto& [header, permission] : kGrantHeaders) {
      const std::string* value = ctx.request.Header(header);
      if (value == nullptr) continue;
      if (Status s = auth::AddHeaderGrants(permission, *value, exists, *acl); !s.ok()) {
        ctx.Error(s);
        return false;
      }
    }
  } else {
    return true;
  }
  // bucket-owner-full-control sent as a grant header is the same ACL.
  const bool full_control_to_bucket_owner =
      canned != nullptr ? *canned == kBucketOwnerFullControl : true;
  return MaySetAcl(ctx, *acl, attributes, full_control_to_bucket_owner);
}

bool NewObjectAcl(S3Context& ctx, std::string& encoded) {
  const store::BucketAttributes& attributes = ctx.bucket_attributes;
  const std::string* canned = ctx.request.Header("x-amz-acl");
  const bool to_bucket_owner = ctx.user == nullptr ||
                               attributes.ownership == kBucketOwnerEnforced ||
                               (attributes.ownership == kBucketOwnerPreferred &&
                                canned != nullptr && *canned == kBucketOwnerFullControl);
  const std::string_view owner = to_bucket_owner ? attributes.owner : ctx.user->user;
  std::optional<auth::Acl> acl;
  if (!AclFromHeaders(ctx, owner, attributes, acl)) return false;
  if (attributes.ownership == kBucketOwnerEnforced) {
    encoded.clear();  // ACLs disabled: the object is the bucket owner's alone
    return true;
  }
  encoded = StoredAcl(acl ? *acl : auth::PrivateAcl(owner), attributes.owner);
  return true;
}

}  // namespace fsgate::gateway
