// Authorize: may the authenticated caller do what it asks? Decided here, in
// one place, after authentication and before the handler.
//
// What is checked is the operation's Access (its row in the operation table).
// Today a bucket and everything in it are its owner's alone; an admin user may
// do everything. Bucket policies and ACLs will widen this; whatever they do
// not allow stays denied.
#pragma once

#include "gateway/s3_context.h"

namespace fsgate::gateway {

// Fills ctx.bucket_attributes for a request on a bucket; false after
// answering AccessDenied (or the error that kept the owner from being known).
// A bucket that does not exist, or a malformed name, is left to the handler:
// NoSuchBucket and InvalidBucketName are the same for every caller.
bool Authorize(S3Context& ctx);

}  // namespace fsgate::gateway
