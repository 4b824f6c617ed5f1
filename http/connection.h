// Connection<Stream>: one turn of a connection on a worker thread — its
// requests read, handed to the handler and answered, until it goes quiet
// (then it is parked on the idle reactor) or closes.
//
// Stream is a TimedSocket (plain TCP) or an asio::ssl::stream over one; every
// read and write is a blocking call bounded by the TimedSocket's deadline.
// Included by http_server.cpp only: it holds Beast's headers.
// Over 400 lines because it is one state machine — the request loop and the
// BodyReader and ResponseWriter it hands the handler share one parser, one
// buffer and the keep-alive/linger/100-continue state; split, each part would
// reach into the others'.
#pragma once

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

#include "base/after_answer.h"
#include "http/http_message.h"
#include "http/http_request_head.h"
#include "http/http_server.h"
#include "http/open_connection.h"
#include "http/timed_socket.h"

namespace fsgate::http {
namespace connection_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// Room for a small PUT's header and body in one read. Lives only for a turn:
// 10,000 parked connections holding it would be 640 MiB.
constexpr size_t kReadBufferBytes = 64 * 1024;

// How long a worker waits on a connection for its next request before parking
// it. Long enough that a client sending request after request (even a Python
// SDK, whose gap between answer and next request is well under a
// millisecond) stays on its thread with no hop; short enough that a worker
// soon moves on from a connection gone quiet.
constexpr auto kParkGrace = std::chrono::milliseconds(5);

// At most this many workers wait out the park grace at once; a connection
// finding them all taken is parked at once when nothing of its next request
// is there yet. Each waiting worker is a thread: 10,000 connections opened one
// after another (one HeadBucket each, fsgate_load --idle-connections) peaked
// at 133-142 threads when each held its worker for the grace, 54-61 with this
// bound; the active clients a busy server keeps on their threads are fewer.
constexpr int kMaxGraceWaiters = 32;

// A worker's place among those waiting out the grace (kMaxGraceWaiters).
class GraceWait {
 public:
  explicit GraceWait(std::atomic<int>& waiters)
      : waiters_(waiters),
        held_(waiters.fetch_add(1, std::memory_order_relaxed) < kMaxGraceWaiters) {}
  ~GraceWait() { waiters_.fetch_sub(1, std::memory_order_relaxed); }
  GraceWait(const GraceWait&) = delete;
  GraceWait& operator=(const GraceWait&) = delete;
  bool held() const { return held_; }

 private:
  std::atomic<int>& waiters_;
  const bool held_;
};

// An unread request body up to this size is drained to keep the connection.
constexpr uint64_t kMaxDrainBytes = 1 << 20;

// How long a connection closed with the request's body unread keeps reading
// and dropping what the client still sends.
constexpr auto kLingerTime = std::chrono::seconds(1);

inline bool StatusHasNoBody(int status) { return status == 204 || status == 304 || status < 200; }

// The peer went away: nobody to answer.
inline bool IsStreamEnd(const beast::error_code& ec) {
  return ec == asio::error::eof || ec == http::error::end_of_stream ||
         ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated ||
         ec == asio::error::operation_aborted;
}

// The HTTP status refusing a header section that could not be read.
inline int StatusForHeaderError(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return 408;
  if (ec == http::error::header_limit) return 431;
  return 400;
}

// 0 when the request's body framing is one this server reads, otherwise the
// HTTP status refusing it (RFC 9112 §6.1, §6.3). Beast reads a request whose
// Transfer-Encoding does not end in chunked as one without a body, which
// would store an empty object and parse the body as the next request.
template <class Parser>
int FramingError(const Parser& parser) {
  const auto& msg = parser.get();
  auto [first, last] = msg.equal_range(http::field::transfer_encoding);
  if (first == last) return 0;
  if (msg.count(http::field::content_length) != 0) return 400;
  size_t codings = 0;
  bool chunked = false;
  for (auto field = first; field != last; ++field) {
    for (auto coding : http::token_list(field->value())) {
      ++codings;
      chunked = beast::iequals(coding, "chunked");
    }
  }
  return codings == 1 && chunked && parser.chunked() ? 0 : 501;
}

}  // namespace connection_detail

enum class TurnEnd { kPark, kClose };

