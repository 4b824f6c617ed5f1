#!/usr/bin/python3
"""fsgate benchmark: sync vs async dirops, side by side, in one table.

For each --fsync setting (on, off) and each --dirops mode (sync, async) it
starts a fresh fsgate on a fresh root (all roots on the same disk) and drives
it with fsgate_load: 4 KiB PUT, GET, DELETE at 1 and 32 (--connections), and a
source-like tree of files (or --tree DIR) at 1 and 16 connections, with the
server's CPU per request. The same PUT/GET/DELETE against fsgate_null_server,
plain and durable (one pwrite+fdatasync per write), give the reference rows:
the machine's floor. Then N idle keep-alive connections (--idle-connections)
held by one async fsgate while 16 clients GET. Optionally the same workloads
against another S3 server (--other-endpoint), or against a Ceph RGW it starts
on the --ceph-conf cluster (--rgw), for comparison, and
(--two-gateways) two async gateways on one root loading one bucket together vs
one bucket each.

Each workload starts with nothing pending: the backlog a phase leaves (its
"pend" column) is applied before the next one starts, and how long that took
is printed under the table. Otherwise a phase would be measured while the
applier still works off the previous one.

A benchmark, not a test: nothing here asserts a speed. See README.md.
"""

import argparse
import json
import os
import re
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor
import urllib.request

ACCESS_KEY = "fsgatebenchaccesskey"
SECRET_KEY = "fsgatebenchsecretkey0000000000000000000"


def log(message):
    print(message, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5.0):
    """(status, body) of a plain GET; status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, ""
    except (urllib.error.URLError, OSError):
        return 0, ""


def parse_gauge(exposition, name):
    """The value of an unlabelled gauge, None when absent."""
    for line in exposition.splitlines():
        if line.startswith(name + " "):
            try:
                return float(line.split()[1])
            except (IndexError, ValueError):
                return None
    return None


def parse_pending(exposition):
    """Sum of fsgate_async_pending{op=create|unlink}, None when absent."""
    total, seen = 0.0, 0
    for line in exposition.splitlines():
        if line.startswith("fsgate_async_pending{") and (
            'op="create"' in line or 'op="unlink"' in line
        ):
            try:
                total += float(line.split("}", 1)[1].split()[0])
                seen += 1
            except (IndexError, ValueError):
                pass
    return total if seen else None


def cpu_seconds(pid):
    """User+sys CPU seconds of process `pid` so far, its threads (live and
    exited) included: the kernel's per-process CPU clock (nanoseconds; the
    clock id clock_getcpuclockid(pid) returns), else /proc/PID/stat's
    utime+stime (clock ticks, 10 ms)."""
    try:
        return time.clock_gettime((~pid << 3) | 2)
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def raise_open_files(wanted):
    """Lets this process open `wanted` files, raising the hard limit too when
    allowed (as root); otherwise leaves the limits as they are."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
            return
        except (OSError, ValueError):
            pass
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(wanted, hard)), hard))


def process_size(pid):
    """(RSS MiB, open descriptors, threads) of a live process; None for what cannot be read."""
    rss = threads = fds = None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) / 1024.0
                elif line.startswith("Threads:"):
                    threads = int(line.split()[1])
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        pass
    return rss, fds, threads


class PeakSize:
    """The largest process_size(pid) seen while the `with` block runs, read every 0.1 s."""

    def __init__(self, pid):
        self.pid, self.peak = pid, (None, None, None)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while True:
            now = process_size(self.pid)
            self.peak = tuple(v if p is None else max(p, v) if v is not None else p
                              for p, v in zip(self.peak, now))
            if self.done.wait(0.1):
                return

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()


def wait_listening(port, process, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} at start")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{what} not listening after {timeout:.0f} s")


