#include "fsclient/md5.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace fsgate::fsclient {

struct Md5::Impl {
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx{EVP_MD_CTX_new()};
};

Md5::Md5() : impl_(std::make_unique<Impl>()) {
  if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx.get(), EVP_md5(), nullptr) != 1) {
    throw std::runtime_error("EVP md5 init failed");
  }
}
Md5::~Md5() = default;
Md5::Md5(Md5&&) noexcept = default;
Md5& Md5::operator=(Md5&&) noexcept = default;

void Md5::Update(std::string_view data) {
  EVP_DigestUpdate(impl_->ctx.get(), data.data(), data.size());
}

std::string Md5::Digest() const {
  std::unique_ptr<EVP_MD_CTX, Impl::Free> copy(EVP_MD_CTX_new());
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!copy || EVP_MD_CTX_copy_ex(copy.get(), impl_->ctx.get()) != 1 ||
      EVP_DigestFinal_ex(copy.get(), out, &len) != 1) {
    throw std::runtime_error("EVP md5 final failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string ToHex(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 0xf]);
  }
  return hex;
}

std::string Md5Hex(std::string_view data) {
  Md5 md5;
  md5.Update(data);
  return ToHex(md5.Digest());
}

}  // namespace fsgate::fsclient
