#include "metrics/process_collector.h"

#include <dirent.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace fsgate::metrics {
namespace {

struct Stat {
  double cpu_seconds = 0;
  double start_time_seconds = 0;
  double virtual_bytes = 0;
  double resident_bytes = 0;
};

// Seconds since the epoch at which the system booted: the wall clock minus the
// time since boot (what /proc/stat "btime" holds, without needing /proc/stat,
// which a hardened unit may hide).
double BootTime() {
  timespec real{}, boot{};
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_BOOTTIME, &boot);
  return static_cast<double>(real.tv_sec - boot.tv_sec) +
         static_cast<double>(real.tv_nsec - boot.tv_nsec) / 1e9;
}

// /proc/self/stat, fields as in proc(5). The command name (field 2) may hold
// spaces and parentheses, so parsing starts after its last ')'.
bool ReadStat(Stat& out) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos) return false;
  std::istringstream fields(line.substr(paren + 2));
  // fields[0] is field 3 (state).
  std::string f[23];
  for (auto& s : f)
    if (!(fields >> s)) return false;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  out.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;  // utime(14) + stime(15)
  out.start_time_seconds = BootTime() + std::stod(f[19]) / ticks;   // starttime(22)
  out.virtual_bytes = std::stod(f[20]);                             // vsize(23)
  out.resident_bytes = std::stod(f[21]) * page;                     // rss(24), in pages
  return true;
}

double OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double n = 0;
  while (const dirent* entry = readdir(dir))
    if (entry->d_name[0] != '.') ++n;
  closedir(dir);
  return n - 1;  // the descriptor of the directory stream itself
}

double MaxFds() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  return static_cast<double>(limit.rlim_cur);
}

prometheus::MetricFamily Family(std::string name, std::string help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily family{std::move(name), std::move(help), type, {}};
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter)
    metric.counter.value = value;
  else
    metric.gauge.value = value;
  family.metric.push_back(std::move(metric));
  return family;
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  Stat stat;
  if (ReadStat(stat)) {
    out.push_back(Family("process_cpu_seconds_total",
                         "Total user and system CPU time spent in seconds.", MetricType::Counter,
                         stat.cpu_seconds));
    out.push_back(Family("process_start_time_seconds",
                         "Start time of the process since unix epoch in seconds.",
                         MetricType::Gauge, stat.start_time_seconds));
    out.push_back(Family("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                         MetricType::Gauge, stat.virtual_bytes));
    out.push_back(Family("process_resident_memory_bytes", "Resident memory size in bytes.",
                         MetricType::Gauge, stat.resident_bytes));
  }
  out.push_back(
      Family("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, OpenFds()));
  out.push_back(Family("process_max_fds", "Maximum number of open file descriptors.",
                       MetricType::Gauge, MaxFds()));
  return out;
}

}  // namespace fsgate::metrics
