// CredentialStore: the users allowed to sign requests.
//
// Sources, in order: FSGATE_ACCESS_KEY/FSGATE_SECRET_KEY (one user), then a JSON
// file {"users":[{"name":"alice","access_key":"…","secret_key":"…"}]} (an
// entry may add "admin": true). With neither, the caller generates a pair with
// Credentials::Generate().
//
// A user is its name: buckets are owned by name, and keys that share a name
// are one user.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace fsgate::auth {

struct Credentials {
  std::string user;
  std::string access_key;
  std::string secret_key;
  // May see and do everything, whoever owns the bucket.
  bool admin = false;

  // A fresh random pair (20-char access key, 40-char secret), user "admin".
  static Credentials Generate();
};

class CredentialStore {
 public:
  // Adds FSGATE_ACCESS_KEY/FSGATE_SECRET_KEY when both are set.
  void AddFromEnvironment();
  // Throws std::runtime_error with a one-line reason on an unreadable or
  // malformed file, or a duplicate access key.
  void AddFromFile(const std::string& path);
  void Add(Credentials credentials);
  // nullptr when unknown.
  const Credentials* Find(std::string_view access_key) const;
  // Some access key belongs to the user `name` (an ACL grant names users).
  [[nodiscard]] bool HasUser(std::string_view name) const;
  // The first user added: FSGATE_ACCESS_KEY's when set, else the file's first
  // (or the generated one). Empty while there is none.
  const std::string& main_user() const { return main_user_; }
  bool empty() const { return by_access_key_.empty(); }
  size_t size() const { return by_access_key_.size(); }

 private:
  std::map<std::string, Credentials, std::less<>> by_access_key_;
  std::string main_user_;
};

}  // namespace fsgate::auth
