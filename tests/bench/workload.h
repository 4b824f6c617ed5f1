// What the load generator writes: key names spread over directories, and
// trees of files (a real directory, or a synthetic source-tree-like mix).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fsgate::bench {

// Key i of a run. Flat: "<prefix>-<i>". With `dirs` > 0 the keys go round-robin
// into "<prefix>/d<i % dirs>/<i>"; with `keys_per_dir` > 0 they fill
// "<prefix>/d<i / keys_per_dir>/<i>" one directory after another.
class KeyNamer {
 public:
  KeyNamer(std::string prefix, uint64_t dirs, uint64_t keys_per_dir);
  std::string Key(uint64_t index) const;
  const std::string& prefix() const { return prefix_; }

 private:
  std::string prefix_;
  uint64_t dirs_;
  uint64_t keys_per_dir_;
};

struct TreeFile {
  std::string key;
  std::string_view data;  // into Tree's storage
};

// Files and their bytes. Not copyable or movable: `files` point into storage.
struct Tree {
  Tree() = default;
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  std::vector<TreeFile> files;
  std::vector<std::unique_ptr<std::string>> storage;
  uint64_t total_bytes = 0;
};

// Every regular file under `root` (symlinks not followed), keyed
// "<prefix>/<relative path>", read into memory before anything is timed.
std::unique_ptr<Tree> LoadTree(const std::filesystem::path& root, std::string_view prefix);

// `count` files in nested directories (about 16 files a directory, at most 6
// deep) with lognormal sizes, median 4 KiB, capped at 1 MiB — the shape of a
// source checkout. Deterministic for a given seed.
std::unique_ptr<Tree> SyntheticTree(uint64_t count, std::string_view prefix, uint64_t seed);

// Incompressible filler bytes.
std::string RandomBytes(size_t size, uint64_t seed);

}  // namespace fsgate::bench
