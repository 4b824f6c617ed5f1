"""Randomized consistency check through the real gateway with the applier slowed down.

With --test-apply-delay-ms the overlay holds many pending creates and unlinks at any
time, so reads, heads and lists are answered while the filesystem lags behind. S3
promises strong read-after-write, read-after-delete, list-after-write and
list-after-delete for every key; the DESIGN promises the same with async dirops.

Each thread owns a few keys (so the expected state of each is exact) and checks every
promise after every operation; all threads also write a few shared keys, whose reads
must return one of the values ever written. Zero violations are allowed.
"""

import hashlib
import os
import random
import threading
import time

import pytest
from botocore.exceptions import ClientError

from cephfs_server import gateway_on
from fsgate_server import FsgateServer, posix_view

THREADS = 6
# Fewer on the dev CephFS, where an op costs several times what it does on posix.
OPS_PER_THREAD = {"posix": 250, "cephfs": 60}
SHARED_KEYS = ["shared/s0", "shared/s1", "shared/deep/s2"]


@pytest.fixture(scope="module")
def slow_server(request, backend):
    ceph_conf = backend[1]
    reader = request.getfixturevalue("reader") if ceph_conf else None
    with gateway_on(ceph_conf, reader, extra_args=["--test-apply-delay-ms", "20"]) as srv:
        yield srv


def etag(data):
    return '"' + hashlib.md5(data).hexdigest() + '"'


def status_of(e):
    return e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


class Checker:
    def __init__(self, srv, bucket, tid, shared_values, lock, seed, ops):
        self.s3 = srv.client()
        self.bucket = bucket
        self.tid = tid
        self.prefix = f"t{tid}/"
        # "f" and "f/g" cannot both exist (a file cannot be a directory): puts of the
        # one while the other exists must be refused with a 4xx.
        self.keys = [self.prefix + k for k in ("a", "b", "c/d", "c/e", "f", "f/g", "h/i/j")]
        self.model = {}
        self.shared_values = shared_values
        self.lock = lock
        self.rnd = random.Random(seed)
        self.violations = []
        self.ops = 0
        self.ops_per_thread = ops
        self.pending_seen = 0

    def fail(self, what):
        self.violations.append(f"thread {self.tid} op {self.ops}: {what}")

    def conflicts(self, key):
        if key == self.prefix + "f":
            return self.prefix + "f/g" in self.model
        if key == self.prefix + "f/g":
            return self.prefix + "f" in self.model
        return False

    # -- checks against the model ------------------------------------------------

    def check_get(self, key):
        want = self.model.get(key)
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as e:
            if want is not None or status_of(e) != 404:
                self.fail(f"GET {key}: {status_of(e)} {e.response['Error'].get('Code')}, want "
                          f"{'object' if want is not None else '404'}")
            return
        if want is None:
            self.fail(f"GET {key}: got {len(body)} bytes of a deleted/never-written key")
        elif body != want:
            self.fail(f"GET {key}: stale or wrong bytes ({len(body)} vs {len(want)})")

    def check_head(self, key):
        want = self.model.get(key)
        try:
            head = self.s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as e:
            if want is not None or status_of(e) != 404:
                self.fail(f"HEAD {key}: {status_of(e)}, want {'200' if want is not None else '404'}")
            return
        if want is None:
            self.fail(f"HEAD {key}: 200 for a deleted/never-written key")
        elif head["ETag"] != etag(want) or head["ContentLength"] != len(want):
            self.fail(f"HEAD {key}: ETag/size {head['ETag']}/{head['ContentLength']} want {etag(want)}/{len(want)}")

    def check_list(self):
        got = {}
        token = None
        while True:
            args = {"Bucket": self.bucket, "Prefix": self.prefix, "MaxKeys": self.rnd.choice([2, 1000])}
            if token:
                args["ContinuationToken"] = token
            resp = self.s3.list_objects_v2(**args)
            for o in resp.get("Contents", []):
                got[o["Key"]] = o["ETag"]
            if not resp["IsTruncated"]:
                break
            token = resp["NextContinuationToken"]
        want = {k: etag(v) for k, v in self.model.items()}
        if got != want:
            self.fail(f"LIST {self.prefix}: extra {sorted(set(got) - set(want))} missing "
                      f"{sorted(set(want) - set(got))} stale {sorted(k for k in got if k in want and got[k] != want[k])}")
        # The delimiter view agrees: a directory shows iff something lives under it.
        resp = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, Delimiter="/")
        got_prefixes = {p["Prefix"] for p in resp.get("CommonPrefixes", [])}
        want_prefixes = {self.prefix + k[len(self.prefix):].split("/")[0] + "/"
                         for k in self.model if "/" in k[len(self.prefix):]}
        if got_prefixes != want_prefixes:
            self.fail(f"LIST {self.prefix} delimiter: prefixes {sorted(got_prefixes)} want {sorted(want_prefixes)}")

    def check_shared(self, key):
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as e:
            self.fail(f"GET shared {key}: {status_of(e)} (shared keys are never deleted)")
            return
        with self.lock:
            ok = body in self.shared_values[key]
        if not ok:
            self.fail(f"GET shared {key}: a value nobody wrote ({len(body)} bytes)")

    # -- operations ----------------------------------------------------------------

    def put(self, key):
        data = f"{key}#{self.ops}#".encode() + self.rnd.randbytes(self.rnd.choice([0, 10, 1000, 5000, 70000]))
        try:
            resp = self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
        except ClientError as e:
            if self.conflicts(key) and 400 <= status_of(e) < 500:
                return
            self.fail(f"PUT {key}: {status_of(e)} {e.response['Error'].get('Code')}"
                      f"{' (conflict expected)' if self.conflicts(key) else ''}")
            return
        if self.conflicts(key):
            self.fail(f"PUT {key}: accepted although a file/directory conflict exists")
        if resp["ETag"] != etag(data):
            self.fail(f"PUT {key}: ETag {resp['ETag']} want {etag(data)}")
        self.model[key] = data

    def delete(self, key):
        try:
            resp = self.s3.delete_object(Bucket=self.bucket, Key=key)
        except ClientError as e:
            self.fail(f"DELETE {key}: {status_of(e)}")
            return
        if resp["ResponseMetadata"]["HTTPStatusCode"] != 204:
            self.fail(f"DELETE {key}: status {resp['ResponseMetadata']['HTTPStatusCode']}")
        self.model.pop(key, None)

    def put_shared(self, key):
        data = f"{key} by t{self.tid} op {self.ops}".encode()
        with self.lock:
            self.shared_values[key].add(data)  # before sending: a concurrent reader may see it
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
        self.check_shared(key)

    def run(self):
        try:
            for self.ops in range(self.ops_per_thread):
                key = self.rnd.choice(self.keys)
                r = self.rnd.random()
                if r < 0.35:
                    self.put(key)
                    self.check_get(key)
                    self.check_list()
                elif r < 0.6:
                    self.delete(key)
                    self.check_get(key)
                    self.check_head(key)
                    self.check_list()
                elif r < 0.7:
                    self.check_get(key)
                elif r < 0.8:
                    self.check_head(key)
                elif r < 0.88:
                    self.check_list()
                elif r < 0.94:
                    self.put_shared(self.rnd.choice(SHARED_KEYS))
                else:
                    self.check_shared(self.rnd.choice(SHARED_KEYS))
        except Exception as e:  # an unexpected exception is a violation, not a crash of the checker
            self.fail(f"exception: {type(e).__name__}: {e}")


