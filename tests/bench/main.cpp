// fsgate_load: an S3 load generator for fsgate (and any S3 server).
//
// Plain HTTP/1.1 over keep-alive connections, one thread per connection,
// SigV4-signed. Phases: put, get, delete, list, mixed, or a whole tree of
// files; see tests/bench/README.md.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/idle_connections.h"
#include "tests/bench/load_runner.h"
#include "tests/bench/metrics_probe.h"
#include "tests/bench/report.h"
#include "tests/bench/workload.h"

namespace fsgate::bench {
namespace {

struct Options {
  std::string endpoint = "127.0.0.1:9000";
  std::string metrics;
  std::string access_key;
  std::string secret_key;
  std::string region = "us-east-1";
  std::string bucket = "bench";
  std::string op = "put";
  int connections = 1;
  uint64_t size = 4096;
  uint64_t count = 0;
  double duration = 0;
  uint64_t keys = 0;
  uint64_t dirs = 0;
  uint64_t keys_per_dir = 0;
  std::string prefix = "obj";
  bool create_bucket = false;
  std::string tree;
  uint64_t tree_synthetic = 0;
  bool json = false;
  bool sign_payload = false;
  double apply_timeout = 300;
  uint64_t seed = 1;
  uint64_t idle_connections = 0;
  std::string idle_from;
};

const char* EnvOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

PhaseOptions Phase(const Options& o, std::string name, uint64_t max_ops) {
  PhaseOptions p;
  p.name = std::move(name);
  p.connections = o.connections;
  p.max_ops = max_ops;
  p.duration_s = o.duration;
  p.seed = o.seed;
  return p;
}

uint64_t CountOr(const Options& o, uint64_t fallback) { return o.count > 0 ? o.count : fallback; }
constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

PhaseResult RunPut(const Options& o, const S3Endpoint& endpoint, const KeyNamer& keys,
                   const std::string& body, std::string name, uint64_t max_ops) {
  return RunPhase(Phase(o, std::move(name), max_ops), endpoint, [&](Worker& w, uint64_t i) {
    return Exchange(Op::kPut, body.size(),
                    [&] { return w.client->PutObject(o.bucket, keys.Key(i), body); });
  });
}

// Reads key i % key_space; with only a time limit it cycles over the keys.
PhaseResult RunGet(const Options& o, const S3Endpoint& endpoint, const KeyNamer& keys,
                   uint64_t key_space) {
  const uint64_t max_ops = CountOr(o, o.duration > 0 ? kUnlimited : key_space);
  return RunPhase(Phase(o, "get", max_ops), endpoint, [&](Worker& w, uint64_t i) {
    return Exchange(Op::kGet, 0,
                    [&] { return w.client->GetObject(o.bucket, keys.Key(i % key_space)); });
  });
}

// Deletes each key once at most.
PhaseResult RunDelete(const Options& o, const S3Endpoint& endpoint, const KeyNamer& keys,
                      uint64_t key_space) {
  const uint64_t max_ops = std::min(key_space, CountOr(o, key_space));
  return RunPhase(Phase(o, "delete", max_ops), endpoint, [&](Worker& w, uint64_t i) {
    return Exchange(Op::kDelete, 0, [&] { return w.client->DeleteObject(o.bucket, keys.Key(i)); });
  });
}

// The value of the first <name> element of an XML body; "" when absent.
std::string XmlText(const std::string& body, std::string_view name) {
  const std::string open = "<" + std::string(name) + ">";
  const size_t start = body.find(open);
  if (start == std::string::npos) return {};
  const size_t from = start + open.size();
  const size_t end = body.find('<', from);
  return end == std::string::npos ? std::string() : body.substr(from, end - from);
}

// The median of `v` (sorted in place); 0 when empty.
double Median(std::vector<float>& v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// Each worker walks the whole listing page by page (1,000 keys, following
// NextContinuationToken) and starts over at the end: one operation, one page.
// Every page's time is kept by its place in its walk (list_walks).
PhaseResult RunList(const Options& o, const S3Endpoint& endpoint, const KeyNamer& keys) {
  using Clock = std::chrono::steady_clock;
  constexpr size_t kEnds = 10;  // pages at each end of a walk
  // Per worker: its walks, each the milliseconds of its pages in order.
  std::vector<std::vector<std::vector<float>>> walks(static_cast<size_t>(o.connections));
  std::vector<char> complete_last(walks.size(), 0);  // whether a worker's last walk ended
  PhaseResult result =
      RunPhase(Phase(o, "list", CountOr(o, kUnlimited)), endpoint, [&](Worker& w, uint64_t) {
        auto& mine = walks[static_cast<size_t>(w.id)];
        if (w.list_token.empty()) mine.emplace_back();  // a new walk from the first page
        const auto begin = Clock::now();
        OpOutcome outcome = Exchange(Op::kList, 0, [&] {
          HttpResponse page = w.client->ListObjects(o.bucket, keys.prefix(), 1000, w.list_token);
          w.list_token = XmlText(page.body, "NextContinuationToken");
          return page;
        });
        mine.back().push_back(
            std::chrono::duration<float, std::milli>(Clock::now() - begin).count());
        complete_last[static_cast<size_t>(w.id)] = w.list_token.empty();
        return outcome;
      });
  ListWalks summary;
  std::vector<float> first, last;
  for (size_t t = 0; t < walks.size(); ++t) {
    for (size_t i = 0; i < walks[t].size(); ++i) {
      const std::vector<float>& pages = walks[t][i];
      if (t == 0 && i == 0 && !pages.empty()) summary.cold_first_ms = pages.front();
      first.insert(first.end(), pages.begin(), pages.begin() + std::min(kEnds, pages.size()));
      if (i + 1 < walks[t].size() || complete_last[t]) {
        ++summary.complete;
        summary.pages = pages.size();
        last.insert(last.end(), pages.end() - std::min(kEnds, pages.size()), pages.end());
      }
    }
  }
  summary.first_ms = Median(first);
  summary.last_ms = Median(last);
  result.list_walks = summary;
  return result;
}

// 50% GET of the preloaded keys, 25% PUT of new keys, 15% DELETE of keys this
// worker PUT earlier (a PUT when it has none), 10% LIST: no request is meant to 404.
PhaseResult RunMixed(const Options& o, const S3Endpoint& endpoint, const KeyNamer& keys,
                     uint64_t key_space, const std::string& body) {
  return RunPhase(Phase(o, "mixed", CountOr(o, kUnlimited)), endpoint, [&](Worker& w, uint64_t) {
    const uint64_t dice = w.rng() % 100;
    if (dice < 50) {
      return Exchange(Op::kGet, 0,
                      [&] { return w.client->GetObject(o.bucket, keys.Key(w.rng() % key_space)); });
    }
    if (dice < 90 && (dice < 75 || w.scratch_keys.empty())) {
      std::string key = keys.prefix() + "-mixed" + std::to_string(w.id) + "-" +
                        std::to_string(w.scratch_serial++);
      OpOutcome outcome =
          Exchange(Op::kPut, body.size(), [&] { return w.client->PutObject(o.bucket, key, body); });
      if (outcome.status >= 200 && outcome.status <= 299) w.scratch_keys.push_back(std::move(key));
      return outcome;
    }
    if (dice < 90) {
      const std::string key = std::move(w.scratch_keys.back());
      w.scratch_keys.pop_back();
      return Exchange(Op::kDelete, 0, [&] { return w.client->DeleteObject(o.bucket, key); });
    }
    return Exchange(Op::kList, 0,
                    [&] { return w.client->ListObjects(o.bucket, keys.prefix(), 100); });
  });
}

PhaseResult RunTree(const Options& o, const S3Endpoint& endpoint, const Tree& tree) {
  PhaseOptions phase = Phase(o, "tree", tree.files.size());
  phase.duration_s = 0;  // a tree is uploaded whole
  PhaseResult result = RunPhase(phase, endpoint, [&](Worker& w, uint64_t i) {
    const TreeFile& file = tree.files[i];
    return Exchange(Op::kPut, file.data.size(),
                    [&] { return w.client->PutObject(o.bucket, file.key, file.data); });
  });
  if (!o.metrics.empty()) {
    const auto [host, port] = SplitHostPort(o.metrics);
    MetricsProbe probe(host, port);
    const auto give_up = std::chrono::steady_clock::now() +
                         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                             std::chrono::duration<double>(o.apply_timeout));
    while (std::chrono::steady_clock::now() < give_up) {
      const auto pending = probe.Read();
      if (pending && !result.pending_at_end) {
        result.pending_at_end = {pending->create, pending->unlink};
      }
      if (pending && pending->none()) {
        result.all_applied_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - result.start).count();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return result;
}

int Run(const Options& o, const std::string& command_line) {
  const auto [host, port] = SplitHostPort(o.endpoint);
  S3Endpoint endpoint{host, port, o.region, {"bench", o.access_key, o.secret_key}, o.sign_payload};
  const KeyNamer keys(o.prefix, o.dirs, o.keys_per_dir);
  const std::string body = RandomBytes(o.size, o.seed);

  if (o.create_bucket) {
    S3Client client(endpoint);
    const HttpResponse response = client.CreateBucket(o.bucket);
    // 409 BucketAlreadyOwnedByYou/BucketAlreadyExists: the bucket is there, which is all we need.
    if (response.status != 200 && response.status != 409) {
      std::cerr << "fsgate_load: CreateBucket " << o.bucket << ": HTTP " << response.status << "\n"
                << response.body << "\n";
      return 1;
    }
  }

  // Held open through every phase; counted again after the last one.
  IdleConnections idle;
  std::optional<IdleSummary> idle_summary;
  if (o.idle_connections > 0) {
    if (!IdleConnections::MakeRoomFor(o.idle_connections)) {
      std::cerr << "fsgate_load: cannot raise the open-file limit for " << o.idle_connections
                << " idle connections; opening as many as fit\n";
    }
    idle_summary.emplace();
    idle_summary->wanted = o.idle_connections;
    idle_summary->held = idle.Open(host, port, o.idle_from, o.idle_connections,
                                   S3Client(endpoint).HeadBucketRequest(o.bucket));
    idle_summary->open_seconds = idle.open_seconds();
    idle_summary->first_failure = idle.first_failure();
  }

  std::vector<PhaseResult> phases;
  std::optional<MetricsProbe> probe;
  if (!o.metrics.empty()) {
    const auto [metrics_host, metrics_port] = SplitHostPort(o.metrics);
    probe.emplace(metrics_host, metrics_port);
  }
  // The backlog a phase leaves: what was answered but is not applied yet.
  const auto add = [&](PhaseResult result) {
    if (probe && !result.pending_at_end) {
      if (const auto pending = probe->Read()) {
        result.pending_at_end = {pending->create, pending->unlink};
      }
    }
    phases.push_back(std::move(result));
  };
  if (!o.tree.empty() || o.tree_synthetic > 0) {
    const auto tree = !o.tree.empty() ? LoadTree(o.tree, o.prefix)
                                      : SyntheticTree(o.tree_synthetic, o.prefix, o.seed);
    add(RunTree(o, endpoint, *tree));
  } else {
    // Without a put phase in this run, get/delete/mixed use keys 0..key_space-1 written earlier.
    uint64_t key_space = o.keys > 0 ? o.keys : o.count;
    const uint64_t put_limit = o.count > 0 ? o.count : kUnlimited;
    if (o.op == "put" || o.op == "putget" || o.op == "putgetdelete") {
      add(RunPut(o, endpoint, keys, body, "put", put_limit));
      key_space = phases.back().indices_started;
    }
    if (o.op == "mixed") {
      Options preload = o;
      preload.duration = 0;
      key_space = o.keys > 0 ? o.keys : 1000;
      add(RunPut(preload, endpoint, keys, body, "preload", key_space));
    }
    if ((o.op != "put" && o.op != "list") && key_space == 0) {
      std::cerr << "fsgate_load: --op " << o.op << " needs --keys or --count (the keys to use)\n";
      return 2;
    }
    if (o.op == "get" || o.op == "putget" || o.op == "putgetdelete") {
      add(RunGet(o, endpoint, keys, key_space));
    }
    if (o.op == "delete" || o.op == "putgetdelete") {
      add(RunDelete(o, endpoint, keys, key_space));
    }
    if (o.op == "list") add(RunList(o, endpoint, keys));
    if (o.op == "mixed") add(RunMixed(o, endpoint, keys, key_space, body));
  }

  if (idle_summary) idle_summary->held_at_end = idle.StillOpen();
  const RunInfo info{o.endpoint, o.bucket, command_line, idle_summary};

  if (o.json) {
    PrintJson(std::cout, info, phases);
  } else {
    PrintText(std::cout, info, phases);
  }
  for (const auto& phase : phases) {
    if (phase.total.status_counts.contains(kTransportFailure)) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace fsgate::bench

int main(int argc, char** argv) {
  using fsgate::bench::Options;
  Options o;
  o.access_key = fsgate::bench::EnvOr("FSGATE_ACCESS_KEY", "");
  o.secret_key = fsgate::bench::EnvOr("FSGATE_SECRET_KEY", "");

  CLI::App app{"fsgate_load: S3 load generator (SigV4, keep-alive HTTP/1.1)"};
  app.add_option("--endpoint", o.endpoint, "S3 endpoint host:port")->capture_default_str();
  app.add_option("--metrics", o.metrics, "fsgate metrics host:port (tree mode: 'all applied')");
  app.add_option("--access-key", o.access_key, "default: $FSGATE_ACCESS_KEY");
  app.add_option("--secret-key", o.secret_key, "default: $FSGATE_SECRET_KEY");
  app.add_option("--region", o.region, "SigV4 region")->capture_default_str();
  app.add_option("--bucket", o.bucket)->capture_default_str();
  app.add_option("--op", o.op, "put|get|delete|list|mixed|putget|putgetdelete")
      ->check(CLI::IsMember({"put", "get", "delete", "list", "mixed", "putget", "putgetdelete"}))
      ->capture_default_str();
  app.add_option("--connections,-c", o.connections, "parallel keep-alive connections")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("--size", o.size, "object size in bytes (put, mixed)")->capture_default_str();
  app.add_option("--count,-n", o.count, "operations per phase (put: keys 0..N-1)");
  app.add_option("--duration,-d", o.duration, "seconds per phase")->check(CLI::PositiveNumber);
  app.add_option("--keys", o.keys,
                 "keys written earlier that get/delete/mixed use (default: --count; mixed: 1000)");
  auto* dirs = app.add_option("--dirs", o.dirs, "spread keys round-robin over N directories");
  app.add_option("--keys-per-dir", o.keys_per_dir, "fill directories of N keys each")
      ->excludes(dirs);
  app.add_option("--prefix", o.prefix, "key prefix")->capture_default_str();
  app.add_flag("--create-bucket", o.create_bucket, "create the bucket first (409 is fine)");
  auto* tree = app.add_option("--tree", o.tree, "upload every file under DIR")
                   ->check(CLI::ExistingDirectory);
  app.add_option("--tree-synthetic", o.tree_synthetic,
                 "upload N generated files (lognormal sizes, median 4 KiB)")
      ->excludes(tree);
  app.add_option("--apply-timeout", o.apply_timeout, "seconds to wait for 'all applied'")
      ->capture_default_str();
  app.add_flag("--sign-payload", o.sign_payload, "send the body's SHA-256, not UNSIGNED-PAYLOAD");
  app.add_option("--seed", o.seed, "random seed")->capture_default_str();
  app.add_flag("--json", o.json, "print one JSON document");
  app.add_option("--idle-connections", o.idle_connections,
                 "first open N keep-alive connections (one HeadBucket each) and hold them idle "
                 "through the phases");
  app.add_option("--idle-from", o.idle_from,
                 "local address of the idle connections (e.g. 127.0.0.2: another client)");
  CLI11_PARSE(app, argc, argv);

  const bool tree_mode = !o.tree.empty() || o.tree_synthetic > 0;
  if (!tree_mode && o.count == 0 && o.duration == 0 && o.op != "get" && o.op != "delete") {
    std::cerr << "fsgate_load: give --count or --duration\n";
    return 2;
  }
  if (o.access_key.empty() || o.secret_key.empty()) {
    std::cerr << "fsgate_load: no credentials: set FSGATE_ACCESS_KEY/FSGATE_SECRET_KEY or pass "
                 "--access-key/--secret-key\n";
    return 2;
  }
  std::string command_line;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) command_line += ' ';
    const std::string arg = argv[i];
    // The secret never goes into a report.
    const bool secret = (i > 0 && std::string(argv[i - 1]) == "--secret-key");
    command_line += secret ? "***" : arg.starts_with("--secret-key=") ? "--secret-key=***" : arg;
  }
  try {
    return fsgate::bench::Run(o, command_line);
  } catch (const std::exception& e) {
    std::cerr << "fsgate_load: " << e.what() << "\n";
    return 1;
  }
}
