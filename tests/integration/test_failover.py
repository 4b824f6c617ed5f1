"""Failover: a surviving gateway adopts the journal of one killed with answered ops pending.

Gateways with their own --gateway-id serve one posix root. Gateway a answers
PUTs and DELETEs (inline and streamed bodies, DeleteObjects) and is killed -9
with some of them not yet applied; the survivor b finds a's lock free, replays
a's journal, and then serves every op a answered (GET, HEAD, LIST, and the
POSIX view). a restarted with its id replays nothing twice and keeps answering.
A restart of a while b adopts it waits for the adoption; two survivors racing
adopt a journal once; a gateway that is running is never adopted.
"""

import hashlib
import os
import sys
import threading
import time

from fsgate_server import FsgateServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crash"))

import crash_check  # noqa: E402

BUCKET = "failover"


def gateway(root, gid, *extra):
    return FsgateServer(root=root, extra_args=["--gateway-id", gid, *extra])


def answered_then_killed(a):
    """PUTs (inline and streamed) and DELETEs answered by `a` under a slow applier, then
    kill -9: {key: md5 or None}, most of it still only in a's journal."""
    s3 = a.client()
    s3.create_bucket(Bucket=BUCKET)
    want = {}
    for i in range(24):
        key = f"d{i % 3}/k{i}" if i % 2 else f"k{i}"
        body = os.urandom(300 if i % 3 else 200 * 1024)  # inline, and a staged file
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        want[key] = hashlib.md5(body).hexdigest()
    for key in ["k0", "d1/k1"]:
        s3.delete_object(Bucket=BUCKET, Key=key)
        want[key] = None
    s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "k2"}, {"Key": "d2/k5"}]})
    want["k2"] = want["d2/k5"] = None
    assert a.async_pending() > 0, "the applier kept up: nothing left for an adoption"
    a.kill9()
    return want


def serves(srv, want):
    """Does `srv` serve exactly `want` through HEAD, GET and LIST?"""
    s3 = srv.client()
    for key, md5 in want.items():
        head = srv.raw("HEAD", f"/{BUCKET}/{key}").status
        if head != (404 if md5 is None else 200):
            return False
        if md5 is not None:
            if hashlib.md5(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()).hexdigest() != md5:
                return False
    listed = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    return listed == {k for k, v in want.items() if v is not None}


def adopted(srv):
    return srv.metric_sum("fsgate_journals_adopted_total")


def lock_note(root, gid):
    with open(os.path.join(root, ".fsgate", "gw", gid, "lock")) as f:
        return f.read()


def start_log(srv):
    """srv's log since its last start."""
    with open(srv.log_path, errors="replace") as f:
        return f.read().rsplit("===== start #", 1)[-1]


def test_survivor_serves_every_op_a_killed_gateway_answered(backend):
    """Storms through a, kill -9, every answered op through b (crash_check, 2 gateways):
    3 cycles on posix, 2 on CephFS (~35 s each, until the MDS evicts a's session)."""
    name, ceph_conf = backend
    violations = crash_check.run(cycles={"posix": 3, "cephfs": 2}[name], gateways=2,
                                 ceph_conf=ceph_conf)
    assert not violations, f"{len(violations)} violations:\n" + "\n".join(violations[:40])


def test_restart_waits_for_the_adoption_under_way(tmp_path):
    root = str(tmp_path)
    a = gateway(root, "a", "--test-apply-delay-ms", "500")
    # b's first link of an adopted create into the bucket takes 3 s.
    b = gateway(root, "b", "--test-fault", f"rename:delay=3000:path={BUCKET}/:count=1")
    try:
        a.start()
        want = answered_then_killed(a)
        b_started = threading.Thread(target=b.start)
        b_started.start()
        deadline = time.monotonic() + 20
        while not lock_note(root, "a").startswith("adopting for gateway b"):
            assert time.monotonic() < deadline, "b never took a's lock to adopt it"
            time.sleep(0.02)
        a.extra_args = ["--gateway-id", "a"]
        a.start()  # waits for b's adoption, then starts
        b_started.join()
        assert b.proc is not None, b.log_tail()
        log = start_log(a)
        assert "a survivor is replaying this gateway's journal (adopting for gateway b" in log, log
        assert "this gateway's journal was adopted (by gateway b)" in log, log
        assert "intent journal: replayed" not in log, log
        assert adopted(b) == 1
        assert serves(a, want) and serves(b, want)
        # a answers again, and its new ops are seen by b once a is gone again.
        a.client().put_object(Bucket=BUCKET, Key="k0", Body=b"after the restart")
        want["k0"] = hashlib.md5(b"after the restart").hexdigest()
        a.stop()
        assert serves(b, want)
        b.stop()
    finally:
        b.cleanup()
        a.cleanup()


def test_two_survivors_racing_adopt_a_journal_once(tmp_path):
    root = str(tmp_path)
    a = gateway(root, "a", "--test-apply-delay-ms", "500")
    survivors = [gateway(root, "b"), gateway(root, "c")]
    try:
        a.start()
        want = answered_then_killed(a)
        starts = [threading.Thread(target=s.start) for s in survivors]
        for t in starts:
            t.start()
        for t in starts:
            t.join()
        assert all(s.proc is not None for s in survivors)
        # Each adopts before it serves: one took a's lock, the other found it held or
        # the journal marked adopted, and no later pass adopts it again.
        assert sum(adopted(s) for s in survivors) == 1
        with open(os.path.join(root, ".fsgate", "gw", "a", "adopted")) as f:
            assert f.read() in ("by gateway b\n", "by gateway c\n")
        for s in survivors:
            assert serves(s, want)
            s.stop()
    finally:
        for s in survivors:
            s.cleanup()
        a.cleanup()


def test_a_running_gateway_is_never_adopted(tmp_path):
    root = str(tmp_path)
    a = gateway(root, "a", "--test-apply-delay-ms", "300")
    b = gateway(root, "b")
    try:
        a.start()
        s3 = a.client()
        s3.create_bucket(Bucket=BUCKET)
        for i in range(10):
            s3.put_object(Bucket=BUCKET, Key=f"k{i}", Body=b"x" * i)
        assert a.async_pending() > 0
        b.start()  # its first pass ran before it served
        assert adopted(b) == 0
        assert not os.path.exists(os.path.join(root, ".fsgate", "gw", "a", "adopted"))
        assert lock_note(root, "a").startswith(f"pid {a.proc.pid} ")
        # a keeps its journal and applies it itself.
        a.wait_drained()
        a.stop()
        b.stop()
        assert "intent journal: replayed" not in start_log(b)
    finally:
        b.cleanup()
        a.cleanup()