def run_round(srv, bucket, seed, ops, models=None):
    lock = threading.Lock()
    s3 = srv.client()
    shared_values = {}
    for key in SHARED_KEYS:
        init = f"{key} initial {seed}".encode()
        s3.put_object(Bucket=bucket, Key=key, Body=init)
        shared_values[key] = {init}
    checkers = [Checker(srv, bucket, t, shared_values, lock, seed * 1000 + t, ops) for t in range(THREADS)]
    if models:
        for c in checkers:
            c.model = dict(models[c.tid])
    violations, pending_max = run_checkers(srv, checkers)
    return checkers, violations, pending_max, shared_values


def run_checkers(srv, checkers):
    """Each checker's run() in its own thread; returns their violations and the most
    answered-but-unapplied ops seen meanwhile."""
    threads = [threading.Thread(target=c.run) for c in checkers]
    pending_max = 0
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        pending_max = max(pending_max, srv.async_pending())
        time.sleep(0.05)
    for t in threads:
        t.join()
    return [v for c in checkers for v in c.violations], pending_max


def test_randomized_consistency_with_slow_applier(slow_server, backend):
    srv = slow_server
    ops = OPS_PER_THREAD[backend[0]]
    s3 = srv.client()
    bucket = "consistency"
    s3.create_bucket(Bucket=bucket)
    checkers, violations, pending_max, shared_values = run_round(srv, bucket, seed=1, ops=ops)
    assert not violations, f"{len(violations)} consistency violations:\n" + "\n".join(violations[:30])
    # The test is only meaningful if the applier really lagged behind the answers.
    assert pending_max > 0, "the applier never lagged: --test-apply-delay-ms had no visible effect"

    # Once drained, the filesystem holds exactly what S3 serves.
    expected = {}
    for c in checkers:
        expected.update(c.model)
    for key in SHARED_KEYS:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert body in shared_values[key]
        expected[key] = body
    srv.wait_posix_view(bucket, expected, timeout=60)

    # A clean restart keeps every answered state; a second round continues on it.
    srv.restart()
    for c in checkers:
        c.s3 = srv.client()
        for key in c.keys:
            c.check_get(key)
        c.check_list()
        assert not c.violations, c.violations
    models = {c.tid: c.model for c in checkers}
    checkers, violations, _, _ = run_round(srv, bucket, seed=2, ops=ops, models=models)
    assert not violations, f"{len(violations)} violations after restart:\n" + "\n".join(violations[:30])


def test_sigterm_drains_pending_ops():
    """SIGTERM with many answered-but-unapplied ops: exit 0, and the filesystem already
    holds every answered state when the process is gone."""
    srv = FsgateServer(extra_args=["--test-apply-delay-ms", "50"])
    try:
        srv.start()
        s3 = srv.client()
        s3.create_bucket(Bucket="drain")
        expected = {}
        lock = threading.Lock()

        def work(t):
            rnd = random.Random(t)
            for i in range(30):
                key = f"w{t}/{rnd.choice(['a', 'b', 'c/d', 'e/f/g'])}"
                if rnd.random() < 0.3:
                    s3.delete_object(Bucket="drain", Key=key)
                    with lock:
                        expected.pop(key, None)
                else:
                    body = f"{key} {i}".encode()
                    s3.put_object(Bucket="drain", Key=key, Body=body)
                    with lock:
                        expected[key] = body

        threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        pending = srv.async_pending()
        srv.stop()  # asserts exit code 0
        files, empty_dirs = posix_view(os.path.join(srv.root, "drain"))
        assert files == expected, "SIGTERM exited before the applier drained"
        assert not empty_dirs
        assert pending > 0, "the applier never lagged: --test-apply-delay-ms had no visible effect"
        srv.start()
        s3 = srv.client()
        listed = {o["Key"]: o["ETag"] for o in s3.list_objects_v2(Bucket="drain").get("Contents", [])}
        assert listed == {k: etag(v) for k, v in expected.items()}
    finally:
        srv.cleanup()
