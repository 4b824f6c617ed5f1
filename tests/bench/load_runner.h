// Runs one load phase: N worker threads, each with its own keep-alive S3
// connection, drawing operation indices from a shared counter until the
// operation budget or the time limit is spent, timing every request.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/bench/op_stats.h"
#include "tests/bench/s3_client.h"

namespace fsgate::bench {

enum class Op { kPut, kGet, kDelete, kList };
std::string_view OpName(Op op);

// What one timed call did.
struct OpOutcome {
  Op op = Op::kPut;
  int status = kTransportFailure;
  uint64_t bytes = 0;
};

// Per-thread state handed to every operation of that thread.
struct Worker {
  int id = 0;
  S3Client* client = nullptr;
  std::mt19937_64 rng;
  std::vector<std::string> scratch_keys;  // written by this worker, free to delete
  uint64_t scratch_serial = 0;
  std::string list_token;  // where this worker's walk of the listing resumes; "" = the start
};

// One request; `index` is the phase-wide operation number (0, 1, 2, ...).
using OperationFn = std::function<OpOutcome(Worker& worker, uint64_t index)>;

// Prints the first transport failure of the run to stderr (later ones are only counted).
void NoteTransportFailure(const std::exception& error);

// Runs `call` (one S3 request) and turns its response or transport failure into an outcome.
// `sent_bytes` is the request payload; the response body counts as received.
template <typename Call>
OpOutcome Exchange(Op op, uint64_t sent_bytes, Call&& call) {
  try {
    const HttpResponse response = call();
    return {op, response.status, sent_bytes + response.body.size()};
  } catch (const std::exception& error) {
    NoteTransportFailure(error);
    return {op, kTransportFailure, 0};
  }
}

struct PhaseOptions {
  std::string name;
  int connections = 1;
  uint64_t max_ops = std::numeric_limits<uint64_t>::max();
  double duration_s = 0;  // 0: no time limit
  uint64_t seed = 1;
};

// A list phase's pages by their place in a walk of the whole listing: whether
// a page deep into a large directory costs what the first ones do.
struct ListWalks {
  uint64_t complete = 0;     // walks that reached the last page
  uint64_t pages = 0;        // pages of a complete walk
  double cold_first_ms = 0;  // the first page of the first walk (a directory not read before)
  double first_ms = 0;       // median of the first 10 pages of every walk
  double last_ms = 0;        // median of the last 10 pages of every complete walk
};

struct PhaseResult {
  std::string name;
  int connections = 0;
  std::chrono::steady_clock::time_point start;
  double seconds = 0;            // start to the last response
  uint64_t indices_started = 0;  // operations begun (for a put phase: keys written)
  std::map<Op, OpStats> by_op;
  OpStats total;
  // With --metrics: fsgate_async_pending{op=create|unlink} read just after the last response.
  std::optional<std::pair<double, double>> pending_at_end;
  std::optional<double> all_applied_s;  // tree mode with --metrics
  std::optional<ListWalks> list_walks;  // list phase
};

PhaseResult RunPhase(const PhaseOptions& options, const S3Endpoint& endpoint,
                     const OperationFn& operation);

}  // namespace fsgate::bench
