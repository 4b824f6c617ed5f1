// SigningKeyCache: SigV4's derived signing keys, remembered per (secret key,
// date, region, service).
//
// The key is four chained HMACs over the secret and the credential scope, the
// same for every request a client signs that day; deriving it per request
// cost 4 of the 5 HMACs of a verification (11.5 µs of a GET's ~60 µs of CPU
// with OpenSSL's one-shot HMAC, measured with perf at 16 connections).
//
// Invariant: a cached key is exactly what SigningKey() derives from the same
// four inputs — the entry is found by all four, the secret compared whole,
// so a changed secret or another scope never meets an old key, and a cache
// hit accepts exactly the requests a fresh derivation would. Bounded: at
// kCapacity entries it is emptied and refills from the next requests (the
// entries in use turn over once a day).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace fsgate::auth {

class SigningKeyCache {
 public:
  static constexpr size_t kCapacity = 256;

  // The raw signing key, derived on a miss.
  std::string Get(std::string_view secret_key, std::string_view date, std::string_view region,
                  std::string_view service);
  size_t size() const;

  // The process's: every verification shares it.
  static SigningKeyCache& Shared();

 private:
  using Scope = std::tuple<std::string, std::string, std::string, std::string>;
  using ScopeView =
      std::tuple<std::string_view, std::string_view, std::string_view, std::string_view>;
  // Orders stored scopes and looked-up views alike, as views: a lookup makes
  // no copies (libc++ and clang's libstdc++ do not compare a tuple of strings
  // with a tuple of views directly).
  struct ScopeLess {
    using is_transparent = void;
    static ScopeView View(const Scope& s) {
      return {std::get<0>(s), std::get<1>(s), std::get<2>(s), std::get<3>(s)};
    }
    static const ScopeView& View(const ScopeView& s) { return s; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return View(a) < View(b);
    }
  };
  mutable std::mutex mutex_;  // guards keys_
  std::map<Scope, std::string, ScopeLess> keys_;
};

}  // namespace fsgate::auth
