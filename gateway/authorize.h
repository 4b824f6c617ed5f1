// Authorize: may the authenticated caller do what it asks? Decided here, in
// one place, after authentication and before the handler.
//
// What is checked is the operation's Access (its row in the operation table)
// and the bucket's policy, as AWS evaluates them: an explicit Deny in the
// policy wins (but over the owner's Get/Put/DeleteBucketPolicy), then the
// owner (or an admin user) may do everything, then a policy's Allow lets
// another user or an anonymous caller do its actions; anything else is
// denied. ACLs will widen this.
#pragma once

#include "gateway/s3_context.h"

namespace fsgate::gateway {

// Fills ctx.bucket_attributes for a request on a bucket; false after
// answering AccessDenied (or the error that kept the owner from being known).
// A bucket that does not exist, or a malformed name, is left to the handler:
// NoSuchBucket and InvalidBucketName are the same for every caller.
bool Authorize(S3Context& ctx);

// Authorize for POST object, whose caller and key its form names: may
// ctx.user (nullptr: anonymous) do the row's action on ctx.bucket/key? Fills
// ctx.bucket_attributes; false after answering AccessDenied.
bool AuthorizeFormUpload(S3Context& ctx, const std::string& key);

// May the caller delete bucket/key (s3:DeleteObject, or with `version` one
// version of it: s3:DeleteObjectVersion)? DeleteObjects asks for each key of
// its body, after Authorize filled ctx.bucket_attributes. A request naming a
// versionId is authorized as the version form of its action.
[[nodiscard]] bool MayDeleteKey(const S3Context& ctx, const std::string& key, bool version);

// Does the request ask to bypass GOVERNANCE retention of bucket/key
// (x-amz-bypass-governance-retention: true), and may the caller
// (s3:BypassGovernanceRetention; the owner may)?
[[nodiscard]] bool MayBypassGovernance(const S3Context& ctx, const std::string& key);

// May the caller do `action` on ctx.bucket/key besides the operation's own
// action (a PutObject setting object lock needs s3:PutObjectRetention too)?
[[nodiscard]] bool MayOnObject(const S3Context& ctx, const std::string& key,
                               std::string_view action);

}  // namespace fsgate::gateway
