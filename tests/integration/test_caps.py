"""Two and three gateways on one root: bucket caps keep every answer visible through all.

Two real fsgate processes with async dirops serve one root — a posix
directory, and a directory of a CephFS (conftest.py's dev cluster) — with
different --gateway-id. Whatever one answered (PUT, DELETE) the other must
show at once to GET, HEAD and LIST: the one holding a bucket's exclusive cap
drains it and goes shared when the other asks (the revoke), a bucket both
keep writing stays shared (every op sync), and it goes back to exclusive
once only one gateway uses it.
"""

import contextlib
import hashlib
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from cephfs_server import BACKENDS, RESTART_READY_TIMEOUT
from fsgate_server import FsgateServer


def gateway(gid, backend_args, root=None, like=None):
    srv = FsgateServer(root=root, extra_args=["--gateway-id", gid, *backend_args])
    if backend_args:
        # A start on the dev CephFS took over 30 s once in a full CTest run, with
        # nothing logged past the configuration (the mount or the --ceph-root),
        # as a start does while the MDS still holds a session of a gateway
        # another test killed -9 (~39 s): the restart's timeout.
        srv.ready_timeout = RESTART_READY_TIMEOUT
    if like is not None:  # one user for both: the same buckets, the same owner
        srv.access_key, srv.secret_key = like.access_key, like.secret_key
    return srv


# Fewer ops on the dev CephFS: there the first look by one client at a file
# another client just made waits for the MDS to journal the writer's update
# (fs/mds_log_nudge.h asks for it after 10 ms: ~7-12 ms per file, where an
# idle MDS's 5 s tick made a LIST of 300 such files take over 30 s), and a
# random op costs far more than the ~15 ms it does on posix.
SCALE = {"posix": {"random_ops": 240, "burst": 300}, "cephfs": {"random_ops": 64, "burst": 40}}


@contextlib.contextmanager
def gateways_on_one_root(request, count):
    """`count` async gateways (gw-a, gw-b, ...) on one root of the backend
    `request.param`, one user for all, their staging pools filled."""
    backend_args = []
    if request.param == "cephfs":
        backend_args = ["--backend", "cephfs", "--ceph-conf", request.getfixturevalue("ceph_conf"),
                        "--ceph-root", f"/caps-{uuid.uuid4().hex[:8]}"]
    with contextlib.ExitStack() as stack:
        first = stack.enter_context(gateway("gw-a", backend_args))
        servers = [first] + [stack.enter_context(gateway(f"gw-{chr(ord('a') + i)}", backend_args,
                                                         root=first.root, like=first))
                             for i in range(1, count)]
        wait_pools_filled(*servers)
        for srv in servers:
            srv.scale = SCALE[request.param]
        yield tuple(servers)


@pytest.fixture(scope="module", params=BACKENDS)
def pair(request):
    with gateways_on_one_root(request, 2) as servers:
        yield servers


@pytest.fixture(scope="module", params=BACKENDS)
def trio(request):
    with gateways_on_one_root(request, 3) as servers:
        yield servers


