#include "gateway/access_log.h"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "base/clock.h"
#include "base/log_text.h"
#include "base/thread_priority.h"
#include "gateway/s3_time.h"

namespace fsgate::gateway {
namespace {

// Lines wait this long for more to join them in one write(2). Before, each
// line was queued to spdlog's async logger, whose thread was woken for it (a
// futex wake per request, and the writer's own wait) and wrote when its queue
// was empty: about one write(2) per three GETs at 16 connections. 20 ms, not
// 2: a request thread wakes the writer only for the first line of a gather,
// and at one connection the 2 ms gather woke it 0.27 times a PUT (3.2-3.3 us
// of its CPU a PUT, each wake a futex call and often an interrupt to the
// other CPU); with 20 ms 0.03 times (0.0-0.6 us). A line is on stdout at most
// 20 ms after its request, or at once when 64 KiB are pending.
constexpr auto kGather = std::chrono::milliseconds(20);
// Written at once from this size on.
constexpr size_t kBatchBytes = 64 * 1024;
// Beyond this, requests wait for the writer (stdout blocked): no line dropped.
constexpr size_t kMaxPendingBytes = 8 << 20;

}  // namespace

AccessLog::AccessLog(LogFormat format) : json_(format == LogFormat::kJson) {
  writer_ = std::thread([this] { WriterLoop(); });
}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
}

void AccessLog::Write(const AccessRecord& r) {
  // --log-level above info turns the access log off.
  if (!spdlog::default_logger_raw()->should_log(spdlog::level::info)) return;
  thread_local std::string line;
  line.clear();
  if (json_) {
    AppendJson(r, line);
  } else {
    AppendText(r, line);
  }
  line += '\n';
  bool wake = false;
  {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return pending_.size() < kMaxPendingBytes || stopping_; });
    // The writer waits for a first line, or gathers until the batch is full.
    wake = pending_.empty() ||
           (pending_.size() < kBatchBytes && pending_.size() + line.size() >= kBatchBytes);
    pending_ += line;
  }
  if (wake) wake_.notify_one();
}

void AccessLog::WriterLoop() {
  NameThread("fsg-access-log");
  std::string out;
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return !pending_.empty() || stopping_; });
    wake_.wait_for(lock, kGather, [&] { return stopping_ || pending_.size() >= kBatchBytes; });
    out.swap(pending_);
    const bool stop = stopping_;
    lock.unlock();
    room_.notify_all();
    if (!out.empty()) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
      out.clear();
    }
    lock.lock();
    if (stop && pending_.empty()) return;
  }
}

void AccessLog::AppendText(const AccessRecord& r, std::string& line) const {
  // Every field goes through LogField's rule: a key or bucket holding a
  // newline, an escape or a space cannot start a line of its own or shift
  // fields. Appended in place, not formatted from a string per field: the
  // line cost a GET 8,900 instructions (callgrind) that way.
  line += FormatIso8601(NowNs());
  line += " access";
  for (std::string_view field : {r.request_id, r.remote, r.access_key, r.api, r.bucket, r.key}) {
    line += ' ';
    AppendLogField(line, field);
  }
  const auto append_number = [&line](uint64_t n) {
    const auto digits = fmt::format_int(n);
    line.append(digits.data(), digits.size());
  };
  line += ' ';
  append_number(static_cast<uint64_t>(r.status));
  line += ' ';
  AppendLogField(line, r.error_code);
  line += ' ';
  append_number(r.bytes_in);
  line += ' ';
  append_number(r.bytes_out);
  line += ' ';
  // The duration in milliseconds with three decimals, from whole microseconds.
  const auto us = static_cast<uint64_t>(std::llround(r.seconds * 1e6));
  append_number(us / 1000);
  const char fraction[] = {'.',
                           static_cast<char>('0' + us % 1000 / 100),
                           static_cast<char>('0' + us % 100 / 10),
                           static_cast<char>('0' + us % 10),
                           'm',
                           's'};
  line.append(fraction, sizeof fraction);
}

void AccessLog::AppendJson(const AccessRecord& r, std::string& line) const {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  // The writer escapes quotes and control characters; bytes that are not
  // UTF-8 (a key may hold any) would make the line unparsable, so they are
  // replaced first.
  auto str = [&](const char* name, std::string_view v) {
    const std::string text = ValidUtf8(v);
    w.Key(name);
    w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  };
  w.StartObject();
  char time[40];
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  struct tm tm;
  gmtime_r(&t, &tm);
  std::strftime(time, sizeof time, "%Y-%m-%dT%H:%M:%SZ", &tm);
  str("time", time);
  str("request_id", r.request_id);
  str("remote", r.remote);
  str("access_key", r.access_key);
  str("api", r.api);
  str("bucket", r.bucket);
  str("key", r.key);
  w.Key("status");
  w.Int(r.status);
  str("error", r.error_code);
  w.Key("bytes_in");
  w.Uint64(r.bytes_in);
  w.Key("bytes_out");
  w.Uint64(r.bytes_out);
  w.Key("duration_ms");
  w.Double(r.seconds * 1000);
  w.EndObject();
  line.append(buf.GetString(), buf.GetSize());
}

}  // namespace fsgate::gateway
