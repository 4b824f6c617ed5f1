#!/usr/bin/python3
"""Where a CephFS PUT's (and DELETE's) time goes: cluster round trips per op.

Starts one fsgate per --dirops mode on a fresh directory of the CephFS of
--ceph-conf (as run_bench.py does), writes --count 4 KiB objects at one
connection, reads them (10 GETs each), then deletes them, and reads the
counters Ceph itself keeps, before and after each phase:

  - the MDS's requests by kind (`ceph daemon mds.X perf dump mds_server`:
    create, rename, setxattr, lookup, getattr, ...) and its client-session
    messages (a "flush mdlog" asked by a directory fsync);
  - the MDS's cap messages: those clients sent it, its grants and revokes;
  - fsgate's own libcephfs client (its admin socket, `perf dump`): MDS
    requests sent, fsyncs, OSD operations (objecter op_w / op_r), and every
    message it sent or received.

Before each phase it waits until the MDS gets no cap message for 2 s, so the
cap releases of the work before it (the staging pool's fill at start:
thousands, 5 s after the creates) are not counted against its ops.

"answered" is counted when the phase's last op was answered, "all" once the
applier and the staging pool's refill are done: in async mode the difference
is the work left behind the answers. Divided by the number of operations.

A measurement, not a test: nothing here asserts a number.

  tests/bench/ceph_round_trips.py build/gateway/fsgate --ceph-conf DIR/ceph.conf
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_bench  # noqa: E402  (Server, Target, run_load)

BUCKET = "round-trips"


def daemon_perf(ceph_conf, socket_or_name):
    done = subprocess.run(["ceph", "--conf", ceph_conf, "daemon", socket_or_name, "perf", "dump"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"perf dump of {socket_or_name}: {done.stderr.strip()}")
    return json.loads(done.stdout)


def count(value):
    return value["avgcount"] if isinstance(value, dict) else value


def client_socket(ceph_conf, pid):
    """The admin socket of the libcephfs client in process `pid` (the dev
    cluster's ceph.conf names them run/client.<id>.<pid>.<cctid>.asok)."""
    run_dir = os.path.join(os.path.dirname(os.path.abspath(ceph_conf)), "run")
    found = glob.glob(os.path.join(run_dir, f"client.*.{pid}.*.asok"))
    if len(found) != 1:
        raise RuntimeError(f"expected one client admin socket of pid {pid} in {run_dir}: {found}")
    return found[0]


def snapshot(ceph_conf, mds, client):
    """{counter: value} of the MDS's requests and fsgate's client."""
    out = {}
    mds_perf = daemon_perf(ceph_conf, mds)
    server = mds_perf["mds_server"]
    for name, value in server.items():
        if name.startswith("req_") and name.endswith("_latency"):
            kind = name[len("req_"):-len("_latency")]
            out["mds " + kind] = count(value)
            out["mds " + kind + " s"] = value["sum"]
    out["mds session msgs"] = count(server["handle_client_session"])
    # Cap messages: not requests, but each is a message both ways and MDS work
    # (a client's cap update or flush; the MDS's grants and revokes).
    mds = mds_perf["mds"]
    out["mds cap msgs in"] = count(mds["handle_client_caps"])
    out["mds cap grants"] = count(mds["ceph_cap_op_grant"])
    out["mds cap revokes"] = count(mds["ceph_cap_op_revoke"])
    perf = daemon_perf(ceph_conf, client)
    out["client mds requests"] = count(perf["client"]["reply"])
    out["client fsyncs"] = count(perf["client"]["fsync"])
    out["client osd writes"] = count(perf["objecter"]["op_w"])
    out["client osd reads"] = count(perf["objecter"]["op_r"])
    # Every message this client sent or received (MDS, OSDs, monitors):
    # caps and session traffic included, which no request counter shows.
    workers = [v for k, v in perf.items() if k.startswith("AsyncMessenger::Worker")]
    out["client msgs sent"] = sum(w["msgr_send_messages"] for w in workers)
    out["client msgs received"] = sum(w["msgr_recv_messages"] for w in workers)
    # Sums of seconds, for the averages below.
    out["fsync s"] = perf["client"]["fsync"]["sum"]
    out["mds request s"] = perf["client"]["reply"]["sum"]
    return out


def per_op(before, after, ops):
    delta = {k: after[k] - before.get(k, 0) for k in after}
    out = {k: v / ops for k, v in delta.items() if v > 0 and not k.endswith(" s")}
    # Mean latency of one call, as libcephfs measured it.
    if delta["client fsyncs"]:
        out["ms per client fsync"] = 1000 * delta["fsync s"] / delta["client fsyncs"]
    for name in list(out):
        if name.startswith("mds ") and delta.get(name + " s"):
            out["ms per " + name] = 1000 * delta[name + " s"] / delta[name]
    if delta["client mds requests"]:
        out["ms per mds request"] = 1000 * delta["mds request s"] / delta["client mds requests"]
    return out


def wait_pool_full(server, steady_s=3.0, timeout=300.0):
    """Until the staging pool's level has stopped moving for `steady_s`: a new
    gateway fills it at start (thousands of MDS creates, which would be
    counted against the PUTs otherwise)."""
    deadline = time.monotonic() + timeout
    level, since = server.pool_level(), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < steady_s:
        time.sleep(0.2)
        now = server.pool_level()
        if now != level:
            level, since = now, time.monotonic()


def let_releases_pass(args, steady_s=2.0, timeout=60.0):
    """Waits until the MDS has had no cap message for `steady_s`: the staging
    pool's fill at start sends its cap releases in a burst a few seconds
    after its creates (client_caps_release_delay, 5 s by default), which
    would count against the next phase's ops (~10 per PUT of 300 before
    this wait). A release the client holds back longer (fsgate asks for 60 s)
    may still land in a later phase of a long run."""
    deadline = time.monotonic() + timeout
    seen, since = None, time.monotonic()
    while time.monotonic() - since < steady_s and time.monotonic() < deadline:
        time.sleep(0.25)
        now = count(daemon_perf(args.ceph_conf, args.mds)["mds"]["handle_client_caps"])
        if now != seen:
            seen, since = now, time.monotonic()


def counted_phase(args, server, client, extra):
    """One fsgate_load phase at 1 connection, with the counters per op once
    its last op was answered and once everything it left was applied."""
    before = snapshot(args.ceph_conf, args.mds, client)
    done = subprocess.run(
        [args.load, "--endpoint", server.endpoint, "--bucket", BUCKET, "--json",
         "--connections", "1", "--size", "4096", "--dirs", "16", "--prefix", "k"] + extra,
        env=dict(os.environ, FSGATE_ACCESS_KEY=run_bench.ACCESS_KEY,
                 FSGATE_SECRET_KEY=run_bench.SECRET_KEY),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True)
    answered = snapshot(args.ceph_conf, args.mds, client)
    phase = json.loads(done.stdout)["phases"][0]
    server.settle()
    applied = snapshot(args.ceph_conf, args.mds, client)
    ops = phase["all"]["ops"]
    if phase["all"]["errors"]:
        raise RuntimeError(f"{extra}: {phase['all']['errors']} errors, statuses "
                           f"{phase['all']['status']}")
    return {
        "ops_per_sec": phase["all"]["ops_per_sec"],
        "p50": phase["all"]["latency_ms"]["p50"],
        "answered": per_op(before, answered, ops),
        "all": per_op(before, applied, ops),
    }


def measure(args, dirops):
    """{"PUT": phase, "DELETE": phase} of one fresh fsgate in `dirops` mode."""
    with run_bench.Server(args.fsgate, args.scratch, dirops, "on", False,
                          args.ceph_conf) as server:
        target = run_bench.Target(server.endpoint, run_bench.ACCESS_KEY, run_bench.SECRET_KEY,
                                  server)
        client = client_socket(args.ceph_conf, server.process.pid)
        # Warm up: the bucket, its 16 directories, the staging pool.
        run_bench.run_load(args, target, BUCKET,
                           ["--connections", "1", "--size", "4096", "--dirs", "16",
                            "--create-bucket", "--op", "put", "--prefix", "w", "--count", "64"],
                           False)
        wait_pool_full(server)
        count = str(args.count)
        let_releases_pass(args)
        put = counted_phase(args, server, client, ["--op", "put", "--count", count])
        let_releases_pass(args)
        get = counted_phase(args, server, client,
                            ["--op", "get", "--keys", count, "--count", str(10 * args.count)])
        let_releases_pass(args)
        return {
            "PUT": put,
            "GET": get,
            "DELETE": counted_phase(args, server, client,
                                    ["--op", "delete", "--keys", count, "--count", count]),
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("fsgate", nargs="?", default="./build/gateway/fsgate")
    parser.add_argument("--load", default="./build/tests/bench/fsgate_load")
    parser.add_argument("--ceph-conf", required=True)
    parser.add_argument("--mds", default="mds.a", help="the MDS daemon (its admin socket)")
    parser.add_argument("--count", type=int, default=1000,
                        help="PUTs (then 10 GETs each, then DELETEs) per mode")
    parser.add_argument("--scratch", default="/tmp")
    parser.add_argument("--modes", default="sync,async")
    args = parser.parse_args()
    results = {mode: measure(args, mode) for mode in args.modes.split(",")}
    print("command: " + " ".join(sys.argv))
    for op in ("PUT", "GET", "DELETE"):
        cells = {mode: r[op] for mode, r in results.items()}
        names = sorted({k for c in cells.values() for k in c["all"]})
        columns = [(mode, part) for mode in cells for part in ("answered", "all")]
        ops = args.count * (10 if op == "GET" else 1)
        print(f"\nper 4 KiB {op}, 1 connection, fsync on, {ops} {op}s")
        print(f"{'':28}" + "".join(f"{m + ' ' + p:>16}" for m, p in columns))
        for name in names:
            print(f"{name:28}" + "".join(f"{cells[m][p].get(name, 0):>16.2f}" for m, p in columns))
        for mode, c in cells.items():
            print(f"{mode}: {c['ops_per_sec']:.0f} {op}/s, p50 {c['p50']:.2f} ms")


if __name__ == "__main__":
    main()
