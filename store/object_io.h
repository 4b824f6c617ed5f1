// ObjectWriter and ObjectReader over backend files.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/hash.h"
#include "fs/backend.h"
#include "store/object_store.h"

namespace fsgate::store {

// Streams a body towards a staging file, hashing it as it goes.
//
// With `inline_max` > 0 a body that stays within it is kept in memory and
// handed to `publish` as inline data, the staging file untouched (the
// namespace writes it: see dirops::StagedNode::inline_data). A larger body goes to
// the staging file; Commit() then writes the metadata xattrs, syncs (with
// fsync), closes, and calls `publish` without inline data.
//
// Commit() merges its metadata over `base` (the request's: a field Commit()
// leaves empty keeps the request's value) and fills etag and size. A writer
// destroyed without a successful publish calls `discard` (removing the staging file).
class StagingWriter final : public ObjectWriter {
 public:
  using Publish = std::function<Result<ObjectMeta>(ObjectMeta meta,
                                                   std::shared_ptr<const std::string> inline_data)>;
  using Discard = std::function<void()>;
  struct Options {
    bool fsync = true;
    int64_t expected_size = -1;
    uint64_t inline_max = 0;
  };

  StagingWriter(fs::Backend& backend, std::string staging_path, ObjectMeta base, Options options,
                Publish publish, Discard discard);
  ~StagingWriter() override;

  Status Write(std::span<const char> data) override;
  uint64_t bytes_written() const override { return bytes_; }
  // Finishes the digest: no Write() may follow (the gateway checks Content-MD5 last).
  std::string Md5() override;
  Result<ObjectMeta> Commit(ObjectMeta meta) override;

 private:
  // Opens the staging file and moves the buffered bytes into it.
  Status Spill();

  fs::Backend& backend_;
  const std::string path_;
  const ObjectMeta base_;
  const Options options_;
  Publish publish_;
  Discard discard_;
  std::unique_ptr<fs::File> file_;
  std::string buffer_;
  Hasher md5_{HashAlgorithm::kMd5};
  std::optional<std::string> digest_;
  uint64_t bytes_ = 0;
  bool done_ = false;
};

// Reads one open version; a directory object (no data) reads as empty.
class FileReader final : public ObjectReader {
 public:
  // Taken by reference to an rvalue: one move of the record fewer a GET
  // (a move of ObjectMeta is some 340 instructions).
  FileReader(ObjectMeta&& meta, std::shared_ptr<fs::File> data)
      : meta_(std::move(meta)), data_(std::move(data)) {}
  const ObjectMeta& meta() const override { return meta_; }
  Result<size_t> Read(uint64_t offset, std::span<char> buf) override;

 private:
  ObjectMeta meta_;
  std::shared_ptr<fs::File> data_;
};

}  // namespace fsgate::store
