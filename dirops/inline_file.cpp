#include "dirops/inline_file.h"

#include <algorithm>
#include <cstring>

namespace fsgate::dirops {
namespace {

class InlineFile final : public fs::File {
 public:
  InlineFile(std::shared_ptr<const std::string> data, int64_t mtime_ns)
      : data_(std::move(data)), mtime_ns_(mtime_ns) {}

  Result<size_t> PRead(uint64_t offset, std::span<char> buf) override {
    if (offset >= data_->size()) return size_t{0};
    size_t n = std::min<uint64_t>(buf.size(), data_->size() - offset);
    std::memcpy(buf.data(), data_->data() + offset, n);
    return n;
  }
  Status PWrite(uint64_t, std::span<const char>) override { return ReadOnly(); }
  Status Truncate(uint64_t) override { return ReadOnly(); }
  Status SetMtime(int64_t) override { return ReadOnly(); }
  Status Sync() override { return Status::Ok(); }
  Result<fs::FileStat> Stat() override {
    fs::FileStat st;
    st.size = data_->size();
    st.mtime_ns = mtime_ns_;
    st.is_regular = true;
    return st;
  }
  Result<std::string> GetXattr(const std::string& name) override {
    return Status::Errno(ENODATA, "getxattr " + name + " of a pending file");
  }
  Status SetXattr(const std::string&, std::string_view) override { return ReadOnly(); }
  Status RemoveXattr(const std::string&) override { return ReadOnly(); }
  Result<std::vector<std::string>> ListXattrs() override { return std::vector<std::string>{}; }
  Status CopyFrom(fs::File&, uint64_t, uint64_t, uint64_t) override { return ReadOnly(); }
  Status Close() override { return Status::Ok(); }

 private:
  static Status ReadOnly() { return Status::Errno(EBADF, "pending inline file is read-only"); }
  std::shared_ptr<const std::string> data_;
  int64_t mtime_ns_;
};

}  // namespace

std::shared_ptr<fs::File> MakeInlineFile(std::shared_ptr<const std::string> data,
                                         int64_t mtime_ns) {
  return std::make_shared<InlineFile>(std::move(data), mtime_ns);
}

Status WriteInlineBody(fs::File& file, const std::string& data) {
  // A staging file is created empty (the delegated pool adopts only empty
  // ones) and only this body is ever written into it, so whatever an earlier
  // attempt left is a prefix of `data`: writing it whole leaves exactly `data`,
  // with no fstat to learn the size and no truncate (truncating an empty file
  // to zero is not free: ext4 then flushes the file on close). Measured: one
  // syscall less per applied inline create.
  return file.PWrite(0, data);
}

}  // namespace fsgate::dirops