template <class Stream>
class Connection final : public BodyReader, public ResponseWriter {
 public:
  // `grace_waiters` counts the server's workers waiting out the park grace.
  Connection(TimedSocket& socket, Stream& stream, OpenConnection& conn,
             const HttpServerOptions& options, const HttpHandler& handler,
             std::atomic<int>& grace_waiters)
      : socket_(socket),
        stream_(stream),
        conn_(conn),
        closing_(conn.closing),
        options_(options),
        handler_(handler),
        grace_waiters_(grace_waiters),
        remote_(conn.remote),
        resuming_(conn.stalled_parser != nullptr),
        parser_holder_(resuming_ ? std::static_pointer_cast<std::optional<Parser>>(
                                       std::move(conn.stalled_parser))
                                 : std::make_shared<std::optional<Parser>>()),
        parser_(*parser_holder_) {
    // Beast sizes each socket read by the buffer's free capacity (at least
    // 512 bytes): room for a small PUT's header and body in one read.
    buffer_.reserve(connection_detail::kReadBufferBytes);
  }

  // Serves requests until the connection stays quiet for the park grace
  // (kPark: nothing of a next request was read) or must close (kClose: it is
  // shut down here; the owner closes the descriptor).
  TurnEnd Serve() {
    using namespace connection_detail;
    while (!closing_ || resuming_) {
      std::chrono::steady_clock::time_point header_deadline;
      if (resuming_) {
        // The header section that stalled: its parser goes on where it was.
        resuming_ = false;
        buffer_.commit(asio::buffer_copy(buffer_.prepare(conn_.stalled_bytes.size()),
                                         asio::buffer(conn_.stalled_bytes)));
        std::string().swap(conn_.stalled_bytes);
        header_deadline = conn_.header_deadline;
      } else {
        parser_.emplace();
        parser_->header_limit(static_cast<uint32_t>(options_.max_header_bytes));
        parser_->body_limit(boost::none);
        expect_continue_ = false;
        // Between requests: a connection that ends here, before a byte of a
        // request, carried no request: it is neither answered nor logged (TLS
        // clients mostly go without close_notify). One quiet for the grace is
        // parked, under the idle timeout; at once when too many workers wait.
        if (buffer_.size() == 0) {
          error_code ec;
          {
            GraceWait grace(grace_waiters_);
            ec = ReadSome(grace.held() ? std::min<std::chrono::steady_clock::duration>(
                                             kParkGrace, options_.idle_timeout)
                                       : std::chrono::steady_clock::duration::zero());
          }
          if (ec == beast::error::timeout && !closing_) return TurnEnd::kPark;
          if (ec || buffer_.size() == 0) break;
        }
        // Once a request began, its whole header section must arrive within
        // the read timeout: a client dribbling bytes cannot hold the connection.
        header_deadline = std::chrono::steady_clock::now() + options_.read_timeout;
      }
      auto ec = ParseBuffered();
      if (ec == http::error::need_more && ReadHeader(header_deadline, ec)) {
        return TurnEnd::kPark;
      }
      if (ec) {
        if (!IsStreamEnd(ec)) RefuseRequest(StatusForHeaderError(ec));
        break;
      }
      if (int status = FramingError(*parser_)) {
        RefuseRequest(status);
        break;
      }
      HandleOne();
      if (!keep_alive_ || broken_) break;
    }
    Shutdown();
    return TurnEnd::kClose;
  }

  // BodyReader.
  Result<size_t> Read(std::span<char> buf) override {
    using namespace connection_detail;
    if (parser_->is_done() || buf.empty()) return size_t{0};
    if (expect_continue_) {
      expect_continue_ = false;
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      if (auto ec = WriteAll(asio::buffer(kContinue.data(), kContinue.size())); ec) {
        return Broken("write 100-continue", ec);
      }
    }
    auto& body = parser_->get().body();
    body.data = buf.data();
    body.size = buf.size();
    // Body bytes already read (with the header) are parsed at once: only a
    // read that needs the socket waits on it.
    beast::error_code ec;
    if (buffer_.size() > 0) buffer_.consume(parser_->put(buffer_.data(), ec));
    if (ec == http::error::need_more) ec = {};
    if (!ec && body.size == buf.size() && !parser_->is_done()) {
      socket_.expires_after(options_.read_timeout);
      http::read(stream_, buffer_, *parser_, ec);
    }
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return Broken("read body", ec);
    size_t n = buf.size() - body.size;
    if (n == 0 && !parser_->is_done()) return Broken("read body", asio::error::eof);
    return n;
  }

  // ResponseWriter.
  void Send(int status, Headers headers, std::string_view body) override {
    Head head = MakeHead(status, headers,
                         connection_detail::StatusHasNoBody(status) ? -1 : int64_t(body.size()));
    started_ = true;
    std::array<boost::asio::const_buffer, 4> bufs{
        boost::asio::buffer(head.start.data(), head.start.size()),
        boost::asio::buffer(headers.wire()), boost::asio::buffer(head.end.data(), head.end.size()),
        boost::asio::buffer(body.data(), body.size())};
    if (WriteAll(bufs)) broken_ = true;
  }