class NullServer:
    """fsgate_null_server on a free port: the reference rows. `durable` gives
    it a fresh directory under scratch for its pwrite+fdatasync per write."""

    def __init__(self, binary, scratch, durable):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="fsgate-bench-null-", dir=scratch) if durable else None
        self.command = [binary, "--listen", f"127.0.0.1:{self.port}"]
        if durable:
            self.command += ["--durable", self.dir]
        self.process = subprocess.Popen(self.command)
        wait_listening(self.port, self.process, "fsgate_null_server")

    @property
    def endpoint(self):
        return f"127.0.0.1:{self.port}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    """One fsgate process on a fresh root; stopped and its root removed on exit."""

    def __init__(self, binary, scratch, dirops, fsync, keep, ceph_conf=None, gateway_id=None,
                 share_root_of=None, flags=(), open_files=None):
        # A second gateway (share_root_of: the first) serves the first's root
        # with its own --gateway-id; its root is the first's to remove.
        self.owns_root = share_root_of is None
        self.root = share_root_of.root if share_root_of else tempfile.mkdtemp(
            prefix=f"fsgate-bench-{dirops}-fsync{fsync}-", dir=scratch)
        self.port, self.metrics_port = free_port(), free_port()
        self.keep = keep
        self.log_path = self.root + (f".{gateway_id}" if gateway_id else "") + ".log"
        env = dict(os.environ, FSGATE_ACCESS_KEY=ACCESS_KEY, FSGATE_SECRET_KEY=SECRET_KEY)
        self.command = [
            binary, "serve", "--root", self.root,
            "--listen", f"127.0.0.1:{self.port}",
            "--metrics-listen", f"127.0.0.1:{self.metrics_port}",
            "--dirops", dirops, "--fsync", fsync,
        ]
        if gateway_id:
            self.command += ["--gateway-id", gateway_id]
        if ceph_conf:  # a fresh directory of the CephFS for each server
            self.command += ["--backend", "cephfs", "--ceph-conf", ceph_conf,
                             "--ceph-root", "/" + os.path.basename(self.root)]
        self.command += list(flags)
        self.log_file = open(self.log_path, "wb")
        self.process = subprocess.Popen(self.command, env=env, stdout=self.log_file,
                                        stderr=subprocess.STDOUT,
                                        preexec_fn=(lambda: raise_open_files(open_files))
                                        if open_files else None)
        try:
            self._wait_ready()
        except BaseException:
            self.keep = True  # leave the log for the error message's reader
            self.stop()
            raise

    @property
    def endpoint(self):
        return f"127.0.0.1:{self.port}"

    @property
    def metrics(self):
        return f"127.0.0.1:{self.metrics_port}"

    def _wait_ready(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"fsgate exited with {self.process.returncode} at start "
                                   f"(log {self.log_path}):\n" + self.log_tail())
            if http_get(f"http://{self.metrics}/readyz", timeout=1.0)[0] == 200:
                return
            time.sleep(0.05)
        raise RuntimeError(f"fsgate not ready after {timeout:.0f} s (log {self.log_path}):\n"
                           + self.log_tail())

    def log_tail(self, lines=20):
        self.log_file.flush()
        with open(self.log_path, "rb") as f:
            return b"\n".join(f.read().splitlines()[-lines:]).decode("utf-8", "replace")

    def peak_rss_mib(self):
        try:
            with open(f"/proc/{self.process.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024.0
        except OSError:
            pass
        return None

    def pending(self):
        status, body = http_get(f"http://{self.metrics}/metrics")
        return parse_pending(body) if status == 200 else None

    def pool_level(self):
        status, body = http_get(f"http://{self.metrics}/metrics")
        return parse_gauge(body, "fsgate_delegated_inodes_available") if status == 200 else None

    def settle(self, timeout=300.0):
        """Waits until nothing is pending and the staging pool has stopped
        refilling (its level unchanged for a second: on CephFS each of its
        creates is an MDS round trip, thousands after a large phase, and the
        next phase would measure them); returns the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            pending = self.pending()
            if pending is None or pending == 0:
                break
            time.sleep(0.05)
        level, stable_since = self.pool_level(), time.monotonic()
        while level and time.monotonic() - started < timeout:
            time.sleep(0.1)
            now = self.pool_level()
            if now != level:
                level, stable_since = now, time.monotonic()
            elif time.monotonic() - stable_since >= 1.0:
                break
        return max(0.0, time.monotonic() - started - (1.0 if level else 0.0))

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                log(f"fsgate {self.process.pid} ignored SIGTERM for 60 s; killing it")
                self.process.kill()
                self.process.wait()
        self.log_file.close()
        if not self.keep:
            os.unlink(self.log_path)

    def remove_root(self):
        if not self.keep and self.owns_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Target:
    """Where the load goes: an fsgate we started, or another S3 endpoint."""

    def __init__(self, endpoint, access_key, secret_key, server=None, pid=None):
        self.endpoint, self.access_key, self.secret_key = endpoint, access_key, secret_key
        self.server = server
        # Whose CPU a phase is charged: the fsgate we started, or a reference server.
        self.pid = server.process.pid if server is not None else pid
        self.settled = False  # the server has nothing left to do since the last fsgate_load
        self.settle_notes = []  # how long each backlog took to apply between phases

    def settle(self):
        """Waits for our fsgate to apply its backlog; notes how long it took."""
        if self.server is not None:
            seconds = self.server.settle()
            if seconds >= 0.1:
                self.settle_notes.append(f"{seconds:.1f} s")
        self.settled = True


def run_load(args, target, bucket, extra, verbose):
    """One fsgate_load run's JSON; each phase (of a one-phase run) gets
    "server_cpu_s": the server's CPU from the start of the run until the work
    it left behind (async applies, the staging pool's refill) is done, when
    the target's process is ours."""
    if not target.settled:
        target.settle()
    command = [args.load, "--endpoint", target.endpoint, "--bucket", bucket, "--json"] + extra
    if target.server is not None:
        command += ["--metrics", target.server.metrics]
    env = dict(os.environ, FSGATE_ACCESS_KEY=target.access_key,
               FSGATE_SECRET_KEY=target.secret_key)
    if verbose:
        log("  $ " + shlex.join(command))
    cpu_before = cpu_seconds(target.pid) if target.pid else None
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    target.settle()  # the backlog this run left is its work too
    cpu_after = cpu_seconds(target.pid) if target.pid else None
    if done.returncode not in (0, 1) or not done.stdout.strip():
        raise RuntimeError(f"fsgate_load failed ({done.returncode}): {done.stderr.strip()}")
    if done.stderr.strip():
        log("  fsgate_load: " + done.stderr.strip())
    result = json.loads(done.stdout)
    cpu = cpu_after - cpu_before if None not in (cpu_before, cpu_after) else None
    for phase in result["phases"]:  # the CPU is one phase's when the run has one
        phase["server_cpu_s"] = cpu if len(result["phases"]) == 1 else None
    return result


