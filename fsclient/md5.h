// MD5 for ETags, streamed as object bodies are written.
//
// The one place fsclient computes digests. It calls OpenSSL EVP directly until
// auth/hash.h's Hasher has landed on main; then it becomes a thin wrapper.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace fsgate::fsclient {

class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(Md5&&) noexcept;
  Md5& operator=(Md5&&) noexcept;
  void Update(std::string_view data);
  // Raw 16 bytes of everything passed so far; the stream stays usable.
  std::string Digest() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Lower-case hex of raw bytes.
std::string ToHex(std::string_view raw);
// Hex MD5 of `data`.
std::string Md5Hex(std::string_view data);

}  // namespace fsgate::fsclient
