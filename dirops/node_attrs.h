// A node's attributes: the caller's opaque blob, kept by the engine in one
// xattr of the node (a file's, or a directory node's own), with the engine's
// one field of its own, the seq of the async create that linked the file.
//
// Why the seq rides inside the same value: ext4 keeps about 64 bytes of a
// single xattr inside a 256-byte inode, and a second xattr per object costs an
// extra 4 KiB xattr block and a metadata write per PUT (store/meta_record.h
// has the measurement). Replay needs the seq: an unlink replayed after a
// crash must not remove the file a later async create already linked at the
// name (applier_apply.cpp).
//
// The frame: the blob is a version byte then tag-length-value fields
// (base/tlv_fields.h), which is what the store's metadata record is; the
// engine appends its field 's' (varint seq) and strips it when it hands the
// blob back. So the xattr value is the record earlier fsgate versions wrote
// with their seq inside (its fields in another order, which a reader takes in
// any), and they still read it.
//
// Names: the store names the xattr (and an older format's xattrs, which mark
// a directory node too and go with its removal); the engine never reads their
// values. So a file of that older format replays as one without a seq: an
// unlink replayed over it removes it only while it is the inode the unlink
// was answered against (only a journal that older fsgate left could name
// such a file as an earlier async create of the same name).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "fs/backend.h"

namespace fsgate::dirops {

struct NodeAttrNames {
  std::string xattr = "user.fsgate.m";
  // An older format's xattrs: a directory carrying any of them is a directory
  // node (its attributes read by the caller); a removal takes them too.
  std::vector<std::string> legacy;
};

// The xattr value for `blob` with the engine's `seq` (0: none) appended.
std::string FrameAttrs(std::string_view blob, uint64_t seq);

struct FramedAttrs {
  std::string blob;  // without the engine's field
  uint64_t seq = 0;
};
// The blob and seq of an xattr value; a value that does not parse as fields is
// handed back whole (the caller's decoder refuses it with its own message).
FramedAttrs UnframeAttrs(std::string_view value);

// The blob of a file node (nullopt: it has none), with its seq.
Result<std::optional<FramedAttrs>> ReadFileAttrs(fs::File& file, const NodeAttrNames& names);
Status WriteFileAttrs(fs::File& file, const NodeAttrNames& names, std::string_view blob,
                      uint64_t seq);
// The seq stamped on the file at `path`; 0 when none.
Result<uint64_t> ReadFileSeq(fs::Backend& backend, const std::string& path,
                             const NodeAttrNames& names);

// A directory node's blob: nullopt when the directory is not a node; an empty
// blob when only an older format's xattrs mark it.
Result<std::optional<std::string>> ReadDirAttrs(fs::Backend& backend, const std::string& path,
                                                const NodeAttrNames& names);
Status WriteDirAttrs(fs::Backend& backend, const std::string& path, const NodeAttrNames& names,
                     std::string_view blob);
// Makes the directory a plain one again.
Status RemoveDirAttrs(fs::Backend& backend, const std::string& path, const NodeAttrNames& names);

}  // namespace fsgate::dirops