def wait_pools_filled(*servers, timeout=120.0):
    """Until the staging pools stop growing: on the dev CephFS their first fill
    (thousands of creates on one MDS) would slow every op the tests time."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        now = [srv.metric_sum("fsgate_delegated_inodes_available") for srv in servers]
        if now == last and all(n > 0 for n in now):
            return
        assert time.monotonic() < deadline, f"staging pools still filling: {now}"
        last = now
        time.sleep(1.0)


def new_bucket(srv):
    name = f"caps-{uuid.uuid4().hex[:10]}"
    srv.client().create_bucket(Bucket=name)
    return name


def seen(srv, bucket, key):
    """What `srv` answers for `key`: (GET body or None, HEAD status, listed?)."""
    get = srv.raw("GET", f"/{bucket}/{key}")
    head = srv.raw("HEAD", f"/{bucket}/{key}")
    listed = srv.raw("GET", f"/{bucket}", query={"list-type": "2", "prefix": key})
    assert listed.status == 200, listed
    in_list = f"<Key>{key}</Key>".encode() in listed.body
    return (get.body if get.status == 200 else None), head.status, in_list


def check(srv, bucket, key, want, violations, what):
    body, head, listed = seen(srv, bucket, key)
    expect = (want, 200 if want is not None else 404, want is not None)
    got = (body, head, listed)
    if got != expect:
        def short(t):
            return (None if t[0] is None else hashlib.md5(t[0]).hexdigest()[:8], t[1], t[2])
        violations.append(f"{what}: {bucket}/{key} got {short(got)} want {short(expect)}")


def metric(srv, name, **labels):
    return srv.metric_sum(name, **labels)


def storm(servers, seed):
    """Rounds of 8 PUT/DELETEs on distinct keys, sent at once through one
    gateway (so that it holds buckets exclusive, its applier behind), each op
    read through every other gateway as soon as it is answered; the writer
    rotates. Returns the violations."""
    rng = random.Random(seed)
    buckets = [new_bucket(servers[0]) for _ in range(3)]
    model = {}
    violations = []

    def write_then_read(writer, readers, bucket, key, body, what):
        if body is None:
            ok = writer.raw("DELETE", f"/{bucket}/{key}").status == 204
        else:
            ok = writer.raw("PUT", f"/{bucket}/{key}", body=body).status == 200
        for name, reader in readers:
            check(reader, bucket, key, body, violations, f"{what} through {name}")
        return ok

    names = "abcdefgh"
    with ThreadPoolExecutor(8) as pool:
        for round_ in range(servers[0].scale["random_ops"] // 8):
            w = round_ % len(servers)
            writer = servers[w]
            # The readers in a different order each round: which one asks first
            # (and so makes the writer drain) varies.
            readers = [(names[i], srv) for i, srv in enumerate(servers) if i != w]
            rng.shuffle(readers)
            ops = {}
            while len(ops) < 8:
                key = (f"k{rng.randrange(12)}" if rng.random() < 0.7
                       else f"d{rng.randrange(3)}/k{rng.randrange(4)}")
                body = rng.randbytes(rng.choice([0, 100, 5000, 70000])) if rng.random() < 0.7 else None
                ops[(rng.choice(buckets), key)] = body
            what = f"round {round_} written through {names[w]}"
            done = pool.map(lambda op: write_then_read(writer, readers, *op[0], op[1], what),
                            ops.items())
            assert all(done)
            model.update(ops)
    # Every gateway ends up with the whole state, through S3.
    for (bucket, key), want in model.items():
        for name, srv in zip(names, servers):
            body, head, _ = seen(srv, bucket, key)
            if body != want or head != (200 if want is not None else 404):
                violations.append(f"final state: {bucket}/{key} through {name}")
    return violations


def test_every_answer_is_seen_through_the_other_gateway(pair):
    """Randomized PUT/DELETE through one, immediate GET/HEAD/LIST through the other."""
    violations = storm(pair, seed=1313)
    assert violations == [], f"{len(violations)} violations, first: {violations[:5]}"


def test_every_answer_is_seen_through_both_other_gateways(trio):
    """Three gateways: each answer seen at once through the two others, the
    writer and the order of the readers changing every round."""
    violations = storm(trio, seed=2727)
    assert violations == [], f"{len(violations)} violations, first: {violations[:5]}"


def test_revoke_drains_the_holder_and_is_measured(pair):
    """A burst of async PUTs through A, then one GET through B: B waits for A's drain."""
    a, b = pair
    bucket = new_bucket(a)
    n = a.scale["burst"]
    bodies = {f"burst/{i:04d}": f"body {i} {uuid.uuid4().hex}".encode() for i in range(n)}
    with ThreadPoolExecutor(16) as pool:  # enough at once that A's applier lags behind
        statuses = list(pool.map(lambda kv: a.raw("PUT", f"/{bucket}/{kv[0]}", body=kv[1]).status,
                                 bodies.items()))
    assert statuses == [200] * len(bodies)
    holder_before = metric(a, "fsgate_cap_revokes_total", role="holder")
    asker_before = metric(b, "fsgate_cap_revokes_total", role="asker")
    waits_before = metric(b, "fsgate_cap_revoke_wait_seconds_count")
    start = time.monotonic()
    last = f"burst/{n - 1:04d}"
    got = b.raw("GET", f"/{bucket}/{last}")
    wait = time.monotonic() - start
    assert got.status == 200 and got.body == bodies[last]
    print(f"\ncross-gateway GET right after {n} async PUTs at 16 connections: {wait * 1e3:.1f} ms")
    listed = b.client().list_objects_v2(Bucket=bucket, Prefix="burst/")
    assert [o["Key"] for o in listed["Contents"]] == sorted(bodies)
    assert metric(a, "fsgate_cap_revokes_total", role="holder") == holder_before + 1
    assert metric(b, "fsgate_cap_revokes_total", role="asker") == asker_before + 1
    assert metric(b, "fsgate_cap_revoke_wait_seconds_count") == waits_before + 1
    waited = metric(b, "fsgate_cap_revoke_wait_seconds_sum")
    print(f"revoke wait histogram on B: count {waits_before + 1:.0f}, sum {waited * 1e3:.1f} ms")


def test_alternating_writers_settle_shared_then_one_goes_exclusive(pair):
    """Writers taking turns keep the bucket shared (sync); alone again, exclusive."""
    a, b = pair
    bucket = new_bucket(a)
    shared_before = {srv: metric(srv, "fsgate_sync_fallbacks_total", reason="shared_cap") for srv in pair}
    violations = []
    held_shared = {srv: 0 for srv in pair}
    for i in range(40):
        writer, reader = (a, b) if i % 2 == 0 else (b, a)
        body = f"turn {i}".encode()
        assert writer.raw("PUT", f"/{bucket}/turns", body=body).status == 200
        check(reader, bucket, "turns", body, violations, f"turn {i}")
        held_shared[writer] = max(held_shared[writer], metric(writer, "fsgate_caps_held", mode="shared"))
    assert violations == []
    for srv in pair:
        assert metric(srv, "fsgate_sync_fallbacks_total", reason="shared_cap") > shared_before[srv] + 10
        assert held_shared[srv] >= 1
    # B stops; A keeps writing. B lets its idle shared lease go, A's cool-down
    # ends and A holds the bucket alone again: its PUTs are async once more.
    exclusive_before = metric(a, "fsgate_caps_held", mode="exclusive")
    deadline = time.monotonic() + 30
    while metric(a, "fsgate_caps_held", mode="exclusive") <= exclusive_before:
        assert time.monotonic() < deadline, "A never got the bucket back exclusive"
        assert a.raw("PUT", f"/{bucket}/alone", body=b"x").status == 200
        time.sleep(0.2)
    fallbacks = metric(a, "fsgate_sync_fallbacks_total", reason="shared_cap")
    for i in range(20):
        assert a.raw("PUT", f"/{bucket}/async-{i}", body=b"y").status == 200
    assert metric(a, "fsgate_sync_fallbacks_total", reason="shared_cap") == fallbacks
    # And B still sees all of it at once (revoking A again).
    assert b.raw("GET", f"/{bucket}/async-19").body == b"y"
