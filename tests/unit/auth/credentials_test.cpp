#include "auth/credentials.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

namespace fsgate::auth {
namespace {

class CredentialFile : public testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("fsgate-creds-" + std::to_string(::getpid()) + "-" +
              testing::UnitTest::GetInstance()->current_test_info()->name() + ".json"))
                .string();
  }
  void TearDown() override { std::filesystem::remove(path_); }

  void Write(const std::string& text) { std::ofstream(path_, std::ios::binary) << text; }

  // The one-line reason AddFromFile gives.
  std::string ErrorFor(const std::string& text, CredentialStore& store) {
    Write(text);
    try {
      store.AddFromFile(path_);
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      return what;
    }
    return "";
  }
  std::string ErrorFor(const std::string& text) {
    CredentialStore store;
    return ErrorFor(text, store);
  }

  std::string path_;
};

TEST_F(CredentialFile, LoadsUsers) {
  Write(R"({"users":[{"name":"alice","access_key":"AKALICE","secret_key":"s1"},
                     {"name":"bob","access_key":"AKBOB","secret_key":"s2"}]})");
  CredentialStore store;
  store.AddFromFile(path_);
  ASSERT_EQ(store.size(), 2u);
  const Credentials* bob = store.Find("AKBOB");
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(bob->user, "bob");
  EXPECT_EQ(bob->secret_key, "s2");
  EXPECT_EQ(store.Find("AKCAROL"), nullptr);
}

TEST_F(CredentialFile, Errors) {
  EXPECT_NE(ErrorFor("{\"users\": [").find("invalid JSON at offset"), std::string::npos);
  EXPECT_NE(ErrorFor("[]").find("expected {\"users\""), std::string::npos);
  EXPECT_NE(ErrorFor(R"({"users":{}})").find("expected"), std::string::npos);
  EXPECT_NE(ErrorFor(R"({"users":[1]})").find("users[0] must be an object"), std::string::npos);
  EXPECT_NE(ErrorFor(R"({"users":[{"name":"a","access_key":"K"}]})")
                .find("users[0].secret_key must be a non-empty string"),
            std::string::npos);
  EXPECT_NE(ErrorFor(R"({"users":[{"name":"a","access_key":7,"secret_key":"s"}]})")
                .find("users[0].access_key"),
            std::string::npos);
  EXPECT_NE(ErrorFor(R"({"users":[{"name":"","access_key":"K","secret_key":"s"}]})")
                .find("users[0].name"),
            std::string::npos);
}

TEST_F(CredentialFile, MissingFile) {
  CredentialStore store;
  try {
    store.AddFromFile(path_ + ".absent");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot be opened"), std::string::npos);
  }
}

TEST_F(CredentialFile, DuplicatesRefusedAndStoreUnchanged) {
  CredentialStore store;
  EXPECT_NE(ErrorFor(R"({"users":[{"name":"a","access_key":"K","secret_key":"s"},
                                  {"name":"b","access_key":"K","secret_key":"t"}]})",
                     store)
                .find("users[1]: duplicate access_key K"),
            std::string::npos);
  EXPECT_TRUE(store.empty());

  store.Add(Credentials{.user = "env", .access_key = "ENVKEY", .secret_key = "x"});
  EXPECT_NE(ErrorFor(R"({"users":[{"name":"a","access_key":"OTHER","secret_key":"s"},
                                  {"name":"b","access_key":"ENVKEY","secret_key":"t"}]})",
                     store)
                .find("duplicate access_key ENVKEY"),
            std::string::npos);
  EXPECT_EQ(store.size(), 1u);  // all or nothing: OTHER was not added
  EXPECT_EQ(store.Find("ENVKEY")->user, "env");
  EXPECT_THROW(store.Add(Credentials{.user = "again", .access_key = "ENVKEY", .secret_key = "y"}),
               std::runtime_error);
  EXPECT_EQ(store.Find("ENVKEY")->secret_key, "x");
}

TEST_F(CredentialFile, AdminFlagAndMainUser) {
  CredentialStore store;
  store.Add(Credentials{.user = "env", .access_key = "ENVKEY", .secret_key = "x"});
  Write(R"({"users":[{"name":"alice","access_key":"AKALICE","secret_key":"s1"},
                     {"name":"root","access_key":"AKROOT","secret_key":"s2","admin":true},
                     {"name":"bob","access_key":"AKBOB","secret_key":"s3","admin":false}]})");
  store.AddFromFile(path_);
  EXPECT_FALSE(store.Find("ENVKEY")->admin);
  EXPECT_FALSE(store.Find("AKALICE")->admin);
  EXPECT_TRUE(store.Find("AKROOT")->admin);
  EXPECT_FALSE(store.Find("AKBOB")->admin);
  // The first user added, whatever the order of the access keys.
  EXPECT_EQ(store.main_user(), "env");

  CredentialStore file_only;
  file_only.AddFromFile(path_);
  EXPECT_EQ(file_only.main_user(), "alice");

  EXPECT_NE(ErrorFor(R"({"users":[{"name":"a","access_key":"K","secret_key":"s","admin":"yes"}]})")
                .find("users[0].admin must be true or false"),
            std::string::npos);
}

TEST(CredentialStore, FromEnvironment) {
  ::setenv("FSGATE_ACCESS_KEY", "ENVAK", 1);
  ::unsetenv("FSGATE_SECRET_KEY");
  CredentialStore store;
  store.AddFromEnvironment();  // only one of the pair: nothing
  EXPECT_TRUE(store.empty());
  ::setenv("FSGATE_SECRET_KEY", "ENVSECRET", 1);
  store.AddFromEnvironment();
  ::unsetenv("FSGATE_ACCESS_KEY");
  ::unsetenv("FSGATE_SECRET_KEY");
  ASSERT_EQ(store.size(), 1u);
  EXPECT_EQ(store.Find("ENVAK")->secret_key, "ENVSECRET");
}

TEST(CredentialStore, GenerateLooksLikeAws) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const Credentials c = Credentials::Generate();
    EXPECT_EQ(c.user, "admin");
    ASSERT_EQ(c.access_key.size(), 20u);
    ASSERT_EQ(c.secret_key.size(), 40u);
    for (char ch : c.access_key) EXPECT_TRUE(std::isupper(ch) || std::isdigit(ch)) << ch;
    for (char ch : c.secret_key) EXPECT_TRUE(std::isalnum(ch) || ch == '+' || ch == '/') << ch;
    EXPECT_TRUE(seen.insert(c.access_key).second);
  }
}

}  // namespace
}  // namespace fsgate::auth
