// Nodes: what the engine creates, unlinks and looks up.
//
// A caller names a node by its path relative to the root and its kind. The
// path's first component is the node's top directory (the unit the engine's
// ops under one caller share: WaitTop, a batch of unlinks); the rest is the
// path inside it. A directory node is the directory itself, its attributes in
// the directory's own xattr.
//
// Inside the engine a node is (top, name): `name` is the path inside the top
// directory, a directory node spelt with a trailing '/'. Two reasons: a file
// "a" and a directory node "a" are different nodes (one refuses the other),
// and names then sort as a depth-first walk of the tree yields them ("a.b" <
// "a/" < "a/x" < "a0"), the order the store lists in — so the overlay's pending
// entries come out in the order the store merges them with the disk.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace fsgate::dirops {

enum class NodeKind : uint8_t { kFile = 1, kDirectory = 2 };

struct NodePath {
  std::string path;  // relative to the root: "<top>/<path inside top>"
  NodeKind kind = NodeKind::kFile;
};

// True for a directory node's name ("a/b/").
inline bool IsDirName(std::string_view name) { return !name.empty() && name.back() == '/'; }

// The (top, name) of a node (see above).
inline std::pair<std::string, std::string> SplitNode(const NodePath& node) {
  const size_t slash = node.path.find('/');
  if (slash == std::string::npos) return {node.path, std::string()};
  std::string name = node.path.substr(slash + 1);
  if (node.kind == NodeKind::kDirectory) name += '/';
  return {node.path.substr(0, slash), std::move(name)};
}

// The path of the node `name` under `top`, relative to the root.
inline std::string NodeFsPath(std::string_view top, std::string_view name) {
  if (IsDirName(name)) name.remove_suffix(1);
  std::string path;
  path.reserve(top.size() + 1 + name.size());
  path.append(top).append("/").append(name);
  return path;
}

inline NodePath JoinNode(std::string_view top, std::string_view name) {
  return NodePath{NodeFsPath(top, name), IsDirName(name) ? NodeKind::kDirectory : NodeKind::kFile};
}

}  // namespace fsgate::dirops