def start_rgw(ceph_conf):
    """(endpoint, access key, secret key) of the RGW on the dev cluster whose
    ceph.conf this is; deploy/ceph-dev-cluster.sh starts it unless it runs."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy",
                          "ceph-dev-cluster.sh")
    done = subprocess.run([script, "rgw", os.path.dirname(os.path.abspath(ceph_conf))],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    exports = dict(line[len("export "):].split("=", 1) for line in done.stdout.splitlines()
                   if line.startswith("export "))
    if done.returncode != 0 or "S3_ENDPOINT" not in exports:
        raise RuntimeError(f"no RGW on {ceph_conf}: {done.stderr.strip()}")
    return exports["S3_ENDPOINT"], exports["S3_ACCESS_KEY"], exports["S3_SECRET_KEY"]


def measure(target, phase):
    """One table cell group from a fsgate_load phase and the server's state after it."""
    stats = phase["all"]
    cell = {
        "ops_per_sec": stats["ops_per_sec"],
        "p50": stats["latency_ms"]["p50"],
        "p99": stats["latency_ms"]["p99"],
        "errors": stats["errors"],
        "status": stats["status"],
        "ops": stats["ops"],
        "rss": None,
        "pending": None,
        "cpu_us": (phase["server_cpu_s"] * 1e6 / stats["ops"]
                   if phase.get("server_cpu_s") is not None and stats["ops"] else None),
    }
    if target.server is not None:
        cell["rss"] = target.server.peak_rss_mib()
        # fsgate_load reads the backlog right after the phase's last response.
        at_end = phase.get("pending_at_end")
        cell["pending"] = (at_end["create"] + at_end["unlink"] if at_end
                           else target.server.pending())
    if phase["name"] == "tree":
        cell["answered_s"] = phase.get("all_answered_s")
        cell["applied_s"] = phase.get("all_applied_s")
    return cell


def put_phase(args, target, bucket, connections, seconds):
    """4 KiB PUTs of new keys over 16 directories, into a bucket it creates."""
    return run_load(args, target, bucket,
                    ["--connections", str(connections), "--size", "4096", "--prefix", "k",
                     "--dirs", "16", "--create-bucket", "--op", "put", "--duration", str(seconds)],
                    args.verbose)["phases"][0]


def durable_floor_put_c1(args):
    """The durable null server's PUT 4KiB c1 row alone, on a fresh server."""
    with NullServer(args.null_server, args.scratch, True) as null:
        target = Target(null.endpoint, ACCESS_KEY, SECRET_KEY, pid=null.process.pid)
        seconds = PLANS["quick" if args.quick else "full"]["c1"][0]
        return measure(target, put_phase(args, target, "bench-floor", 1, seconds))


def workloads(args, target, verbose, trees=True):
    """Runs every workload against `target` (the tree's only when `trees`);
    returns {row name: cell}."""
    plan = PLANS["quick" if args.quick else "full"]
    cells = {}
    for connections, put_s, get_s, delete_s in ((1,) + plan["c1"],
                                                (args.connections,) + plan["many"]):
        bucket = f"bench-c{connections}-{int(time.time() * 1000) % 10**9}"
        common = ["--connections", str(connections), "--size", "4096",
                  "--prefix", "k", "--dirs", "16"]
        put = put_phase(args, target, bucket, connections, put_s)
        cells[f"PUT 4KiB c{connections}"] = measure(target, put)
        keys = str(put["indices"])
        get = run_load(args, target, bucket,
                       common + ["--op", "get", "--keys", keys, "--duration", str(get_s)],
                       verbose)["phases"][0]
        cells[f"GET 4KiB c{connections}"] = measure(target, get)
        delete = run_load(args, target, bucket,
                          common + ["--op", "delete", "--keys", keys, "--duration", str(delete_s)],
                          verbose)["phases"][0]
        cells[f"DELETE 4KiB c{connections}"] = measure(target, delete)
    if not trees:
        return cells
    # A real tree (--tree DIR, e.g. an unpacked linux source) or a synthetic one.
    if args.tree:
        source, name = ["--tree", args.tree], f"tree {os.path.basename(os.path.normpath(args.tree))}"
    else:
        files = plan["tree_files"]
        source, name = ["--tree-synthetic", str(files)], f"tree {files} files"
    for connections in TREE_CONNECTIONS:
        tree = run_load(args, target, f"bench-tree-{int(time.time() * 1000) % 10**9}",
                        ["--create-bucket", "--connections", str(connections), "--prefix", "src"]
                        + source, verbose)["phases"][0]
        cells[f"{name} c{connections}"] = measure(target, tree)
    return cells


