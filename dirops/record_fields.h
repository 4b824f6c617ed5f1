// The field encodings of intent journal records (intent_codec.h): integers
// little-endian, strings as u32 length and bytes. Shared by this format's
// codec and the decoder of older formats the caller registers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace fsgate::dirops {

inline void PutU8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }

// Little-endian, in one append: a push_back per byte checked the capacity
// for each (164 instructions a 64-bit field, callgrind).
template <typename T>
void PutInt(std::string* out, T v) {
  auto u = static_cast<std::make_unsigned_t<T>>(v);
  char bytes[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<char>((u >> (8 * i)) & 0xff);
  out->append(bytes, sizeof(T));
}

inline void PutString(std::string* out, std::string_view s) {
  PutInt<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

template <typename T>
T LoadInt(const char* p) {
  std::make_unsigned_t<T> u = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    u |= static_cast<std::make_unsigned_t<T>>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return static_cast<T>(u);
}

// Bounds-checked reader over one payload; any overrun marks it failed.
class RecordReader {
 public:
  explicit RecordReader(std::string_view data) : data_(data) {}
  bool ok() const { return ok_ && pos_ == data_.size(); }
  bool ok_so_far() const { return ok_; }
  bool at_end() const { return pos_ == data_.size(); }

  template <typename T>
  T Int() {
    if (!Need(sizeof(T))) return 0;
    T v = LoadInt<T>(data_.data() + pos_);
    pos_ += sizeof(T);
    return v;
  }
  std::string String() {
    auto n = Int<uint32_t>();
    if (!Need(n)) return {};
    std::string s(data_.substr(pos_, n));
    pos_ += n;
    return s;
  }

 private:
  bool Need(size_t n) {
    if (!ok_ || data_.size() - pos_ < n) ok_ = false;
    return ok_;
  }
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace fsgate::dirops
