#include "dirops/key_locks.h"

#include <algorithm>
#include <utility>

namespace fsgate::dirops {
namespace {

thread_local int t_stripes_held = 0;

}  // namespace

KeyLocks::Held& KeyLocks::Held::operator=(Held&& other) noexcept {
  if (this != &other) {
    Release();
    stripe_ = std::exchange(other.stripe_, nullptr);
  }
  return *this;
}

void KeyLocks::Held::Release() {
  if (stripe_ == nullptr) return;
  stripe_->owner.store(std::thread::id(), std::memory_order_relaxed);
  --t_stripes_held;
  std::exchange(stripe_, nullptr)->mu.unlock();
}

bool KeyLocks::ThisThreadHoldsAny() { return t_stripes_held > 0; }

KeyLocks::Held KeyLocks::Take(Stripe& s) {
  s.owner.store(std::this_thread::get_id(), std::memory_order_relaxed);
  ++t_stripes_held;
  return Held(&s);
}

KeyLocks::Held KeyLocks::Lock(std::string_view bucket, std::string_view key) {
  Stripe& s = stripes_[StripeOf(bucket, key)];
  if (HeldHere(s)) return Held();
  s.mu.lock();
  return Take(s);
}

std::optional<KeyLocks::Held> KeyLocks::TryLock(std::string_view bucket, std::string_view key) {
  Stripe& s = stripes_[StripeOf(bucket, key)];
  if (HeldHere(s)) return Held();
  if (!s.mu.try_lock()) return std::nullopt;
  return Take(s);
}

std::vector<std::string> KeyLocks::PathKeys(std::string_view key) {
  std::vector<std::string> keys{std::string(key)};
  if (key.ends_with('/')) keys.emplace_back(key.substr(0, key.size() - 1));
  for (size_t pos = key.find('/'); pos != std::string_view::npos && pos + 1 < key.size();
       pos = key.find('/', pos + 1)) {
    keys.emplace_back(key.substr(0, pos));
    keys.emplace_back(key.substr(0, pos + 1));
  }
  return keys;
}

std::vector<KeyLocks::Held> KeyLocks::LockPath(std::string_view bucket, std::string_view key) {
  return LockMany(bucket, PathKeys(key));
}

std::vector<KeyLocks::Held> KeyLocks::LockMany(std::string_view bucket,
                                               const std::vector<std::string>& keys) {
  std::vector<size_t> wanted;
  for (const std::string& key : keys) {
    const size_t i = StripeOf(bucket, key);
    if (!HeldHere(stripes_[i])) wanted.push_back(i);
  }
  if (wanted.empty()) return {};
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  // Block on one stripe holding nothing else, then try the rest; on a busy
  // one let all go and block on that one next (std::lock's back-off).
  size_t first = 0;
  for (;;) {
    std::vector<Held> held;
    stripes_[wanted[first]].mu.lock();
    held.push_back(Take(stripes_[wanted[first]]));
    size_t busy = wanted.size();
    for (size_t i = 0; i < wanted.size() && busy == wanted.size(); ++i) {
      if (i == first) continue;
      Stripe& s = stripes_[wanted[i]];
      if (s.mu.try_lock()) {
        held.push_back(Take(s));
      } else {
        busy = i;
      }
    }
    if (busy == wanted.size()) return held;
    first = busy;
  }
}

}  // namespace fsgate::dirops