def two_gateways(args, fsync):
    """Two async gateways on one root, 16 connections each: PUT then GET of
    4 KiB objects, both gateways in one bucket (its caps go shared: every op
    of both is synchronous) and then each in a bucket of its own (each keeps
    its bucket's exclusive cap: async). Returns {(row, layout): cell} with
    ops/s summed and p99 the larger of the two."""
    plan = PLANS["quick" if args.quick else "full"]
    put_s, get_s = plan["many"][0], plan["many"][1]
    cells = {}
    with Server(args.fsgate, args.scratch, "async", fsync, args.keep, args.ceph_conf,
                "gw-a") as a, \
            Server(args.fsgate, args.scratch, "async", fsync, args.keep, args.ceph_conf,
                   "gw-b", share_root_of=a) as b:
        targets = [Target(srv.endpoint, ACCESS_KEY, SECRET_KEY, srv) for srv in (a, b)]
        stamp = int(time.time() * 1000) % 10**9
        for layout in ("one bucket", "two buckets"):
            buckets = ([f"bench-2gw-{stamp}"] * 2 if layout == "one bucket"
                       else [f"bench-2gw-{stamp}-{i}" for i in (0, 1)])
            for bucket in sorted(set(buckets)):  # made by the first gateway, before the load
                run_load(args, targets[0], bucket, ["--create-bucket", "--op", "put",
                                                    "--count", "1", "--prefix", "first"],
                         args.verbose)

            def both(extra_of):  # one fsgate_load per gateway, at once; its own keys each
                def one(i):
                    return run_load(args, targets[i], buckets[i],
                                    ["--connections", "16", "--size", "4096", "--dirs", "16",
                                     "--prefix", f"gw{i}-{layout[:3]}"] + extra_of(i),
                                    args.verbose)["phases"][0]
                with ThreadPoolExecutor(2) as pool:
                    return list(pool.map(one, (0, 1)))

            puts = both(lambda i: ["--op", "put", "--duration", str(put_s)])
            gets = both(lambda i: ["--op", "get", "--keys", str(puts[i]["indices"]),
                                   "--duration", str(get_s)])
            for row, phases in (("PUT 4KiB 2x c16", puts), ("GET 4KiB 2x c16", gets)):
                cells[(row, layout)] = {
                    "ops_per_sec": sum(p["all"]["ops_per_sec"] for p in phases),
                    "p99": max(p["all"]["latency_ms"]["p99"] for p in phases),
                    "errors": sum(p["all"]["errors"] for p in phases),
                }
    a.remove_root()  # b shares it
    return cells


def print_two_gateways(fsync, cells):
    print(f"\ntwo async gateways on one root, fsync {fsync}, 16 connections each "
          "(ops/s summed, p99 the larger):")
    rows = sorted({row for row, _ in cells}, reverse=True)
    print(f"  {'workload':16}  {'one bucket ops/s':>16}  {'p99 ms':>8}  "
          f"{'two buckets ops/s':>17}  {'p99 ms':>8}  {'one/two':>7}")
    for row in rows:
        one, two = cells[(row, "one bucket")], cells[(row, "two buckets")]
        print(f"  {row:16}  {one['ops_per_sec']:16.0f}  {one['p99']:8.3f}  "
              f"{two['ops_per_sec']:17.0f}  {two['p99']:8.3f}  "
              f"{ratio(one['ops_per_sec'], two['ops_per_sec']):>7}")
    for (row, layout), cell in cells.items():
        if cell["errors"]:
            print(f"  {row} {layout}: {cell['errors']} errors")


# The reference rows' servers (fsgate_null_server, plain and --durable).
NULL = "null server"
DURABLE_NULL = "durable null (pwrite+fdatasync)"

# The tree is uploaded at 1 connection (the latency of a create: async's gain
# whole) and at 16.
TREE_CONNECTIONS = (1, 16)

# Seconds per phase: (PUT, GET, DELETE) at 1 and at --connections (32)
# connections; DELETE stops earlier once every key the PUT wrote is gone.
PLANS = {
    "quick": {"c1": (2, 2, 2), "many": (2, 2, 2), "tree_files": 10000},
    "full": {"c1": (10, 10, 10), "many": (30, 10, 30), "tree_files": 20000},
}


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def ratio(a, b):
    return "-" if not a or not b else f"{a / b:.2f}x"


def tree_throughput(cell, key):
    seconds = cell.get(key)
    return cell["ops"] / seconds if seconds else None


