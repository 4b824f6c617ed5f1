#include "fs/direct_log_file.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace fsgate::fs {

namespace {

constexpr uint64_t AlignDown(uint64_t n) { return n & ~(DirectLogFile::kBlock - 1); }
constexpr uint64_t AlignUp(uint64_t n) { return AlignDown(n + DirectLogFile::kBlock - 1); }

// A rare large batch does not keep its buffer.
constexpr uint64_t kKeptBufferBytes = 1 << 20;

}  // namespace

void DirectLogFile::FreeAligned::operator()(char* p) const { std::free(p); }

DirectLogFile::DirectLogFile(std::unique_ptr<File> direct, uint64_t size)
    : FileWrapper(std::move(direct)), size_(size) {}

char* DirectLogFile::Reserve(uint64_t bytes) {
  if (capacity_ < bytes) {
    const uint64_t capacity = AlignUp(bytes);
    buffer_.reset(static_cast<char*>(std::aligned_alloc(kBlock, capacity)));
    if (!buffer_) throw std::bad_alloc();
    capacity_ = capacity;
  }
  return buffer_.get();
}

Status DirectLogFile::ReadBlock(uint64_t start, char* out) {
  auto n = FileWrapper::PRead(start, std::span<char>(out, kBlock));
  if (!n.ok()) return n.status();
  std::memset(out + *n, 0, kBlock - *n);
  return Status::Ok();
}

Result<size_t> DirectLogFile::PRead(uint64_t offset, std::span<char> buf) {
  if (buf.empty()) return size_t{0};
  const uint64_t first = AlignDown(offset);
  const uint64_t last = AlignUp(offset + buf.size());
  char* bounce = Reserve(last - first);
  auto n = FileWrapper::PRead(first, std::span<char>(bounce, last - first));
  if (!n.ok()) return n.status();
  const uint64_t skip = offset - first;
  if (*n <= skip) return size_t{0};
  const size_t got = std::min<size_t>(buf.size(), *n - skip);
  std::memcpy(buf.data(), bounce + skip, got);
  return got;
}

Status DirectLogFile::PWrite(uint64_t offset, std::span<const char> data) {
  if (data.empty()) return Status::Ok();
  const uint64_t end = offset + data.size();
  const uint64_t first = AlignDown(offset);
  const uint64_t last = AlignUp(end);
  char* out = Reserve(last - first);
  const uint64_t head = offset - first;
  if (head > 0) {
    if (last_valid_ && last_start_ == first) {
      std::memcpy(out, last_block_.get(), head);
    } else if (Status s = ReadBlock(first, out); !s.ok()) {
      return s;
    }
  }
  std::memcpy(out + head, data.data(), data.size());
  std::memset(out + head + data.size(), 0, last - end);
  last_valid_ = false;  // unknown until the write is done
  if (Status s = FileWrapper::PWrite(first, std::span<const char>(out, last - first)); !s.ok()) {
    return s;
  }
  if (last > size_) {
    // The padding grew the file past the write's end: back to it.
    if (Status s = FileWrapper::Truncate(std::max(end, size_)); !s.ok()) return s;
  }
  size_ = std::max(size_, end);
  if (!last_block_) {
    last_block_.reset(static_cast<char*>(std::aligned_alloc(kBlock, kBlock)));
    if (!last_block_) throw std::bad_alloc();
  }
  last_start_ = last - kBlock;
  std::memcpy(last_block_.get(), out + (last_start_ - first), kBlock);
  last_valid_ = true;
  if (capacity_ > kKeptBufferBytes) {
    buffer_.reset();
    capacity_ = 0;
  }
  return Status::Ok();
}

Status DirectLogFile::Truncate(uint64_t size) {
  last_valid_ = false;
  size_ = size;
  return FileWrapper::Truncate(size);
}

}  // namespace fsgate::fs
