#include "auth/access.h"

#include <algorithm>
#include <iterator>
#include <optional>

namespace fsgate::auth {
namespace {

struct ActionPermission {
  std::string_view action;
  AclPermission permission;
};

constexpr ActionPermission kBucketActions[] = {
    {"s3:ListBucket", AclPermission::kRead},
    {"s3:ListBucketVersions", AclPermission::kRead},
    {"s3:ListBucketMultipartUploads", AclPermission::kRead},
    {"s3:PutObject", AclPermission::kWrite},
    {"s3:DeleteObject", AclPermission::kWrite},
    {"s3:GetBucketAcl", AclPermission::kReadAcp},
    {"s3:PutBucketAcl", AclPermission::kWriteAcp}};

constexpr ActionPermission kObjectActions[] = {
    {"s3:GetObject", AclPermission::kRead},
    {"s3:GetObjectVersion", AclPermission::kRead},
    {"s3:GetObjectAcl", AclPermission::kReadAcp},
    {"s3:GetObjectVersionAcl", AclPermission::kReadAcp},
    {"s3:PutObjectAcl", AclPermission::kWriteAcp},
    {"s3:PutObjectVersionAcl", AclPermission::kWriteAcp}};

template <size_t N>
std::optional<AclPermission> PermissionFor(const ActionPermission (&table)[N],
                                           std::string_view action) {
  for (const auto& row : table) {
    if (row.action == action) return row.permission;
  }
  return std::nullopt;
}

bool ManagesPolicy(std::string_view action) {
  return action == "s3:GetBucketPolicy" || action == "s3:PutBucketPolicy" ||
         action == "s3:DeleteBucketPolicy";
}

bool Holds(uint8_t granted, AclPermission needed) {
  const auto bits = static_cast<uint8_t>(needed);
  return (granted & bits) == bits;
}

bool AclAllows(const AccessRequest& r) {
  const std::string_view user = r.request.user;
  const bool ignore_public = r.settings.ignore_public_acls;
  if (auto needed = PermissionFor(kBucketActions, r.request.action)) {
    const Acl fallback = r.bucket_acl == nullptr ? PrivateAcl(r.bucket_owner) : Acl{};
    const Acl& acl = r.bucket_acl != nullptr ? *r.bucket_acl : fallback;
    return Holds(GrantedTo(acl, user, ignore_public), *needed);
  }
  if (auto needed = PermissionFor(kObjectActions, r.request.action)) {
    if (r.object_acl == nullptr) return false;
    uint8_t granted = GrantedTo(*r.object_acl, user, ignore_public);
    if (!user.empty() && r.object_acl->owner == user) {
      granted |= static_cast<uint8_t>(AclPermission::kReadAcp) |
                 static_cast<uint8_t>(AclPermission::kWriteAcp);
    }
    return Holds(granted, *needed);
  }
  return false;
}

}  // namespace

bool ObjectAclDecides(std::string_view action) {
  return PermissionFor(kObjectActions, action).has_value();
}

bool InitiatorMay(std::string_view action) {
  return action == "s3:AbortMultipartUpload" || action == "s3:ListMultipartUploadParts";
}

bool ExistingObjectTagsApply(std::string_view action) {
  static constexpr std::string_view kActions[] = {
      "s3:GetObject",           "s3:GetObjectVersion",    "s3:GetObjectAcl",
      "s3:GetObjectAttributes", "s3:GetObjectTagging",    "s3:PutObjectAcl",
      "s3:PutObjectTagging",    "s3:DeleteObjectTagging", "s3:GetObjectLegalHold",
      "s3:GetObjectRetention",  "s3:PutObjectLegalHold",  "s3:PutObjectRetention",
      "s3:RestoreObject"};
  return std::find(std::begin(kActions), std::end(kActions), action) != std::end(kActions);
}

bool OwnsBucket(std::string_view user, bool admin, std::string_view bucket_owner) {
  return admin || (!user.empty() && user == bucket_owner);
}

bool IsAllowed(const AccessRequest& r) {
  const std::string_view user = r.request.user;
  const bool owner = OwnsBucket(user, r.admin, r.bucket_owner);
  const PolicyDecision decision = r.policy != nullptr && !r.request.action.empty()
                                      ? EvaluatePolicy(*r.policy, r.request)
                                      : PolicyDecision::kNoDecision;
  if (decision == PolicyDecision::kDeny) return owner && ManagesPolicy(r.request.action);
  if (owner) return true;
  if (!user.empty() && user == r.upload_initiator && InitiatorMay(r.request.action)) return true;
  if (decision == PolicyDecision::kAllow) {
    // RestrictPublicBuckets: a public policy serves only signed callers.
    const bool restricted =
        r.settings.restrict_public_buckets && user.empty() && IsPublicPolicy(*r.policy);
    if (!restricted) return true;
  }
  return !r.settings.acls_disabled && AclAllows(r);
}

}  // namespace fsgate::auth
