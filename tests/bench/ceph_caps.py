#!/usr/bin/python3
"""What bucket caps cost on CephFS: the holder's idle MDS load and the
cross-gateway wait.

Starts two async gateways, a and b, on one fresh directory of the CephFS of
--ceph-conf (as run_bench.py's --two-gateways does), then:

  - idle load: a takes --buckets buckets exclusive (one PUT each), then
    nothing happens for --idle seconds; the MDS's client requests over that
    time (`ceph daemon mds.X perf dump`: mds_server handle_client_request),
    per second. Before, with a only (no other client of the cluster busy), as
    the number to read; a's own libcephfs client's MDS requests too.
  - cross-gateway wait: for each of --rounds fresh buckets, a 4 KiB PUT
    answered by a (async: a holds the bucket exclusive, the object may still
    be pending in its overlay), then at once a GET of it through b, which must
    return the PUT's bytes: the GET's time (b asks, a drains the bucket and
    downgrades, b reads from the filesystem) against a GET through b of a
    bucket it already shares. p50/p99/max.

A measurement, not a test: nothing here asserts a number.

  tests/bench/ceph_caps.py build/gateway/fsgate --ceph-conf DIR/ceph.conf
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ceph_round_trips  # noqa: E402  (daemon_perf, client_socket, count)
import run_bench  # noqa: E402  (Server, ACCESS_KEY, SECRET_KEY)


def s3(server):
    return boto3.client("s3", endpoint_url=f"http://{server.endpoint}", region_name="us-east-1",
                        aws_access_key_id=run_bench.ACCESS_KEY,
                        aws_secret_access_key=run_bench.SECRET_KEY,
                        config=Config(retries={"max_attempts": 0}, read_timeout=60))


def mds_requests(ceph_conf, mds):
    server = ceph_round_trips.daemon_perf(ceph_conf, mds)["mds_server"]
    return ceph_round_trips.count(server["handle_client_request"])


def client_requests(ceph_conf, pid):
    socket = ceph_round_trips.client_socket(ceph_conf, pid)
    return ceph_round_trips.count(ceph_round_trips.daemon_perf(ceph_conf, socket)["client"]["reply"])


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def line(name, ms):
    return (f"{name:<34} n={len(ms):<4} p50 {percentile(ms, 50):7.2f} ms  "
            f"p99 {percentile(ms, 99):7.2f} ms  max {max(ms):7.2f} ms  "
            f"mean {statistics.mean(ms):7.2f} ms")


def idle_load(args, a, client):
    for i in range(args.buckets):
        bucket = f"idle-{i}"
        client.create_bucket(Bucket=bucket)
        client.put_object(Bucket=bucket, Key="k", Body=b"x" * 4096)
    a.settle()
    time.sleep(2)  # the staging pool's refill and the MDS's log flush
    mds0, own0, t0 = mds_requests(args.ceph_conf, args.mds), \
        client_requests(args.ceph_conf, a.process.pid), time.monotonic()
    time.sleep(args.idle)
    mds1, own1, t1 = mds_requests(args.ceph_conf, args.mds), \
        client_requests(args.ceph_conf, a.process.pid), time.monotonic()
    seconds = t1 - t0
    print(f"idle, {args.buckets} buckets held exclusive by one gateway, {seconds:.1f} s: "
          f"MDS {(mds1 - mds0) / seconds:.1f} client requests/s, "
          f"the gateway's client {(own1 - own0) / seconds:.1f} MDS requests/s", flush=True)


def cross_gateway_wait(args, ca, cb):
    body = os.urandom(4096)
    revoked, plain = [], []
    ca.create_bucket(Bucket="shared")
    ca.put_object(Bucket="shared", Key="k", Body=body)
    cb.get_object(Bucket="shared", Key="k")["Body"].read()  # b shares it from now on
    for i in range(args.rounds):
        bucket = f"wait-{i}"
        ca.create_bucket(Bucket=bucket)
        ca.put_object(Bucket=bucket, Key="first", Body=body)  # a takes the bucket exclusive
        ca.put_object(Bucket=bucket, Key="k", Body=body)
        started = time.monotonic()
        got = cb.get_object(Bucket=bucket, Key="k")["Body"].read()
        revoked.append((time.monotonic() - started) * 1e3)
        if got != body:
            raise SystemExit(f"{bucket}/k through b: {len(got)} bytes, not what a answered")
        started = time.monotonic()
        cb.get_object(Bucket="shared", Key="k")["Body"].read()
        plain.append((time.monotonic() - started) * 1e3)
    print(line("GET through b, a holding (revoke)", revoked))
    print(line("GET through b, bucket shared", plain), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fsgate")
    parser.add_argument("--ceph-conf", required=True)
    parser.add_argument("--mds", default="mds.a", help="the MDS's daemon name (dev cluster: mds.a)")
    parser.add_argument("--buckets", type=int, default=6)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--scratch", default=tempfile.gettempdir())
    parser.add_argument("--keep", action="store_true", help="keep the servers' logs (debug level)")
    args = parser.parse_args()
    flags = ["--log-level", "debug"] if args.keep else []
    with run_bench.Server(args.fsgate, args.scratch, "async", "on", args.keep, args.ceph_conf,
                          "gw-a", flags=flags) as a:
        ca = s3(a)
        idle_load(args, a, ca)
        with run_bench.Server(args.fsgate, args.scratch, "async", "on", args.keep, args.ceph_conf,
                              "gw-b", share_root_of=a, flags=flags) as b:
            cross_gateway_wait(args, ca, s3(b))
    a.remove_root()
    if args.keep:
        print(f"logs: {a.log_path} {b.log_path}")


if __name__ == "__main__":
    main()
