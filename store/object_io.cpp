#include "store/object_io.h"

#include "store/object_meta_codec.h"
#include "store/s3_errors.h"

namespace fsgate::store {

StagingWriter::StagingWriter(fs::Backend& backend, std::string staging_path, ObjectMeta base,
                             Options options, Publish publish, Discard discard)
    : backend_(backend),
      path_(std::move(staging_path)),
      base_(std::move(base)),
      options_(options),
      publish_(std::move(publish)),
      discard_(std::move(discard)) {}

StagingWriter::~StagingWriter() {
  if (!done_) {
    file_.reset();
    discard_();
  }
}

Status StagingWriter::Spill() {
  auto file = backend_.Open(path_, fs::Backend::OpenMode::kReadWrite);
  if (!file.ok()) return file.status();
  file_ = std::move(*file);
  if (Status s = file_->PWrite(0, buffer_); !s.ok()) return s;
  buffer_.clear();
  buffer_.shrink_to_fit();
  return Status::Ok();
}

Status StagingWriter::Write(std::span<const char> data) {
  if (done_ || digest_) return Status::Errno(EINVAL, "write after commit or digest");
  if (!file_ && bytes_ + data.size() <= options_.inline_max) {
    buffer_.append(data.data(), data.size());
  } else {
    if (!file_) {
      if (Status s = Spill(); !s.ok()) return s;
    }
    if (Status s = file_->PWrite(bytes_, data); !s.ok()) return s;
  }
  md5_.Update(std::string_view(data.data(), data.size()));
  bytes_ += data.size();
  return Status::Ok();
}

std::string StagingWriter::Md5() {
  if (!digest_) digest_ = md5_.Finish();
  return *digest_;
}

Result<ObjectMeta> StagingWriter::Commit(ObjectMeta meta) {
  if (done_) return Status::Errno(EINVAL, "commit twice");
  if (options_.expected_size >= 0 && bytes_ != static_cast<uint64_t>(options_.expected_size)) {
    return S3Error(s3err::kIncompleteBody,
                   "You did not provide the number of bytes specified by the Content-Length "
                   "HTTP header");
  }
  if (meta.content_type.empty()) meta.content_type = base_.content_type;
  if (meta.system_headers.empty()) meta.system_headers = base_.system_headers;
  if (meta.user_meta.empty()) meta.user_meta = base_.user_meta;
  if (meta.checksums.empty()) meta.checksums = base_.checksums;
  if (meta.content_type.empty()) meta.content_type = kDefaultContentType;
  meta.etag = HexEncode(Md5());
  meta.size = bytes_;
  std::shared_ptr<const std::string> inline_data;
  if (!file_ && options_.inline_max > 0) {
    inline_data = std::make_shared<const std::string>(std::move(buffer_));
  } else {
    if (!file_) {
      if (Status s = Spill(); !s.ok()) return s;
    }
    if (Status s = WriteObjectMeta(*file_, meta); !s.ok()) return s;
    if (options_.fsync) {
      if (Status s = file_->Sync(); !s.ok()) return s;
    }
    if (Status s = file_->Close(); !s.ok()) return s;
  }
  auto published = publish_(std::move(meta), std::move(inline_data));
  if (published.ok()) done_ = true;  // else the destructor discards the staging file
  return published;
}

Result<size_t> FileReader::Read(uint64_t offset, std::span<char> buf) {
  if (!data_) return size_t{0};
  return data_->PRead(offset, buf);
}

}  // namespace fsgate::store
