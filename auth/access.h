// The access decision: may this caller do this action on this bucket or
// object? One pure function over everything that decides it, evaluated as
// AWS documents for S3:
//
//   1. an explicit Deny in the bucket policy wins (but never over the bucket
//      owner's Get/Put/DeleteBucketPolicy: AWS keeps an owner able to repair
//      a policy that locks everyone out);
//   2. the bucket's owner (and an admin user) may do everything, and a
//      multipart upload's initiator may list its parts and abort it
//      (s3:ListMultipartUploadParts, s3:AbortMultipartUpload), as AWS's
//      multipart permissions allow them by default;
//   3. an Allow of the policy, or a grant of an ACL, allows the action —
//      unless the public access block says to ignore it (IgnorePublicAcls:
//      grants to AllUsers/AuthenticatedUsers; RestrictPublicBuckets: a
//      public policy's Allow for an anonymous caller), or the ownership
//      controls disable ACLs (BucketOwnerEnforced);
//   4. anything else is denied.
//
// ACL permissions map to actions as AWS's ACL overview lists them: on the
// bucket READ = ListBucket, ListBucketVersions, ListBucketMultipartUploads;
// WRITE = PutObject, DeleteObject; READ_ACP = GetBucketAcl; WRITE_ACP =
// PutBucketAcl. On an object READ = GetObject (HEAD too); READ_ACP =
// GetObjectAcl; WRITE_ACP = PutObjectAcl; the object's owner always holds
// READ_ACP and WRITE_ACP. FULL_CONTROL is all of them.
#pragma once

#include <string_view>

#include "auth/acl.h"
#include "auth/policy.h"

namespace fsgate::auth {

// The bucket's public access block and ownership controls, as they bear on
// a decision.
struct AccessSettings {
  bool ignore_public_acls = false;
  bool restrict_public_buckets = false;
  bool acls_disabled = false;  // ObjectOwnership BucketOwnerEnforced
};

struct AccessRequest {
  PolicyRequest request;  // user (empty: anonymous), action, resource, conditions
  bool admin = false;
  std::string_view bucket_owner;
  const BucketPolicy* policy = nullptr;  // nullptr: the bucket has none
  const Acl* bucket_acl = nullptr;       // nullptr: private to the bucket's owner
  // The object's, for the actions ObjectAclDecides; nullptr: not read (the
  // object then grants nothing beyond the bucket's owner).
  const Acl* object_acl = nullptr;
  AccessSettings settings;
  // The initiator of the multipart upload the request addresses; empty: none
  // (or not read: only for the actions InitiatorMay).
  std::string_view upload_initiator;
};

[[nodiscard]] bool IsAllowed(const AccessRequest& request);
// Whether `user` (empty: anonymous) owns the bucket of `bucket_owner`, or is
// an admin: with no bucket policy, IsAllowed allows such a caller anything.
[[nodiscard]] bool OwnsBucket(std::string_view user, bool admin, std::string_view bucket_owner);

// True for the actions an object's ACL may allow (GetObject, GetObjectAcl,
// PutObjectAcl): only for those does the caller read the object's ACL.
[[nodiscard]] bool ObjectAclDecides(std::string_view action);

// True for the actions an upload's initiator may do on it by default
// (ListParts, AbortMultipartUpload): only for those is the upload read.
[[nodiscard]] bool InitiatorMay(std::string_view action);

// True for the actions on an existing object whose request context carries
// its tags as s3:ExistingObjectTag/<key>, the ones AWS lists for that key
// (reads of the object and of its ACL and tags, their changes; not PutObject
// or DeleteObject, which AWS does not give them).
[[nodiscard]] bool ExistingObjectTagsApply(std::string_view action);

}  // namespace fsgate::auth
