#include "fsclient/object_io.h"

#include "fsclient/object_meta_codec.h"

namespace fsgate::fsclient {

StagingWriter::StagingWriter(std::unique_ptr<File> file, ObjectMeta base, bool fsync,
                             int64_t expected_size, Publish publish, Discard discard)
    : file_(std::move(file)),
      base_(std::move(base)),
      fsync_(fsync),
      expected_size_(expected_size),
      publish_(std::move(publish)),
      discard_(std::move(discard)) {}

StagingWriter::~StagingWriter() {
  if (!done_) {
    file_.reset();
    discard_();
  }
}

Status StagingWriter::Write(std::span<const char> data) {
  if (done_) return Status::Errno(EINVAL, "write after commit");
  if (Status s = file_->PWrite(bytes_, data); !s.ok()) return s;
  md5_.Update(std::string_view(data.data(), data.size()));
  bytes_ += data.size();
  return Status::Ok();
}

Result<ObjectMeta> StagingWriter::Commit(ObjectMeta meta) {
  if (done_) return Status::Errno(EINVAL, "commit twice");
  if (expected_size_ >= 0 && bytes_ != static_cast<uint64_t>(expected_size_)) {
    return Status::S3(s3err::kIncompleteBody,
                      "You did not provide the number of bytes specified by the Content-Length "
                      "HTTP header");
  }
  if (meta.content_type.empty()) meta.content_type = base_.content_type;
  if (meta.system_headers.empty()) meta.system_headers = base_.system_headers;
  if (meta.user_meta.empty()) meta.user_meta = base_.user_meta;
  if (meta.checksums.empty()) meta.checksums = base_.checksums;
  meta.etag = ToHex(md5_.Digest());
  meta.size = bytes_;
  if (meta.content_type.empty()) meta.content_type = kDefaultContentType;
  if (Status s = WriteObjectMeta(*file_, meta); !s.ok()) return s;
  if (fsync_) {
    if (Status s = file_->Sync(); !s.ok()) return s;
  }
  if (Status s = file_->Close(); !s.ok()) return s;
  auto published = publish_(std::move(meta));
  if (published.ok()) done_ = true;  // else the destructor discards the staging file
  return published;
}

Result<size_t> FileReader::Read(uint64_t offset, std::span<char> buf) {
  if (!data_) return size_t{0};
  return data_->PRead(offset, buf);
}

}  // namespace fsgate::fsclient