  Status Begin(int status, Headers headers, uint64_t content_length) override {
    Head head = MakeHead(status, headers, static_cast<int64_t>(content_length));
    started_ = true;
    std::array<boost::asio::const_buffer, 3> bufs{
        boost::asio::buffer(head.start.data(), head.start.size()),
        boost::asio::buffer(headers.wire()), boost::asio::buffer(head.end.data(), head.end.size())};
    if (auto ec = WriteAll(bufs); ec) {
      return Broken("write head", ec).status();
    }
    return Status::Ok();
  }

  Status Write(std::string_view data) override {
    if (auto ec = WriteAll(boost::asio::buffer(data.data(), data.size())); ec) {
      return Broken("write body", ec).status();
    }
    return Status::Ok();
  }

  bool started() const override { return started_; }

 private:
  using error_code = boost::beast::error_code;

  // Reads what the client sent into buffer_, waiting up to `timeout`.
  error_code ReadSome(std::chrono::steady_clock::duration timeout) {
    socket_.expires_after(timeout);
    error_code ec;
    size_t n = stream_.read_some(
        buffer_.prepare(boost::beast::read_size(buffer_, connection_detail::kReadBufferBytes)), ec);
    buffer_.commit(n);
    return ec;
  }

  // Reads the rest of a header section until it is parsed (ec clear) or
  // fails (ec set; a timeout once `deadline` passed). True when the client
  // went quiet for the park grace before the deadline: the section is put
  // aside in the connection, which is parked instead of holding this thread.
  bool ReadHeader(std::chrono::steady_clock::time_point deadline, error_code& ec) {
    for (;;) {
      // While the server stops, the request is read here to the end, and
      // answered: no more parking.
      auto now = std::chrono::steady_clock::now();
      socket_.expires_at(closing_ ? deadline
                                  : std::min(deadline, now + connection_detail::kParkGrace));
      ec = {};
      size_t n = stream_.read_some(
          buffer_.prepare(boost::beast::read_size(buffer_, connection_detail::kReadBufferBytes)),
          ec);
      buffer_.commit(n);
      if (ec == boost::beast::error::timeout && std::chrono::steady_clock::now() < deadline) {
        if (closing_) continue;
        ec = {};
        conn_.stalled_bytes = boost::beast::buffers_to_string(buffer_.data());
        conn_.header_deadline = deadline;
        conn_.stalled_parser = parser_holder_;
        return true;
      }
      // The peer left inside the header section (as Beast's read_header says).
      if (ec == boost::asio::error::eof) ec = boost::beast::http::error::partial_message;
      if (ec) return false;
      ec = ParseBuffered();
      if (ec != boost::beast::http::error::need_more) return false;
    }
  }

  // Parses the header section from what is already read: most requests' fit
  // in the first read.
  error_code ParseBuffered() {
    error_code ec;
    buffer_.consume(parser_->put(buffer_.data(), ec));
    if (!ec && !parser_->is_header_done()) ec = boost::beast::http::error::need_more;
    return ec;
  }

  // Most answers fit in the socket's send buffer and go in one sendmsg; the
  // rest waits for room, bounded by the read timeout.
  template <class Buffers>
  error_code WriteAll(const Buffers& buffers) {
    socket_.expires_after(options_.read_timeout);
    error_code ec;
    boost::asio::write(stream_, buffers, ec);
    return ec;
  }

  Result<size_t> Broken(const char* what, error_code ec) {
    broken_ = true;
    keep_alive_ = false;  // an error answer still goes out, saying the connection closes
    // ETIMEDOUT tells a stalled peer from one that went away.
    int err = ec == boost::beast::error::timeout ? ETIMEDOUT : EPIPE;
    return Status::Errno(err, std::string(what) + ": " + ec.message());
  }

  // An answer's head around its header fields (which go out from their own
  // buffer, gathered into the same write): the status line before, the
  // framing fields and the blank line after. Small strings: no malloc.
  struct Head {
    fmt::memory_buffer start;
    fmt::memory_buffer end;
  };

