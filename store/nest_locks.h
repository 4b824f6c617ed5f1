// NestLocks: what keeps the move of a file "a" into its directory (nested_key.h)
// one step to the other requests of the gateway.
//
// - Key locks: with --key-conflicts nest, every write of a key (PUT, DELETE,
//   a metadata change) and the move of its file hold the key's lock, so the
//   write's choice between "a" and "a/.fsgate-object" stands until it is made.
//   Striped; DeleteObjects takes its keys' stripes in stripe order.
// - Bucket move locks: a move holds its bucket's exclusively; a listing page
//   holds it shared, so no page walks past "a" while the file is between its
//   two names. GET and HEAD do not take it: only one that found the key under
//   neither name while a move is in flight waits for it, then looks again.
// - A versioned write of a key holds its version lock, then its key lock
//   (FsObjectStore::LockNest) to its end; it lets the key lock go, never the
//   version lock, while it moves a file above it into its directory.
// Order: a version lock before a key lock before a bucket move lock, never
// the reverse; no one holds two key locks but DeleteObjects (stripe order).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

namespace fsgate::store {

class NestLocks {
 public:
  std::unique_lock<std::mutex> LockKey(const std::string& bucket, const std::string& key) {
    return std::unique_lock(keys_[KeySlot(bucket, key)]);
  }
  std::vector<std::unique_lock<std::mutex>> LockKeys(const std::string& bucket,
                                                     const std::vector<std::string>& keys);

  // Held by a move from before the file leaves its name until it has its new one.
  class Move {
   public:
    // Counted done before it is no longer in flight: a reader that sees it
    // gone also sees it done (MoveEpoch).
    ~Move() {
      done_.fetch_add(1);
      in_flight_.fetch_sub(1);
    }
    Move(const Move&) = delete;
    Move& operator=(const Move&) = delete;

   private:
    friend class NestLocks;
    Move(std::shared_mutex& mu, std::atomic<int>& in_flight, std::atomic<uint64_t>& done)
        : lock_(mu), in_flight_(in_flight), done_(done) {
      in_flight_.fetch_add(1);
    }
    std::unique_lock<std::shared_mutex> lock_;
    std::atomic<int>& in_flight_;
    std::atomic<uint64_t>& done_;
  };
  Move LockMove(const std::string& bucket) {
    return Move(buckets_[BucketSlot(bucket)], moves_, moves_done_);
  }
  std::shared_lock<std::shared_mutex> LockListing(const std::string& bucket) {
    return std::shared_lock(buckets_[BucketSlot(bucket)]);
  }
  // Taken by a reader before its first look at a key.
  uint64_t MoveEpoch() const { return moves_done_.load(); }
  // A reader that missed a key under both names: waits out a move in flight
  // in its bucket; true when one was, or when one ended since `epoch` (it may
  // have moved the key between the reader's two looks: a GET answered
  // NoSuchKey for a key being nested, once in a full ctest run), so the
  // reader looks again; false when the miss stands.
  bool WaitMove(const std::string& bucket, uint64_t epoch) {
    if (moves_.load() == 0) return moves_done_.load() != epoch;
    std::shared_lock wait(buckets_[BucketSlot(bucket)]);
    return true;
  }

 private:
  static size_t KeySlot(const std::string& bucket, const std::string& key);
  static size_t BucketSlot(const std::string& bucket);

  std::array<std::mutex, 256> keys_;
  std::array<std::shared_mutex, 16> buckets_;
  std::atomic<int> moves_{0};
  std::atomic<uint64_t> moves_done_{0};  // moves ended, ever
};

}  // namespace fsgate::store
