#include "tests/bench/report.h"

#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/prettywriter.h>

#include <cstdio>
#include <string>

namespace fsgate::bench {
namespace {

std::string Format(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

double Rate(double count, double seconds) { return seconds > 0 ? count / seconds : 0; }

void PrintStatsText(std::ostream& out, const std::string& label, OpStats& stats, double seconds) {
  const Percentiles p = stats.ComputePercentiles();
  out << "  " << label << ": " << stats.ops() << " ops, "
      << Format("%.1f", Rate(static_cast<double>(stats.ops()), seconds)) << " ops/s, "
      << Format("%.2f", static_cast<double>(stats.bytes) / (1 << 20)) << " MiB ("
      << Format("%.1f", Rate(static_cast<double>(stats.bytes) / (1 << 20), seconds)) << " MiB/s)\n"
      << "    latency ms: p50 " << Format("%.3f", p.p50) << "  p90 " << Format("%.3f", p.p90)
      << "  p99 " << Format("%.3f", p.p99) << "  max " << Format("%.3f", p.max) << "\n"
      << "    status:";
  for (const auto& [status, count] : stats.status_counts) {
    out << " " << (status == kTransportFailure ? std::string("transport") : std::to_string(status))
        << "=" << count;
  }
  out << "  errors=" << stats.errors() << "\n";
}

template <typename Writer>
void WriteStatsJson(Writer& w, OpStats& stats, double seconds) {
  const Percentiles p = stats.ComputePercentiles();
  w.StartObject();
  w.Key("ops");
  w.Uint64(stats.ops());
  w.Key("ops_per_sec");
  w.Double(Rate(static_cast<double>(stats.ops()), seconds));
  w.Key("bytes");
  w.Uint64(stats.bytes);
  w.Key("latency_ms");
  w.StartObject();
  w.Key("p50");
  w.Double(p.p50);
  w.Key("p90");
  w.Double(p.p90);
  w.Key("p99");
  w.Double(p.p99);
  w.Key("max");
  w.Double(p.max);
  w.EndObject();
  w.Key("errors");
  w.Uint64(stats.errors());
  w.Key("status");
  w.StartObject();
  for (const auto& [status, count] : stats.status_counts) {
    w.Key(status == kTransportFailure ? "transport" : std::to_string(status).c_str());
    w.Uint64(count);
  }
  w.EndObject();
  w.EndObject();
}

}  // namespace

void PrintText(std::ostream& out, const RunInfo& info, std::vector<PhaseResult>& phases) {
  out << "fsgate_load against " << info.endpoint << " bucket " << info.bucket << "\n";
  out << "command: " << info.command_line << "\n";
  if (info.idle) {
    out << "idle connections: " << info.idle->held << " of " << info.idle->wanted << " held ("
        << Format("%.2f", info.idle->open_seconds) << " s to open), " << info.idle->held_at_end
        << " still open after the phases";
    if (!info.idle->first_failure.empty()) out << "; first refused: " << info.idle->first_failure;
    out << "\n";
  }
  for (auto& phase : phases) {
    out << "phase " << phase.name << " (" << phase.connections << " connections, "
        << Format("%.3f", phase.seconds) << " s to the last response)\n";
    PrintStatsText(out, "all", phase.total, phase.seconds);
    if (phase.by_op.size() > 1) {
      for (auto& [op, stats] : phase.by_op) {
        PrintStatsText(out, std::string(OpName(op)), stats, phase.seconds);
      }
    }
    if (phase.pending_at_end) {
      out << "  pending at the last response: create " << phase.pending_at_end->first << ", unlink "
          << phase.pending_at_end->second << "\n";
    }
    if (phase.list_walks) {
      const ListWalks& walks = *phase.list_walks;
      out << "  walks: " << walks.complete << " complete of " << walks.pages
          << " pages; first page of the first walk " << Format("%.3f", walks.cold_first_ms)
          << " ms; median of the first 10 pages " << Format("%.3f", walks.first_ms)
          << " ms, of the last 10 " << Format("%.3f", walks.last_ms) << " ms\n";
    }
    if (phase.name == "tree") {
      out << "  all answered: " << Format("%.3f", phase.seconds) << " s\n";
      out << "  all applied:  "
          << (phase.all_applied_s ? Format("%.3f", *phase.all_applied_s) + " s"
                                  : std::string("n/a (no --metrics, or it never drained)"))
          << "\n";
    }
  }
}

void PrintJson(std::ostream& out, const RunInfo& info, std::vector<PhaseResult>& phases) {
  rapidjson::OStreamWrapper stream(out);
  rapidjson::PrettyWriter<rapidjson::OStreamWrapper> w(stream);
  w.StartObject();
  w.Key("endpoint");
  w.String(info.endpoint.c_str());
  w.Key("bucket");
  w.String(info.bucket.c_str());
  w.Key("command");
  w.String(info.command_line.c_str());
  if (info.idle) {
    w.Key("idle");
    w.StartObject();
    w.Key("wanted");
    w.Uint64(info.idle->wanted);
    w.Key("held");
    w.Uint64(info.idle->held);
    w.Key("held_at_end");
    w.Uint64(info.idle->held_at_end);
    w.Key("open_seconds");
    w.Double(info.idle->open_seconds);
    w.Key("first_failure");
    w.String(info.idle->first_failure.c_str());
    w.EndObject();
  }
  w.Key("phases");
  w.StartArray();
  for (auto& phase : phases) {
    w.StartObject();
    w.Key("name");
    w.String(phase.name.c_str());
    w.Key("connections");
    w.Int(phase.connections);
    w.Key("seconds");
    w.Double(phase.seconds);
    w.Key("indices");
    w.Uint64(phase.indices_started);
    w.Key("all");
    WriteStatsJson(w, phase.total, phase.seconds);
    w.Key("by_op");
    w.StartObject();
    for (auto& [op, stats] : phase.by_op) {
      w.Key(std::string(OpName(op)).c_str());
      WriteStatsJson(w, stats, phase.seconds);
    }
    w.EndObject();
    if (phase.pending_at_end) {
      w.Key("pending_at_end");
      w.StartObject();
      w.Key("create");
      w.Double(phase.pending_at_end->first);
      w.Key("unlink");
      w.Double(phase.pending_at_end->second);
      w.EndObject();
    }
    if (phase.list_walks) {
      const ListWalks& walks = *phase.list_walks;
      w.Key("list_walks");
      w.StartObject();
      w.Key("complete");
      w.Uint64(walks.complete);
      w.Key("pages");
      w.Uint64(walks.pages);
      w.Key("cold_first_ms");
      w.Double(walks.cold_first_ms);
      w.Key("first_ms");
      w.Double(walks.first_ms);
      w.Key("last_ms");
      w.Double(walks.last_ms);
      w.EndObject();
    }
    if (phase.name == "tree") {
      w.Key("all_answered_s");
      w.Double(phase.seconds);
      w.Key("all_applied_s");
      if (phase.all_applied_s) {
        w.Double(*phase.all_applied_s);
      } else {
        w.Null();
      }
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  out << "\n";
}

}  // namespace fsgate::bench
