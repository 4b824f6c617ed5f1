#include "http/idle_reactor.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <optional>
#include <thread>
#include <unordered_map>

#include "base/thread_priority.h"

namespace fsgate::http {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct IdleReactor::Impl {
  ConnectionTable& table;
  const Clock::duration idle_timeout;
  const Readable readable;
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  std::thread thread;
  // Reactor thread only. The descriptor is borrowed from the connection
  // (released, never closed, when the wait ends).
  std::unordered_map<OpenConnection*, asio::posix::stream_descriptor> waits;
  // Fires at the next deadline of a parked connection (the idle timeout of
  // the longest idle, or a stalled header section's): one timer for all, not
  // one per connection.
  asio::steady_timer sweep{ioc};
  std::optional<Clock::time_point> sweep_at;

  Impl(ConnectionTable& table, Clock::duration idle_timeout, Readable readable)
      : table(table), idle_timeout(idle_timeout), readable(std::move(readable)) {}

  void ParkHere(const ConnectionPtr& c) {
    if (!table.Park(c)) return;  // the server stops: closes with the last reference
    auto [wait, added] = waits.try_emplace(c.get(), ioc);
    boost::system::error_code ec;
    wait->second.assign(c->fd, ec);  // registers it with the epoll
    if (ec) {
      spdlog::warn("connection from {} closed: cannot wait for its next request: {}", c->remote,
                   ec.message());
      waits.erase(wait);
      if (table.Unpark(*c)) table.Remove(*c);
      return;
    }
    wait->second.async_wait(asio::posix::descriptor_base::wait_read,
                            [this, c](boost::system::error_code) { Woken(c); });
    ArmSweep();
  }

  void Woken(const ConnectionPtr& c) {
    if (auto wait = waits.find(c.get()); wait != waits.end()) {
      wait->second.release();
      waits.erase(wait);
    }
    if (!table.Unpark(*c)) return;
    if (ClosedByPeer(c->fd)) {
      table.Remove(*c);
      return;
    }
    readable(c);
  }

  // True when the peer closed or reset the connection and sent nothing
  // before: it is closed here, with no worker. A client leaving with 10,000
  // idle connections at once woke them all, and their workers, each finding
  // only the end of the stream, grew the pool to 240 threads.
  static bool ClosedByPeer(int fd) {
    char byte;
    ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  }

  // Cancelling the wait runs Woken, where the table says the connection is gone.
  void CancelWait(const ConnectionPtr& c) {
    if (auto wait = waits.find(c.get()); wait != waits.end()) wait->second.cancel();
  }

  void ArmSweep() {
    auto next = table.NextDeadline(idle_timeout);
    if (!next || (sweep_at && *sweep_at <= *next)) return;
    sweep_at = next;
    sweep.expires_at(*next);  // a wait armed for later ends, aborted
    sweep.async_wait([this](boost::system::error_code ec) {
      if (ec == asio::error::operation_aborted) return;
      sweep_at.reset();
      auto now = Clock::now();
      // Idle ones are gone from the table: their woken wait closes them. A
      // stalled one is still parked: woken, it goes to a worker, which answers
      // 408 RequestTimeout.
      for (auto& c : table.TakeIdle(now, idle_timeout)) CancelWait(c);
      for (auto& c : table.TakeStalled(now)) CancelWait(c);
      ArmSweep();
    });
  }
};

IdleReactor::IdleReactor(ConnectionTable& table, Clock::duration idle_timeout, Readable readable)
    : impl_(std::make_unique<Impl>(table, idle_timeout, std::move(readable))) {}

IdleReactor::~IdleReactor() { Stop(); }

void IdleReactor::Start() {
  impl_->thread = std::thread([this] {
    NameThread("fsg-idle");
    impl_->ioc.run();
  });
}

void IdleReactor::Stop() {
  if (!impl_->thread.joinable()) return;
  asio::post(impl_->ioc, [this] {
    impl_->sweep.cancel();
    for (auto& [c, wait] : impl_->waits) wait.cancel();
    impl_->work.reset();
  });
  impl_->thread.join();
}

void IdleReactor::Park(ConnectionPtr c) {
  asio::post(impl_->ioc, [this, c = std::move(c)] { impl_->ParkHere(c); });
}

void IdleReactor::Close(std::vector<ConnectionPtr> gone) {
  if (gone.empty()) return;
  asio::post(impl_->ioc, [this, gone = std::move(gone)] {
    for (auto& c : gone) impl_->CancelWait(c);
  });
}

asio::any_io_executor IdleReactor::executor() { return impl_->ioc.get_executor(); }

}  // namespace fsgate::http
