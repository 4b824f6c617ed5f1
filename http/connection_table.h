// ConnectionTable: the open connections, their limits, and which one makes
// room for a newcomer. The one owner of the lock over connection states.
//
// Limits are fair rather than refusing: when --max-connections, or
// --max-connections-per-client for the newcomer's address, is reached, the
// connection idle the longest is closed to admit the new one — of the same
// client for the per-client limit, of the client holding the most
// connections for the global one. So a client that opens 10,000 connections
// pushes out its own idle ones, never locks others out. Only when every
// connection that could make room is busy with a request is the newcomer
// refused.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "http/open_connection.h"

namespace fsgate::http {

class ConnectionTable {
 public:
  using ConnectionPtr = std::shared_ptr<OpenConnection>;
  using Clock = std::chrono::steady_clock;

  ConnectionTable(size_t max_connections, size_t max_per_client)
      : max_connections_(max_connections), max_per_client_(max_per_client) {}

  // Admits `c` (busy). Parked connections closed to make room are appended
  // to `evicted` (already gone from the table: the caller closes them). On
  // refusal returns the flag whose limit was reached, otherwise nullptr.
  [[nodiscard]] const char* Admit(const ConnectionPtr& c, std::vector<ConnectionPtr>& evicted);
  // `c` waits for its next request (or, with a stalled header section, for
  // the rest of it). False when it must close instead (the server stops): it
  // is then gone from the table.
  [[nodiscard]] bool Park(const ConnectionPtr& c);
  // A parked `c` became readable. False when it was closed meanwhile
  // (evicted, timed out, the server stopping).
  [[nodiscard]] bool Unpark(OpenConnection& c);
  // `c` ended (closed by its worker).
  void Remove(OpenConnection& c);
  // Parked connections idle for `idle_timeout` by `now`, taken out of the
  // table; and when the next one will be.
  std::vector<ConnectionPtr> TakeIdle(Clock::time_point now, Clock::duration idle_timeout);
  // Stalled connections whose header deadline passed by `now`: still parked,
  // to be woken and answered by a worker.
  std::vector<ConnectionPtr> TakeStalled(Clock::time_point now);
  // When TakeIdle or TakeStalled next has something to take.
  std::optional<Clock::time_point> NextDeadline(Clock::duration idle_timeout);
  // Stop: no more parking; busy connections are told to close after their
  // request. Returns the parked ones, whose waits are to end: idle ones are
  // gone from the table, stalled ones go on to be answered.
  std::vector<ConnectionPtr> CloseAll();
  // Blocks until no connection is left.
  void WaitEmpty();
  size_t size();

 private:
  struct Client {
    size_t open = 0;
    size_t parked = 0;
  };
  // Under mu_.
  void Unlink(OpenConnection& c);
  void Unlist(OpenConnection& c);
  bool EvictIdlest(const std::string& client, std::vector<ConnectionPtr>& evicted);
  const std::string* BusiestClientWithParked() const;

  const size_t max_connections_;
  const size_t max_per_client_;
  std::mutex mu_;
  std::condition_variable empty_;
  size_t open_ = 0;
  bool stopping_ = false;
  std::unordered_map<std::string, Client> clients_;
  // Parked connections, the longest idle first.
  std::list<ConnectionPtr> parked_;
  // Parked connections with a stalled header section, by deadline.
  std::multimap<Clock::time_point, ConnectionPtr> stalled_;
  // Every connection in the table (each leaves through Unlink before it is
  // freed), so that Stop() can tell the busy ones to close.
  std::unordered_set<OpenConnection*> all_;
};

}  // namespace fsgate::http
