// Tag-length-value fields: a tag byte, a varint (LEB128) length, the bytes.
// The one framing of the object metadata record (store/meta_record.h), which
// the engine extends with its own field (dirops/node_attrs.h): a reader skips
// what it does not know only by the framing both share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fsgate {

inline void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline void PutField(std::string& out, char tag, std::string_view bytes) {
  out.push_back(tag);
  PutVarint(out, bytes.size());
  out.append(bytes);
}

inline void PutVarintField(std::string& out, char tag, uint64_t v) {
  std::string bytes;
  PutVarint(bytes, v);
  PutField(out, tag, bytes);
}

class FieldReader {
 public:
  explicit FieldReader(std::string_view data) : data_(data) {}
  bool done() const { return data_.empty(); }
  std::string_view rest() const { return data_; }

  bool Varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (data_.empty()) return false;
      const auto byte = static_cast<unsigned char>(data_.front());
      data_.remove_prefix(1);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  bool Bytes(uint64_t n, std::string_view& out) {
    if (n > data_.size()) return false;
    out = data_.substr(0, n);
    data_.remove_prefix(n);
    return true;
  }
  bool Field(char& tag, std::string_view& bytes) {
    if (data_.empty()) return false;
    tag = data_.front();
    data_.remove_prefix(1);
    uint64_t n = 0;
    return Varint(n) && Bytes(n, bytes);
  }

 private:
  std::string_view data_;
};

inline bool DecodeVarint(std::string_view bytes, uint64_t& v) {
  FieldReader r(bytes);
  return r.Varint(v) && r.done();
}

}  // namespace fsgate
