// ObjectWriter and ObjectReader over backend files.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "fsclient/backend.h"
#include "fsclient/md5.h"
#include "fsclient/object_store.h"

namespace fsgate::fsclient {

// Streams a body into an open staging file, hashing it as it goes. Commit()
// merges its metadata over `base` (the request's: a field Commit() leaves empty
// keeps the request's value), fills etag and size, writes the metadata xattrs, syncs the file (with
// fsync), closes it and hands it to `publish`. A writer destroyed without a
// successful publish calls `discard` (which removes the staging file).
class StagingWriter final : public ObjectWriter {
 public:
  using Publish = std::function<Result<ObjectMeta>(ObjectMeta meta)>;
  using Discard = std::function<void()>;

  StagingWriter(std::unique_ptr<File> file, ObjectMeta base, bool fsync, int64_t expected_size,
                Publish publish, Discard discard);
  ~StagingWriter() override;

  Status Write(std::span<const char> data) override;
  uint64_t bytes_written() const override { return bytes_; }
  std::string Md5() override { return md5_.Digest(); }
  Result<ObjectMeta> Commit(ObjectMeta meta) override;

 private:
  std::unique_ptr<File> file_;
  const ObjectMeta base_;
  const bool fsync_;
  const int64_t expected_size_;
  Publish publish_;
  Discard discard_;
  fsclient::Md5 md5_;
  uint64_t bytes_ = 0;
  bool done_ = false;
};

// Reads one open version; a directory object (no data) reads as empty.
class FileReader final : public ObjectReader {
 public:
  FileReader(ObjectMeta meta, std::shared_ptr<File> data)
      : meta_(std::move(meta)), data_(std::move(data)) {}
  const ObjectMeta& meta() const override { return meta_; }
  Result<size_t> Read(uint64_t offset, std::span<char> buf) override;

 private:
  ObjectMeta meta_;
  std::shared_ptr<File> data_;
};

}  // namespace fsgate::fsclient
