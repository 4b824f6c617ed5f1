// An answer's header fields, written as they are added into one buffer in
// their wire form ("Name: value\r\n"...), which the server sends as it is.
// A vector of string pairs made a GET about ten mallocs (the vector, and each
// value past the small-string size) and its head copied them all once more.
//
// Invariants of the buffer: every line holds a value with no control
// character (IsValidHeaderValue: a CR or LF would end the line and let the
// value write headers or a body of its own), and no Connection field; a
// "Connection: close" asked for is kept as closes().
#pragma once

#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

namespace fsgate::http {

// True when `value` may be sent as a header field value: no control character
// (0x00-0x1F but HTAB, and 0x7F). A CR or LF would end the header line and
// let the value write headers (or a body) of its own: response splitting.
bool IsValidHeaderValue(std::string_view value);

class Headers {
 public:
  using Field = std::pair<std::string_view, std::string_view>;

  Headers() = default;
  Headers(std::initializer_list<Field> fields);

  // Adds a field. A value holding a control character is dropped (and
  // logged): handlers refuse such values on input, and one that still gets
  // here must not split the response.
  void emplace_back(std::string_view name, std::string_view value);
  void push_back(const Field& field) { emplace_back(field.first, field.second); }
  void Append(const Headers& other);
  // Replaces the value of the first field named `name` (exactly), or adds it.
  void Set(std::string_view name, std::string_view value);
  void reserve(size_t bytes) { wire_.reserve(bytes); }

  bool closes() const { return closes_; }
  // The fields in wire form, each line ending in CRLF.
  std::string_view wire() const { return wire_; }
  bool empty() const { return wire_.empty(); }

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Field;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Field;

    const_iterator() = default;
    const_iterator(std::string_view wire, size_t pos) : wire_(wire), pos_(pos) {}
    Field operator*() const;
    const_iterator& operator++();
    const_iterator operator++(int) {
      auto old = *this;
      ++*this;
      return old;
    }
    bool operator==(const const_iterator& o) const { return pos_ == o.pos_; }

   private:
    std::string_view wire_;
    size_t pos_ = 0;
  };
  const_iterator begin() const { return {wire_, 0}; }
  const_iterator end() const { return {wire_, wire_.size()}; }

 private:
  std::string wire_;
  bool closes_ = false;
};

}  // namespace fsgate::http
