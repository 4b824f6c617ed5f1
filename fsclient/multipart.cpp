// Multipart uploads (to be completed).
#include "fsclient/fs_object_store.h"

namespace fsgate::fsclient {
namespace {
Status NotYet() { return Status::S3(s3err::kNotImplemented, "multipart uploads: not yet"); }
}  // namespace

Result<std::string> FsObjectStore::CreateMultipartUpload(const PutRequest&) { return NotYet(); }
Result<std::unique_ptr<ObjectWriter>> FsObjectStore::BeginUploadPart(const std::string&,
                                                                     const std::string&,
                                                                     const std::string&, int) {
  return NotYet();
}
Result<ObjectMeta> FsObjectStore::CompleteMultipartUpload(const std::string&, const std::string&,
                                                          const std::string&,
                                                          const std::vector<CompletedPart>&,
                                                          const WriteConditions&) {
  return NotYet();
}
Status FsObjectStore::AbortMultipartUpload(const std::string&, const std::string&,
                                           const std::string&) {
  return NotYet();
}
Result<std::vector<PartInfo>> FsObjectStore::ListParts(const std::string&, const std::string&,
                                                       const std::string&) {
  return NotYet();
}
Result<std::vector<UploadInfo>> FsObjectStore::ListMultipartUploads(const std::string&) {
  return NotYet();
}
Status FsObjectStore::RemoveUploadsOf(const std::string&) { return Status::Ok(); }

}  // namespace fsgate::fsclient
