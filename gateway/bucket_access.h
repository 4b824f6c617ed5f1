// A bucket's access settings as the gateway reads them from its attributes
// (public access block, ownership controls, ACL), and the ACL a write
// request carries in its headers.
//
// Ownership controls (ObjectOwnership) decide who owns a new object:
// BucketOwnerEnforced the bucket's owner, ACLs disabled (a request setting
// any ACL but bucket-owner-full-control is AccessControlListNotSupported);
// BucketOwnerPreferred the bucket's owner when the writer sends
// bucket-owner-full-control, else the writer; ObjectWriter (and no setting,
// the default for a new bucket, as fsgate always behaved) the writer. An
// anonymous writer's object is the bucket owner's: there is no anonymous
// owner to hold its ACL.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/access.h"
#include "auth/acl.h"
#include "gateway/s3_context.h"

namespace fsgate::gateway {

inline constexpr std::string_view kBucketOwnerEnforced = "BucketOwnerEnforced";
inline constexpr std::string_view kBucketOwnerPreferred = "BucketOwnerPreferred";
inline constexpr std::string_view kObjectWriter = "ObjectWriter";

struct PublicAccessBlock {
  bool block_public_acls = false;
  bool ignore_public_acls = false;
  bool block_public_policy = false;
  bool restrict_public_buckets = false;
};
// BucketAttributes::public_access_block: "0101", the flags in the order above.
[[nodiscard]] std::string EncodePublicAccessBlock(const PublicAccessBlock& block);
[[nodiscard]] PublicAccessBlock DecodePublicAccessBlock(std::string_view text);

// What the evaluator needs of the public access block and ownership controls.
[[nodiscard]] auth::AccessSettings AccessSettingsOf(const store::BucketAttributes& attributes);

// The bucket's ACL; a stored one that does not decode is private to the
// owner (fail closed: its grants are unknown). With ACLs disabled
// (BucketOwnerEnforced) it is the owner's FULL_CONTROL, whatever is stored,
// as AWS answers GetBucketAcl then.
[[nodiscard]] auth::Acl BucketAclOf(const S3Context& ctx,
                                    const store::BucketAttributes& attributes);
// An object's ACL in a bucket with `attributes`: absent (or ACLs disabled),
// private to the bucket's owner.
[[nodiscard]] auth::Acl ObjectAclOf(const S3Context& ctx, const store::ObjectMeta& meta,
                                    const store::BucketAttributes& attributes);

// What ACL a request sets, for a resource of `owner` in a bucket with
// `attributes`: x-amz-acl or x-amz-grant-* headers (nullopt in `acl` when
// neither is sent). Refuses both at once (InvalidRequest), an unknown canned
// ACL or grantee, an ACL the ownership controls disable or the public access
// block blocks. False after answering.
bool AclFromHeaders(S3Context& ctx, std::string_view owner,
                    const store::BucketAttributes& attributes, std::optional<auth::Acl>& acl);

// Checks an ACL about to be set (from headers or an AccessControlPolicy)
// against the bucket's ownership controls and public access block; false
// after answering AccessControlListNotSupported or AccessDenied.
bool MaySetAcl(S3Context& ctx, const auth::Acl& acl, const store::BucketAttributes& attributes,
               bool bucket_owner_full_control);

// The ACL of a new object written by the caller (PutObject, CopyObject,
// CreateMultipartUpload) into ctx.bucket, as ObjectMeta::acl: empty when it
// is private to the bucket's owner. False after answering.
bool NewObjectAcl(S3Context& ctx, std::string& encoded);

// The stored form of `acl` on a resource of the bucket's owner `bucket_owner`:
// empty when private to that owner.
[[nodiscard]] std::string StoredAcl(const auth::Acl& acl, std::string_view bucket_owner);

}  // namespace fsgate::gateway
