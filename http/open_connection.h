// OpenConnection: what stays of an accepted connection between its requests.
//
// A connection is served by a worker thread only while a request is in flight
// (and a short grace after, for the next one); otherwise it is parked on the
// idle reactor. What it keeps across those turns must be small (the 64 KiB
// read buffer and the parser live in the worker's turn, not here): 10,000
// parked connections measured 11 MiB of RSS in all, this struct and the
// reactor's per-descriptor state.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <list>
#include <map>
#include <memory>
#include <string>

namespace fsgate::http {

struct OpenConnection {
  OpenConnection(int fd, std::string client, std::string remote)
      : fd(fd), client(std::move(client)), remote(std::move(remote)) {}
  ~OpenConnection() {
    tls.reset();  // before the descriptor it was speaking over goes
    if (fd >= 0) ::close(fd);
  }
  OpenConnection(const OpenConnection&) = delete;
  OpenConnection& operator=(const OpenConnection&) = delete;

  const int fd;              // non-blocking; closed with the last reference
  const std::string client;  // remote IP address: the per-client limit's key
  const std::string remote;  // address:port, for logs and handlers
  // Set by Stop(): the request in flight is answered with Connection: close.
  std::atomic<bool> closing{false};
  // The TLS session (an asio::ssl::stream over the descriptor), made by the
  // first turn; type-erased so that this header stays free of Asio.
  std::shared_ptr<void> tls;
  // A header section begun, then quiet past the grace (a slow client, or one
  // dribbling bytes): its parser (type-erased, as tls), the bytes read and not
  // yet parsed, and when the whole section must be in (the read timeout from
  // its first byte). Parked meanwhile, it holds no worker; but it counts as
  // busy (a request began): it is never closed to make room, and at its
  // deadline a worker answers 408.
  std::shared_ptr<void> stalled_parser;
  std::string stalled_bytes;
  std::chrono::steady_clock::time_point header_deadline;

  // Guarded by ConnectionTable's mutex.
  enum class State { kBusy, kParked, kGone } state = State::kBusy;
  std::chrono::steady_clock::time_point parked_since;
  // Where a parked connection is listed: with the idle ones (evictable, under
  // the idle timeout), with the stalled ones (under their header deadline), or
  // nowhere (a stalled one past its deadline, on its way to a worker).
  enum class Listed { kNowhere, kIdle, kStalled } listed = Listed::kNowhere;
  std::list<std::shared_ptr<OpenConnection>>::iterator parked_at;
  std::multimap<std::chrono::steady_clock::time_point, std::shared_ptr<OpenConnection>>::iterator
      stalled_at;
};

}  // namespace fsgate::http
