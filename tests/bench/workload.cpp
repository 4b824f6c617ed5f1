#include "tests/bench/workload.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>

namespace fsgate::bench {

KeyNamer::KeyNamer(std::string prefix, uint64_t dirs, uint64_t keys_per_dir)
    : prefix_(std::move(prefix)), dirs_(dirs), keys_per_dir_(keys_per_dir) {}

std::string KeyNamer::Key(uint64_t index) const {
  if (dirs_ > 0) {
    return prefix_ + "/d" + std::to_string(index % dirs_) + "/" + std::to_string(index);
  }
  if (keys_per_dir_ > 0) {
    return prefix_ + "/d" + std::to_string(index / keys_per_dir_) + "/" + std::to_string(index);
  }
  return prefix_ + "-" + std::to_string(index);
}

std::string RandomBytes(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; i += 8) {
    const uint64_t word = rng();
    for (size_t j = 0; j < 8 && i + j < size; ++j) {
      bytes[i + j] = static_cast<char>(word >> (8 * j));
    }
  }
  return bytes;
}

std::unique_ptr<Tree> LoadTree(const std::filesystem::path& root, std::string_view prefix) {
  namespace fs = std::filesystem;
  auto tree = std::make_unique<Tree>();
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file() || entry.is_symlink()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + entry.path().string());
    auto data = std::make_unique<std::string>(std::istreambuf_iterator<char>(in),
                                              std::istreambuf_iterator<char>());
    std::string key(prefix);
    key += "/" + fs::relative(entry.path(), root).generic_string();
    tree->total_bytes += data->size();
    tree->files.push_back({std::move(key), *data});
    tree->storage.push_back(std::move(data));
  }
  if (tree->files.empty()) throw std::runtime_error("no regular files under " + root.string());
  return tree;
}

std::unique_ptr<Tree> SyntheticTree(uint64_t count, std::string_view prefix, uint64_t seed) {
  static constexpr size_t kMaxSize = 1 << 20;
  static constexpr int kMaxDepth = 6;
  static constexpr std::array<const char*, 10> kDirNames = {
      "src", "lib", "include", "test", "docs", "tools", "core", "util", "net", "fs"};
  static constexpr std::array<const char*, 8> kExtensions = {".c",  ".h",  ".cc", ".py",
                                                             ".md", ".rs", ".go", ".txt"};
  std::mt19937_64 rng(seed);
  auto tree = std::make_unique<Tree>();

  // Directories: each hangs under a random earlier one, so the tree is bushy near the top.
  struct Dir {
    std::string path;
    int depth;
  };
  std::vector<Dir> dirs{{std::string(prefix), 0}};
  const uint64_t dir_count = std::max<uint64_t>(1, count / 16);
  for (uint64_t d = 1; d < dir_count; ++d) {
    const Dir* parent = &dirs[rng() % dirs.size()];
    if (parent->depth >= kMaxDepth) parent = &dirs[0];
    std::string path = parent->path + "/" + kDirNames[rng() % kDirNames.size()] + std::to_string(d);
    dirs.push_back({std::move(path), parent->depth + 1});
  }

  auto pool = std::make_unique<std::string>(RandomBytes(2 * kMaxSize, seed));
  std::lognormal_distribution<double> size_distribution(std::log(4096.0), 1.2);
  for (uint64_t i = 0; i < count; ++i) {
    const auto size = std::min(kMaxSize, static_cast<size_t>(size_distribution(rng)));
    const size_t offset = rng() % (pool->size() - size + 1);
    std::string key = dirs[rng() % dirs.size()].path + "/f" + std::to_string(i) +
                      kExtensions[rng() % kExtensions.size()];
    tree->files.push_back({std::move(key), std::string_view(*pool).substr(offset, size)});
    tree->total_bytes += size;
  }
  tree->storage.push_back(std::move(pool));
  return tree;
}

}  // namespace fsgate::bench
