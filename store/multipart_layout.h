// Multipart uploads on disk, one directory per bucket:
//
//   .fsgate/multipart/<bucket>/<upload-id>/upload       JSON: bucket, key, initiation time,
//   "record": the object's metadata record (meta_record.h) in hex — the one codec of
//   ObjectMeta; an upload an older fsgate began has its metadata as JSON ("meta") instead —
//   the checksum algorithm ("ckalg") the upload was created with and who initiated it
//   ("initiator", absent for an anonymous caller or an upload an older fsgate began)
//   .fsgate/multipart/<bucket>/<upload-id>/part-00001   one file per part, its ETag and checksum
//   in xattrs
//
// Per bucket, so that ListMultipartUploads reads only its own bucket's uploads
// and DeleteBucket drops them with one rename.
//
// Releases before this one kept every upload flat in .fsgate/multipart/<upload-id>/.
// MigrateFlatUploads moves those under their bucket at start, so that uploads in
// progress across an upgrade carry on. A flat upload is told from a bucket's
// directory by its `upload` file (a bucket's directory holds only directories),
// never by its name: a bucket may be called like an upload id.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "fs/backend.h"
#include "store/object_store.h"

namespace fsgate::store::multipart {

struct UploadRecord {
  std::string bucket;
  std::string key;
  int64_t initiated_ns = 0;
  ObjectMeta meta;                 // its checksum_type with an algorithm
  std::string checksum_algorithm;  // x-amz-checksum-algorithm; empty: none
  std::string initiator;           // the user; empty: anonymous or not recorded
};

// 32 lower-case hex digits: nothing else can name an upload directory.
bool IsValidUploadId(const std::string& id);

std::string BucketUploadsDir(const std::string& bucket);
std::string UploadDir(const std::string& bucket, const std::string& upload_id);

std::string EncodeUploadRecord(const UploadRecord& upload);
// The record in `upload_dir`; ENOENT when there is none.
Result<UploadRecord> LoadUploadRecord(fs::Backend& backend, const std::string& upload_dir);

// Removes `dir` and what it holds, two levels deep (a bucket's uploads dir and
// its uploads' files); errors are ignored, what is left is retried by the next
// removal of the same bucket or by the expiry scan.
void RemoveUploadTree(fs::Backend& backend, const std::string& dir);

// Moves uploads of the flat layout under their bucket's directory; returns how
// many moved. Idempotent: a start interrupted half way finishes the move next time.
Result<size_t> MigrateFlatUploads(fs::Backend& backend, bool fsync);

}  // namespace fsgate::store::multipart