  Head MakeHead(int status, const Headers& headers, int64_t content_length) {
    Head head;
    if (expect_continue_ && parser_->is_done()) {
      // An empty body the client still waits to be asked for: answer the
      // expectation first. botocore keeps the status line of an unexpected
      // early answer and misreads the connection's next response after it.
      expect_continue_ = false;
      Put(head.start, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    fmt::format_to(std::back_inserter(head.start), "HTTP/1.1 {} {}\r\n", status,
                   std::string_view(boost::beast::http::obsolete_reason(
                       static_cast<boost::beast::http::status>(status))));
    if (!parser_->is_done()) {
      // Answered before the body was read (an error): the connection is kept
      // only if the rest of the body can be drained cheaply afterwards.
      auto remaining = parser_->content_length_remaining();
      if (expect_continue_ || !remaining || *remaining > connection_detail::kMaxDrainBytes) {
        keep_alive_ = false;
      }
      linger_ = !keep_alive_;
    }
    if (headers.closes()) {
      // A handler asking to close: what the client sent past the request
      // is not trusted to start a next one. Read and dropped (the
      // lingering close) so that the answer is not lost to a reset.
      keep_alive_ = false;
      linger_ = true;
    }
    if (content_length >= 0) {
      fmt::format_to(std::back_inserter(head.end), "Content-Length: {}\r\n", content_length);
    }
    if (!keep_alive_ || closing_) Put(head.end, "Connection: close\r\n");
    Put(head.end, "\r\n");
    return head;
  }

  static void Put(fmt::memory_buffer& out, std::string_view s) { out.append(s); }

  void HandleOne() {
    auto& msg = parser_->get();
    HttpRequest request = RequestFromParser(*parser_);
    request.remote_address = remote_;
    keep_alive_ = msg.keep_alive();
    auto expect = msg[boost::beast::http::field::expect];
    expect_continue_ = boost::beast::iequals(expect, "100-continue");
    started_ = false;

    {
      // What the handler puts off until its answer is out (an applier
      // worker's wake) runs once this ends: the answer has been written.
      AnswerScope answering;
      handler_(request, *this, *this);
      if (!started_ && !broken_) Send(500, {}, "");
    }
    if (broken_) return;
    // The handler may answer without reading the body (an error). A small
    // unread body is drained to keep the connection; a large one closes it.
    if (!parser_->is_done() && keep_alive_ && !DrainBody()) broken_ = true;
  }

  bool DrainBody() {
    std::array<char, 16384> scratch;
    while (!parser_->is_done()) {
      auto n = Read(scratch);
      if (!n.ok() || *n == 0) return false;
    }
    return true;
  }

  // Answers a request that is not served (see ProtocolErrorHandler); the
  // connection closes after it.
  void RefuseRequest(int status) {
    keep_alive_ = false;
    linger_ = true;
    if (options_.protocol_error) {
      options_.protocol_error(status, remote_, *this);
      if (!started_ && !broken_) Send(status, {}, "");
      return;
    }
    Send(status, {{"Content-Type", "text/plain"}}, "bad request\n");
  }

  void Shutdown() {
    if constexpr (!std::is_same_v<Stream, TimedSocket>) {
      socket_.expires_after(std::chrono::seconds(2));
      error_code ec;
      stream_.shutdown(ec);
    } else if (linger_) {
      Linger();
    }
    ::shutdown(socket_.native_handle(), SHUT_RDWR);
  }

  // Closing a socket with unread input resets the connection, and the reset
  // can destroy the answer before the client reads it. So the sending side
  // closes first, and what the client still sends is read and dropped for a
  // short while (the lingering close of other HTTP servers).
  void Linger() {
    ::shutdown(socket_.native_handle(), SHUT_WR);
    socket_.expires_after(connection_detail::kLingerTime);
    std::array<char, 16384> scratch;
    error_code ec;
    while (!ec) socket_.read_some(boost::asio::buffer(scratch), ec);
  }

  using Parser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;

  TimedSocket& socket_;
  Stream& stream_;
  OpenConnection& conn_;
  const std::atomic<bool>& closing_;
  const HttpServerOptions& options_;
  const HttpHandler& handler_;
  std::atomic<int>& grace_waiters_;
  const std::string& remote_;
  bool resuming_;  // the turn begins with a stalled header section
  // On the heap for a turn (not per request), so that a stalled header
  // section's parser, which cannot be moved, can wait in the connection.
  std::shared_ptr<std::optional<Parser>> parser_holder_;
  std::optional<Parser>& parser_;
  boost::beast::flat_buffer buffer_;
  bool keep_alive_ = true;
  bool expect_continue_ = false;
  bool started_ = false;
  bool broken_ = false;
  bool linger_ = false;  // closing with the request's body unread
};

}  // namespace fsgate::http
