// The bucket record, ROOT/.fsgate/buckets/<name>: what is stored with a bucket
// besides its directory. One JSON object with a format version,
//   {"v":1,"created_ns":…,"owner":"alice","region":"eu-west-1","tags":[["k","v"],…],
//    "policy":"<the bucket policy's JSON, as sent>","acl":"<auth/acl.h's codec>",
//    "public_access_block":"0101","ownership":"BucketOwnerEnforced",
//    "cors":"<CORSConfiguration XML>","versioning":"Enabled"|"Suspended",
//    "object_lock":"Enabled[ <MODE> <N>d|y]" (object_lock.h)}
// (each of tags, policy, acl, public_access_block, ownership, cors, versioning,
// object_lock only when set; object lock implies versioning, so format 2).
// Records written before the version existed hold only the creation time in
// nanoseconds ("<ns>\n"); they decode with no owner and no region. A record
// with "versioning" is of format 2, else of format 1.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "store/object_store.h"

namespace fsgate::store {

inline constexpr int kBucketRecordVersion = 2;

struct BucketRecord {
  int64_t created_ns = 0;
  BucketAttributes attributes;
};

std::string EncodeBucketRecord(const BucketRecord& record);
// Refuses a record of a newer format (EPROTONOSUPPORT) or one that does not
// parse (EINVAL): a bucket's owner is never guessed from a damaged record.
Result<BucketRecord> DecodeBucketRecord(std::string_view text);

}  // namespace fsgate::store