def print_rows(header, rows):
    """An aligned table: the first column left-aligned, the others right-aligned."""
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(cells):
        return "  ".join(str(v).rjust(w) if i else str(v).ljust(w)
                         for i, (v, w) in enumerate(zip(cells, widths)))

    print(line(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def print_reference(results, reference, floor_after):
    """fsgate's PUT/GET/DELETE rows beside the reference servers' (the floor
    of this machine), and fsgate async at 1 connection as a share of it;
    `floor_after`: the durable null's PUT c1 measured again after fsgate's."""
    print("\nreference servers: the same fsgate_load against fsgate_null_server, "
          "which does no S3 work")
    header = ["workload", "server", "ops/s", "p50 ms", "p99 ms", "CPU us"]
    rows = []
    for name in reference[NULL]:
        servers = [(f"fsgate {dirops}, fsync {fsync}", modes[dirops][name])
                   for fsync, modes in results.items() for dirops in ("sync", "async")]
        servers += [(label, cells[name]) for label, cells in reference.items()]
        for i, (label, cell) in enumerate(servers):
            rows.append([name if i == 0 else "", label, fmt(cell["ops_per_sec"], ".0f"),
                         fmt(cell["p50"], ".3f"), fmt(cell["p99"], ".3f"),
                         fmt(cell["cpu_us"], ".0f")])
    print_rows(header, rows)
    fsync = "on" if "on" in results else next(iter(results))
    asynchronous = results[fsync]["async"]
    print(f"\nfsgate async, fsync {fsync}, at 1 connection as a share of the reference:")
    floors = [("PUT 4KiB c1", DURABLE_NULL, 70), ("DELETE 4KiB c1", DURABLE_NULL, 70),
              ("GET 4KiB c1", NULL, 50)]
    for row, server, target in floors:
        if server == DURABLE_NULL and fsync != "on":
            continue  # an answer from the page cache is no share of a synced write
        share = asynchronous[row]["ops_per_sec"] / max(reference[server][row]["ops_per_sec"], 1e-9)
        print(f"  {row}: {share:.0%} of {server} (target >= {target}%)")
    before = reference[DURABLE_NULL]["PUT 4KiB c1"]
    print(f"  (the durable null's PUT 4KiB c1 before fsgate's phases: "
          f"{before['ops_per_sec']:.0f} ops/s, p50 {before['p50']:.3f} ms; after them: "
          f"{floor_after['ops_per_sec']:.0f} ops/s, p50 {floor_after['p50']:.3f} ms: "
          f"the shares above are only as steady as the disk was in between)")
    for label, cells in reference.items():
        for name, cell in cells.items():
            if cell["errors"]:
                print(f"  {name} {label}: {cell['errors']} errors of {cell['ops']}, "
                      f"statuses {cell['status']}")


def print_table(results, other, other_name):
    """results: {fsync: {dirops: {row: cell}}}; other: {row: cell} or None."""
    header = ["workload", "fsync",
              "sync ops/s", "p50 ms", "p99 ms", "RSS MiB", "pend", "CPU us",
              "async ops/s", "p50 ms", "p99 ms", "RSS MiB", "pend", "CPU us", "async/sync"]
    if other is not None:
        header += [f"{other_name} ops/s", "p50 ms", "p99 ms", f"async/{other_name}"]
    rows = []
    notes = []
    for fsync, modes in results.items():
        sync, asynchronous = modes["sync"], modes["async"]
        for name in sync:
            s, a = sync[name], asynchronous[name]
            o = other.get(name) if other is not None else None
            lines = [(name, s["ops_per_sec"], a["ops_per_sec"],
                      o["ops_per_sec"] if o else None)]
            if "answered_s" in s:  # the tree: throughput to "all answered" and "all applied"
                lines = [
                    (name + " answered", tree_throughput(s, "answered_s"),
                     tree_throughput(a, "answered_s"), o and tree_throughput(o, "answered_s")),
                    (name + " applied", tree_throughput(s, "applied_s"),
                     tree_throughput(a, "applied_s"), None),
                ]
            for label, s_rate, a_rate, o_rate in lines:
                applied = label.endswith(" applied")  # no latencies, nothing left pending
                lat = lambda cell, key: None if applied or not cell else cell[key]
                pend = lambda cell: 0 if applied and cell["applied_s"] else cell["pending"]
                row = [label, fsync,
                       fmt(s_rate, ".0f"), fmt(lat(s, "p50"), ".3f"), fmt(lat(s, "p99"), ".3f"),
                       fmt(s["rss"], ".0f"), fmt(pend(s), ".0f"), fmt(lat(s, "cpu_us"), ".0f"),
                       fmt(a_rate, ".0f"), fmt(lat(a, "p50"), ".3f"), fmt(lat(a, "p99"), ".3f"),
                       fmt(a["rss"], ".0f"), fmt(pend(a), ".0f"), fmt(lat(a, "cpu_us"), ".0f"),
                       ratio(a_rate, s_rate)]
                if other is not None:
                    row += [fmt(o_rate, ".0f"), fmt(lat(o, "p50"), ".3f"),
                            fmt(lat(o, "p99"), ".3f"), ratio(a_rate, o_rate)]
                rows.append(row)
            for mode, cell in (("sync", s), ("async", a), (other_name, o)):
                if cell and cell["errors"]:
                    notes.append(f"{name} fsync {fsync} {mode}: {cell['errors']} errors "
                                 f"of {cell['ops']}, statuses {cell['status']}")
                if cell and "answered_s" in cell and cell is not o:
                    notes.append(f"{name} fsync {fsync} {mode}: all answered "
                                 f"{fmt(cell['answered_s'], '.2f')} s, all applied "
                                 f"{fmt(cell['applied_s'], '.2f')} s")
            if "answered_s" in s:
                target = " (target <= 0.50x)" if name.endswith(" c1") else ""
                notes.append(f"{name} fsync {fsync}: async/sync time, all answered "
                             f"{ratio(a['answered_s'], s['answered_s'])}{target}, all applied "
                             f"{ratio(a['applied_s'], s['applied_s'])}")
    print_rows(header, rows)
    if notes:
        print()
        for n in notes:
            print(n)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("fsgate", nargs="?", default="./build/gateway/fsgate",
                        help="fsgate binary (default ./build/gateway/fsgate)")
    parser.add_argument("--load", default="./build/tests/bench/fsgate_load",
                        help="fsgate_load binary (default ./build/tests/bench/fsgate_load)")
    parser.add_argument("--null-server", default="./build/tests/bench/fsgate_null_server",
                        help="fsgate_null_server binary, the reference rows' server "
                             "(default ./build/tests/bench/fsgate_null_server)")
    parser.add_argument("--quick", action="store_true",
                        help="short phases and a 10,000-file tree (about 4 minutes)")
    parser.add_argument("--fsync", choices=["on", "off", "both"], default="both")
    parser.add_argument("--scratch", default=tempfile.gettempdir(),
                        help="where the fresh roots go (one disk for all)")
    parser.add_argument("--keep", action="store_true", help="keep the roots and server logs")
    parser.add_argument("--ceph-conf",
                        help="serve from CephFS (--backend cephfs) on the cluster of this ceph.conf")
    parser.add_argument("--list", type=int, default=0, metavar="KEYS",
                        help="also a LIST phase: KEYS keys nested and in one directory "
                             "(posix only)")
    parser.add_argument("--list-flat", type=int, default=0, metavar="KEYS",
                        help="also a LIST phase of KEYS keys in one directory (e.g. 1000000; "
                             "posix only)")
    parser.add_argument("--only-list", action="store_true",
                        help="run the LIST phase alone (with --list and/or --list-flat)")
    parser.add_argument("--tree", metavar="DIR",
                        help="upload this directory tree (e.g. an unpacked linux source) in the "
                             "tree rows instead of the synthetic one")
    parser.add_argument("--idle-connections", type=int, metavar="N",
                        help="idle keep-alive connections of the connections phase (default "
                             "10,000; 0 skips the phase)")
    parser.add_argument("--two-gateways", action="store_true",
                        help="also two async gateways on one root: one bucket vs two")
    parser.add_argument("--connections", type=int, default=32,
                        help="connections of the PUT/GET/DELETE rows after the c1 ones (default 32)")
    parser.add_argument("--rgw", action="store_true",
                        help="also the same load against a Ceph RGW on the --ceph-conf cluster, "
                             "started by deploy/ceph-dev-cluster.sh rgw (kept running with it)")
    parser.add_argument("--other-endpoint", help="another S3 server host:port to compare with")
    parser.add_argument("--other-access-key",
                        default=os.environ.get("OTHER_ACCESS_KEY",
                                               os.environ.get("FSGATE_ACCESS_KEY", "")),
                        help="default $OTHER_ACCESS_KEY, else $FSGATE_ACCESS_KEY")
    parser.add_argument("--other-secret-key",
                        default=os.environ.get("OTHER_SECRET_KEY",
                                               os.environ.get("FSGATE_SECRET_KEY", "")),
                        help="default $OTHER_SECRET_KEY, else $FSGATE_SECRET_KEY")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="log every fsgate_load command on stderr")
    args = parser.parse_args()

    if args.only_list and (args.ceph_conf or not (args.list or args.list_flat)):
        parser.error("--only-list needs --list or --list-flat, and the posix backend")
    if args.rgw and (not args.ceph_conf or args.other_endpoint):
        parser.error("--rgw needs --ceph-conf (the cluster's) and no --other-endpoint")
    for path in (args.fsgate, args.load, args.null_server):
        if not os.access(path, os.X_OK):
            sys.exit(f"run_bench: {path} is not an executable (build it first)")

    print("command: " + shlex.join([sys.executable] + sys.argv))
    print(f"mode: {'quick' if args.quick else 'full'}; scratch {args.scratch}; "
          f"backend {'cephfs (' + args.ceph_conf + ')' if args.ceph_conf else 'posix'}; "
          f"{os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    sys.stdout.flush()

    try:
        run(args)
    except RuntimeError as e:
        sys.exit(f"run_bench: {e}")


def run(args):
    started = time.monotonic()
    if args.only_list:
        list_phase(args)
        print(f"\n(total {time.monotonic() - started:.0f} s)")
        return
    results = {}
    settles = []
    # Roots are removed only at the end: removing one server's hundred
    # thousand files just before the next server starts would hand that one a
    # filesystem busy with the deletion (ext4 skips recently freed inodes when
    # it allocates new ones), a handicap the first server did not have.
    finished = []
    reference = {}
    for label, durable in ((NULL, False), (DURABLE_NULL, True)):
        log(label)
        with NullServer(args.null_server, args.scratch, durable) as null:
            target = Target(null.endpoint, ACCESS_KEY, SECRET_KEY, pid=null.process.pid)
            reference[label] = workloads(args, target, args.verbose, trees=False)
    try:
        run_servers(args, results, settles, finished)
        # The same floor again after fsgate's phases: how steady the disk was between.
        log("durable null PUT c1 again")
        floor_after = durable_floor_put_c1(args)
    finally:
        for server in finished:
            server.remove_root()
    other = None
    if args.rgw:
        endpoint, access_key, secret_key = start_rgw(args.ceph_conf)
        log(f"rgw {endpoint}")
        rgw = Target(endpoint, access_key, secret_key)
        # A just-started RGW answers its first requests seconds late (measured:
        # the first PUT of a 2 s phase took 2-4 s, the whole c1 row), which
        # would be charged to the first row: a few PUTs first, not measured.
        run_load(args, rgw, "bench-rgw-warmup",
                 ["--create-bucket", "--op", "put", "--size", "4096", "--count", "20"],
                 args.verbose)
        other = workloads(args, rgw, args.verbose)
    elif args.other_endpoint:
        log(f"other endpoint {args.other_endpoint}")
        other = workloads(args, Target(args.other_endpoint, args.other_access_key,
                                       args.other_secret_key), args.verbose)
    print()
    print_table(results, other, "rgw" if args.rgw else "other")
    print_reference(results, reference, floor_after)
    if settles:
        print("\nbacklog applied before the next phase started (waits of 0.1 s or more):")
        for line in settles:
            print("  " + line)
    if args.idle_connections is None:
        args.idle_connections = 10000
    if args.idle_connections:
        log(f"connections phase, {args.idle_connections} idle")
        connections_phase(args, args.idle_connections)
    if args.list and args.ceph_conf:
        print("\n(no LIST phase on cephfs: its keys are written straight into a local root)")
    elif args.list or args.list_flat:
        log(f"list phase, {args.list} keys, flat {args.list_flat}")
        list_phase(args)
    if args.two_gateways:
        for fsync in (["on", "off"] if args.fsync == "both" else [args.fsync]):
            log(f"two gateways, fsync {fsync}")
            print_two_gateways(fsync, two_gateways(args, fsync))
    print(f"\n(total {time.monotonic() - started:.0f} s)")


def connections_phase(args, idle):
    """`idle` idle keep-alive connections held open (from 127.0.0.2, another
    client than the active ones) to one async fsgate while 16 clients GET
    4 KiB objects, beside the same 16 clients without them: what the server
    holds (peak RSS, descriptors, threads) and whether the active clients
    are still served at full speed."""
    get_s = PLANS["quick" if args.quick else "full"]["many"][1]
    # fsgate's defaults (1,024 connections, 256 per client, 6 descriptors
    # each) would refuse most of them: raised for this measurement only.
    flags = ["--max-connections", str(idle + 64), "--max-connections-per-client", str(idle),
             "--idle-timeout", "600"]
    open_files = (idle + 64) * 8 + 1024
    rows = []
    server = Server(args.fsgate, args.scratch, "async", "on", args.keep, args.ceph_conf,
                    flags=flags, open_files=open_files)
    try:
        target = Target(server.endpoint, ACCESS_KEY, SECRET_KEY, server)
        bucket = "bench-connections"
        common = ["--connections", "16", "--size", "4096", "--prefix", "k", "--dirs", "16"]
        run_load(args, target, bucket, common + ["--create-bucket", "--op", "put", "--count",
                                                 "1000"], args.verbose)
        for label, extra in (("without idle connections", []),
                             (f"with {idle:,} idle", ["--idle-connections", str(idle),
                                                      "--idle-from", "127.0.0.2"])):
            with PeakSize(server.process.pid) as peak:
                result = run_load(args, target, bucket, common + [
                    "--op", "get", "--keys", "1000", "--duration", str(get_s)] + extra,
                    args.verbose)
            rows.append((label, result.get("idle"), peak.peak, measure(target,
                                                                      result["phases"][0])))
        limits = process_open_file_limit(server.process.pid)
        server.log_file.flush()
        with open(server.log_path, "rb") as f:  # its start-up line gives the limit in force
            found = re.search(rb"max-connections=(\d+)", f.read(1 << 16))
    finally:
        server.stop()
        server.remove_root()
    print(f"\nconnections: {idle:,} idle keep-alive connections (one HeadBucket each, from "
          f"127.0.0.2) held while 16 clients GET 4 KiB for {get_s} s; one async fsgate, fsync on, "
          f"started with {' '.join(flags)} and open files {limits} (asked for {open_files:,}); "
          f"max-connections in force: {found.group(1).decode() if found else '?'}")
    header = ["", "held", "RSS MiB", "fds", "threads", "GET c16 ok/s", "p99 ms", "CPU us",
              "errors"]
    table = []
    for label, held, (rss, fds, threads), cell in rows:
        table.append([label, fmt(held["held"], ",d") if held else "0",
                      fmt(rss, ".0f"), fmt(fds, ",d"), fmt(threads, ",d"),
                      fmt(answered_ok_per_sec(cell), ".0f"), fmt(cell["p99"], ".3f"),
                      fmt(cell["cpu_us"], ".0f"), cell["errors"]])
    (_, _, base, base_cell), (_, held, size, cell) = rows
    count = held["held"] if held else 0
    if count and None not in base + size:
        table.append(["per idle connection", "",
                      f"{(size[0] - base[0]) * 1024 / count:.1f} KiB",
                      f"{(size[1] - base[1]) / count:.2f}", f"{(size[2] - base[2]) / count:.2f}",
                      ratio(answered_ok_per_sec(cell), answered_ok_per_sec(base_cell)), "", "",
                      ""])
    print_rows(header, table)
    if held:
        print(f"  opened in {held['open_seconds']:.1f} s; {held['held_at_end']:,} still open after "
              f"the GET phase" + (f"; first refused: {held['first_failure']}"
                                  if held["first_failure"] else ""))
    for label, _, _, c in rows:
        if c["errors"]:  # "transport": no answer, e.g. a connection refused at the limit
            print(f"  {label}: the 16 clients' statuses {c['status']}")


def answered_ok_per_sec(cell):
    """Requests per second that got a 2xx: a refused connection fails fast, and
    counting it as served would flatter a server that locks clients out."""
    return cell["ops_per_sec"] * (cell["ops"] - cell["errors"]) / cell["ops"] if cell["ops"] else 0


def process_open_file_limit(pid):
    """The soft open-file limit of a live process, as /proc/PID/limits says it."""
    try:
        with open(f"/proc/{pid}/limits") as f:
            for line in f:
                if line.startswith("Max open files"):
                    return line.split()[3]
    except OSError:
        pass
    return "?"


def populate(root, bucket, keys, per_dir):
    """`keys` empty files made straight in ROOT/bucket (the POSIX view: files
    made beside fsgate are objects too), `per_dir` to a directory, or all in
    one directory when per_dir is 0. Names of 17 bytes, a camera's. Empty: a
    byte of data would be a block to allocate and write back for each (4 GB
    for 1,000,000 files, 15 minutes for 650,000 on a busy disk), while a
    listing reads the same stat and xattrs of an empty file; each its own
    inode (not hard links of a few: the ETags listings keep are by inode)."""
    os.makedirs(os.path.join(root, bucket))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    for i in range(keys):
        rel = f"d{i // per_dir:05d}/IMG_{i:08d}.jpeg" if per_dir else f"IMG_{i:08d}.jpeg"
        path = os.path.join(root, bucket, rel)
        if per_dir and i % per_dir == 0:
            os.makedirs(os.path.dirname(path))
        os.close(os.open(path, flags, 0o644))


def list_phase(args):
    """ListObjectsV2 pages of 1,000 through one async fsgate, walking each
    bucket whole several times at 1 connection: nested (directories of 100),
    flat (one directory), and with --list-flat one large directory. The
    first walk alone (every directory read and sorted: its time, its first
    page's, the server's CPU a page), then the later walks: keys/s = pages/s x
    1,000, the medians of the first and last 10 pages of each walk, the CPU a
    page; the server's RSS and fsgate_list_cache_bytes after them."""
    layouts = []
    if args.list:
        layouts += [(f"{args.list:,} keys nested", "nested", args.list, 100),
                    (f"{args.list:,} keys flat", "flat", args.list, 0)]
    if args.list_flat:
        layouts.append((f"{args.list_flat:,} keys flat", "flat-large", args.list_flat, 0))
    walks = 3 if args.quick else 5
    rows = []
    server = Server(args.fsgate, args.scratch, "async", "on", args.keep)
    try:
        started = time.monotonic()
        for _, bucket, keys, per_dir in layouts:
            populate(server.root, bucket, keys, per_dir)
        log(f"  populated in {time.monotonic() - started:.0f} s")
        time.sleep(1.1)  # older than the listing keep's racy margin, as a settled tree is
        target = Target(server.endpoint, ACCESS_KEY, SECRET_KEY, server)
        for label, bucket, keys, per_dir in layouts:
            pages = (keys + 999) // 1000
            cells = []
            for count in (pages, pages * (walks - 1)):  # the first walk, then the later ones
                extra = ["--op", "list", "-c", "1", "--count", str(count),
                         "--prefix", "d" if per_dir else "IMG_"]
                phase = run_load(args, target, bucket, extra, args.verbose)["phases"][0]
                cell = measure(target, phase)
                cell["walks"] = phase.get("list_walks") or {}
                cell["seconds"] = phase["seconds"]
                cells.append(cell)
            cold, warm = cells
            warm["cold_walk_s"] = cold["seconds"]
            warm["cold_first_ms"] = cold["walks"].get("cold_first_ms")
            warm["cold_cpu_us"] = cold["cpu_us"]
            warm["rss_now"] = process_size(server.process.pid)[0]
            status, body = http_get(f"http://{server.metrics}/metrics")
            warm["cache_bytes"] = (parse_gauge(body, "fsgate_list_cache_bytes")
                                   if status == 200 else None)
            rows.append((label, warm))
    finally:
        server.stop()
        server.remove_root()  # its files, unless --keep
    print(f"\nLIST (1 connection, pages of 1,000, {walks} walks of each bucket, async fsgate, "
          f"fsync on; empty files made beside it)")
    header = ["workload", "keys/s", "first ms", "last ms", "p99 ms", "CPU ms/page",
              "1st walk s", "1st page ms", "1st CPU ms/page", "RSS MiB", "peak MiB",
              "cache MiB", "err"]
    table = []
    ms = lambda us: fmt(us / 1000 if us is not None else None, ".2f")
    for label, c in rows:
        w = c["walks"]
        table.append([label, f"{c['ops_per_sec'] * 1000:,.0f}", fmt(w.get("first_ms"), ".2f"),
                      fmt(w.get("last_ms"), ".2f"), fmt(c["p99"], ".1f"), ms(c["cpu_us"]),
                      fmt(c["cold_walk_s"], ".2f"), fmt(c["cold_first_ms"], ".1f"),
                      ms(c["cold_cpu_us"]), fmt(c["rss_now"], ".0f"), fmt(c["rss"], ".0f"),
                      fmt(c["cache_bytes"] / 1048576 if c["cache_bytes"] is not None else None,
                          ".1f"), c["errors"]])
    print_rows(header, table)
    print("  keys/s, first/last (medians of the first and last 10 pages of each walk), p99, "
          "CPU (the server's): the walks after the first; 1st: the first walk, every "
          "directory read and sorted, every ETag read; RSS after the walks, peak since start")


def run_servers(args, results, settles, finished):
    for fsync in (["on", "off"] if args.fsync == "both" else [args.fsync]):
        results[fsync] = {}
        for dirops in ("sync", "async"):
            log(f"fsync {fsync}, dirops {dirops}")
            with Server(args.fsgate, args.scratch, dirops, fsync, args.keep,
                        args.ceph_conf) as server:
                finished.append(server)
                if args.verbose:
                    log("  $ " + shlex.join(server.command))
                target = Target(server.endpoint, ACCESS_KEY, SECRET_KEY, server)
                results[fsync][dirops] = workloads(args, target, args.verbose)
                if target.settle_notes:
                    settles.append(f"fsync {fsync} {dirops}: " + ", ".join(target.settle_notes))


if __name__ == "__main__":
    main()
