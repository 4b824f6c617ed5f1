#include "auth/credentials.h"

#include <openssl/rand.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace fsgate::auth {
namespace {

// Uniform over `alphabet` (rejection sampling, no modulo bias).
std::string RandomString(std::string_view alphabet, size_t length) {
  const unsigned limit = 256 - 256 % alphabet.size();
  std::string out;
  while (out.size() < length) {
    unsigned char buf[64];
    if (RAND_bytes(buf, sizeof(buf)) != 1) throw std::runtime_error("RAND_bytes failed");
    for (unsigned char b : buf) {
      if (b < limit && out.size() < length) out.push_back(alphabet[b % alphabet.size()]);
    }
  }
  return out;
}

std::string RequiredString(const rapidjson::Value& user, const char* field, size_t index,
                           const std::string& path) {
  const auto it = user.FindMember(field);
  if (it == user.MemberEnd() || !it->value.IsString() || it->value.GetStringLength() == 0) {
    throw std::runtime_error("credentials file " + path + ": users[" + std::to_string(index) +
                             "]." + field + " must be a non-empty string");
  }
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

bool OptionalBool(const rapidjson::Value& user, const char* field, size_t index,
                  const std::string& path) {
  const auto it = user.FindMember(field);
  if (it == user.MemberEnd()) return false;
  if (!it->value.IsBool()) {
    throw std::runtime_error("credentials file " + path + ": users[" + std::to_string(index) +
                             "]." + field + " must be true or false");
  }
  return it->value.GetBool();
}

}  // namespace

Credentials Credentials::Generate() {
  // The alphabets AWS uses: upper-case letters and digits for the key id,
  // base64 characters for the secret.
  return Credentials{
      .user = "admin",
      .access_key = RandomString("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 20),
      .secret_key =
          RandomString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40),
  };
}

void CredentialStore::AddFromEnvironment() {
  const char* access_key = std::getenv("FSGATE_ACCESS_KEY");
  const char* secret_key = std::getenv("FSGATE_SECRET_KEY");
  if (access_key == nullptr || secret_key == nullptr || *access_key == '\0' ||
      *secret_key == '\0') {
    return;
  }
  Add(Credentials{.user = "admin", .access_key = access_key, .secret_key = secret_key});
}

// All or nothing: the store is unchanged when the file is refused.
void CredentialStore::AddFromFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("credentials file " + path + ": cannot be opened");
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) throw std::runtime_error("credentials file " + path + ": read error");

  rapidjson::Document doc;
  doc.Parse(text.str().c_str(), text.str().size());
  if (doc.HasParseError()) {
    throw std::runtime_error("credentials file " + path + ": invalid JSON at offset " +
                             std::to_string(doc.GetErrorOffset()) + ": " +
                             rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject() || !doc.HasMember("users") || !doc["users"].IsArray()) {
    throw std::runtime_error("credentials file " + path +
                             ": expected {\"users\":[{\"name\",\"access_key\",\"secret_key\"}]}");
  }
  std::vector<Credentials> users;
  std::map<std::string, size_t, std::less<>> seen;
  const auto& array = doc["users"].GetArray();
  for (rapidjson::SizeType i = 0; i < array.Size(); ++i) {
    if (!array[i].IsObject()) {
      throw std::runtime_error("credentials file " + path + ": users[" + std::to_string(i) +
                               "] must be an object");
    }
    Credentials c{.user = RequiredString(array[i], "name", i, path),
                  .access_key = RequiredString(array[i], "access_key", i, path),
                  .secret_key = RequiredString(array[i], "secret_key", i, path),
                  .admin = OptionalBool(array[i], "admin", i, path)};
    if (by_access_key_.contains(c.access_key) || !seen.emplace(c.access_key, i).second) {
      throw std::runtime_error("credentials file " + path + ": users[" + std::to_string(i) +
                               "]: duplicate access_key " + c.access_key);
    }
    users.push_back(std::move(c));
  }
  for (auto& c : users) Add(std::move(c));
}

bool CredentialStore::HasUser(std::string_view name) const {
  for (const auto& [key, credentials] : by_access_key_) {
    if (credentials.user == name) return true;
  }
  return false;
}

void CredentialStore::Add(Credentials credentials) {
  // try_emplace leaves `credentials` untouched when the key is taken.
  const std::string key = credentials.access_key;
  const std::string user = credentials.user;
  if (!by_access_key_.try_emplace(key, std::move(credentials)).second) {
    throw std::runtime_error("duplicate access key " + key);
  }
  if (main_user_.empty()) main_user_ = user;
}

const Credentials* CredentialStore::Find(std::string_view access_key) const {
  const auto it = by_access_key_.find(access_key);
  return it == by_access_key_.end() ? nullptr : &it->second;
}

}  // namespace fsgate::auth
