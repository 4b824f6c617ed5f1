#include "tests/bench/load_runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <latch>
#include <memory>
#include <thread>

namespace fsgate::bench {

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kPut:
      return "put";
    case Op::kGet:
      return "get";
    case Op::kDelete:
      return "delete";
    case Op::kList:
      return "list";
  }
  return "?";
}

void NoteTransportFailure(const std::exception& error) {
  static std::atomic_flag reported;
  if (!reported.test_and_set()) std::cerr << "fsgate_load: " << error.what() << "\n";
}

PhaseResult RunPhase(const PhaseOptions& options, const S3Endpoint& endpoint,
                     const OperationFn& operation) {
  using Clock = std::chrono::steady_clock;
  const int n = std::max(1, options.connections);

  struct ThreadResult {
    std::map<Op, OpStats> by_op;
    Clock::time_point last_end{};
  };
  std::vector<ThreadResult> results(n);
  std::vector<std::unique_ptr<S3Client>> clients;
  for (int i = 0; i < n; ++i) clients.push_back(std::make_unique<S3Client>(endpoint));

  std::atomic<uint64_t> next_index{0};
  std::latch ready(n + 1);
  Clock::time_point start;
  Clock::time_point deadline = Clock::time_point::max();
  std::latch go(1);

  std::vector<std::jthread> threads;
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      Worker worker;
      worker.id = t;
      worker.client = clients[t].get();
      worker.rng.seed(options.seed * 7919 + static_cast<uint64_t>(t));
      ThreadResult& mine = results[t];
      ready.count_down();
      go.wait();
      mine.last_end = start;
      while (Clock::now() < deadline) {
        const uint64_t index = next_index.fetch_add(1, std::memory_order_relaxed);
        if (index >= options.max_ops) break;
        const auto begin = Clock::now();
        const OpOutcome outcome = operation(worker, index);
        const auto end = Clock::now();
        mine.by_op[outcome.op].Add(std::chrono::duration<double, std::milli>(end - begin).count(),
                                   outcome.status, outcome.bytes);
        mine.last_end = end;
      }
    });
  }
  ready.arrive_and_wait();
  start = Clock::now();
  if (options.duration_s > 0) {
    deadline = start + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(options.duration_s));
  }
  go.count_down();
  threads.clear();  // joins

  PhaseResult result;
  result.name = options.name;
  result.connections = n;
  result.start = start;
  Clock::time_point last_end = start;
  for (const auto& r : results) {
    last_end = std::max(last_end, r.last_end);
    for (const auto& [op, stats] : r.by_op) {
      result.by_op[op].Merge(stats);
      result.total.Merge(stats);
    }
  }
  result.seconds = std::chrono::duration<double>(last_end - start).count();
  result.indices_started = std::min(next_index.load(), options.max_ops);
  return result;
}

}  // namespace fsgate::bench
