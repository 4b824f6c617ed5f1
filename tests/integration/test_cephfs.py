"""fsgate serve --backend cephfs on a real one-node Ceph cluster.

The cluster is the one FSGATE_TEST_CEPH_CONF names (the CTest fixture starts
deploy/ceph-dev-cluster.sh once for every cephfs test); run alone, this module
starts its own. boto3 drives the gateway with sync and with async dirops, and
a second libcephfs client (Debian's python3-cephfs) checks that the objects
are plain files in the CephFS, with the bytes that were PUT.
"""

import glob
import json
import os
import re
import subprocess
import time
import uuid

import pytest

from cephfs_server import CephfsGateway
from fsgate_server import free_port, fsgate_bin, s3_view
from test_failover import adopted, answered_then_killed, serves, start_log

MIB = 1024 * 1024


@pytest.fixture(scope="module", params=["sync", "async"])
def gateway(request, ceph_conf, reader):
    with CephfsGateway(ceph_conf, reader, request.param) as srv:
        yield srv


def test_objects_round_trip_and_are_files_in_cephfs(gateway):
    s3 = gateway.client()
    bucket = f"b-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    want = {}
    for i in range(40):
        key = f"dir{i % 4}/obj-{i}" if i % 2 else f"top-{i}"
        want[key] = os.urandom(4096 + i)
        s3.put_object(Bucket=bucket, Key=key, Body=want[key])
    # Read-after-write and list-after-write at once, through the gateway.
    for key, data in want.items():
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    assert s3_view(s3, bucket) == (want, set())

    for key in [k for k in want if k.endswith(("3", "6"))]:
        s3.delete_object(Bucket=bucket, Key=key)
        del want[key]
    assert s3_view(s3, bucket) == (want, set())

    # Multipart: two 5 MiB parts and a short last one, joined on CephFS.
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"tail"]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="dir0/big")["UploadId"]
    etags = [s3.upload_part(Bucket=bucket, Key="dir0/big", UploadId=upload, PartNumber=n + 1,
                            Body=p)["ETag"] for n, p in enumerate(parts)]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="dir0/big", UploadId=upload,
        MultipartUpload={"Parts": [{"ETag": e, "PartNumber": n + 1} for n, e in enumerate(etags)]})
    want["dir0/big"] = b"".join(parts)
    assert s3.get_object(Bucket=bucket, Key="dir0/big")["Body"].read() == want["dir0/big"]

    # The POSIX view through another CephFS client, once applied.
    gateway.wait_posix_view(bucket, want)
    names = [k["Key"] for k in s3.list_objects_v2(Bucket=bucket, Prefix="dir0/")["Contents"]]
    assert "dir0/big" in names

    for key in list(want):
        s3.delete_object(Bucket=bucket, Key=key)
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    gateway.wait_posix_view(bucket, {})
    s3.delete_bucket(Bucket=bucket)


def test_a_get_reads_what_the_name_holds_now_not_a_file_read_before(gateway):
    """GETs keep a read-only handle of each file they read open for a while
    (fs/read_handle_cache.h): one of a file the name no longer holds, or holds
    changed by another client, must never answer."""
    s3 = gateway.client()
    bucket = f"b-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    key = "d/k"

    def get():
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    for body in (b"a" * 4096, b"b" * 5000, b"c" * 100):  # replaced through the gateway
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        assert get() == body
        gateway.wait_posix_view(bucket, {key: body})
        assert get() == body  # the applied file, its handle now cached
    s3.delete_object(Bucket=bucket, Key=key)
    with pytest.raises(s3.exceptions.NoSuchKey):
        get()
    s3.put_object(Bucket=bucket, Key=key, Body=b"d" * 4096)
    gateway.wait_posix_view(bucket, {key: b"d" * 4096})
    assert get() == b"d" * 4096
    # Changed in place by another CephFS client (same size: the object's
    # recorded size still holds): the next GET through the cached handle sees it.
    path = f"{gateway.ceph_root}/{bucket}/{key}".encode()
    fd = gateway.reader.open(path, os.O_WRONLY)
    try:
        gateway.reader.write(fd, b"e" * 4096, 0)
        gateway.reader.fsync(fd, 0)
    finally:
        gateway.reader.close(fd)
    assert get() == b"e" * 4096


def test_objects_survive_a_restart(gateway):
    # A clean stop unmounts; after a kill -9 the dead client's session holds
    # its caps until the MDS times it out, which is the failover work to come.
    s3 = gateway.client()
    bucket = f"r-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"kept")
    gateway.restart()
    s3 = gateway.client()
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"kept"
    gateway.wait_posix_view(bucket, {"k": b"kept"})


def test_a_killed_gateways_answered_ops_are_served_by_a_survivor(ceph_conf, reader):
    """Failover on CephFS (test_failover.py on posix): a's lock lapses when the MDS
    closes its dead session (30 s + 30 s on the dev cluster, the least it accepts;
    measured 31 s), then b replays a's journal: within the 60 s target."""
    ids = ["--gateway-id", "a"]
    a = CephfsGateway(ceph_conf, reader, "async", extra_args=ids + ["--test-apply-delay-ms", "500"])
    b = CephfsGateway(ceph_conf, reader, "async", ceph_root=a.ceph_root,
                      extra_args=["--gateway-id", "b"])
    try:
        a.start()
        b.start()
        want = answered_then_killed(a)
        killed = time.monotonic()
        while not serves(b, want):
            assert time.monotonic() - killed < 60, b.log_tail()
            time.sleep(0.5)
        print(f"failover on CephFS: every answered op served {time.monotonic() - killed:.1f}s "
              "after the kill")
        print("\n".join(l for l in start_log(b).splitlines() if "journal" in l))
        assert adopted(b) == 1
        # b let go of a's lock: a starts again at once, with nothing to replay.
        a.extra_args = a.extra_args[:-2]
        a.start()
        assert "intent journal: replayed" not in start_log(a)
        assert serves(a, want)
        a.stop()
        b.stop()
    finally:
        b.cleanup()
        a.cleanup()


def run_fsgate(*args):
    """`fsgate serve ARGS` expected to refuse to start: (exit code, last line of output)."""
    cmd = [fsgate_bin(), "serve", "--listen", f"127.0.0.1:{free_port()}",
           "--metrics-listen", f"127.0.0.1:{free_port()}", *args]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, FSGATE_ACCESS_KEY="AKIAX", FSGATE_SECRET_KEY="s" * 20))
    lines = (res.stdout + res.stderr).strip().splitlines()
    return res.returncode, lines[-1] if lines else ""


def test_mount_errors_are_one_line_and_exit_2(ceph_conf, tmp_path):
    rc, line = run_fsgate("--backend", "cephfs")
    assert (rc, line) == (2, "fsgate: --backend cephfs needs --ceph-conf FILE")

    rc, line = run_fsgate("--backend", "cephfs", "--ceph-conf", str(tmp_path / "missing.conf"))
    assert rc == 2 and "cannot read the Ceph config" in line and "missing.conf" in line, line

    # The keys of --config reach the mount: an unknown filesystem, by name.
    config = tmp_path / "fsgate.json"
    config.write_text(json.dumps({"backend": "cephfs", "ceph_conf": ceph_conf,
                                  "ceph_fs": "nosuchfs", "ceph_root": "/x"}))
    rc, line = run_fsgate("--config", str(config))
    assert rc == 2 and "no filesystem" in line and "nosuchfs" in line, line

    # A cluster that does not answer: bounded by the mount timeout (10 s).
    with open(ceph_conf) as f:
        text = f.read()
    dead = tmp_path / "dead.conf"
    port = free_port()
    dead.write_text(re.sub(r"mon_host = .*", f"mon_host = [v2:127.0.0.1:{port}]", text))
    started = time.monotonic()
    rc, line = run_fsgate("--backend", "cephfs", "--ceph-conf", str(dead))
    assert rc == 2 and "no answer within 10 s" in line, line
    assert time.monotonic() - started < 30


def client_conf_values(conf, pid, name):
    """The option `name` of each libcephfs client in process `pid`, through its
    admin socket (the dev cluster's ceph.conf names them
    run/client.<id>.<pid>.<n>.asok)."""
    run_dir = os.path.join(os.path.dirname(os.path.abspath(conf)), "run")
    sockets = glob.glob(os.path.join(run_dir, f"client.*.{pid}.*.asok"))
    assert sockets, f"no admin socket of pid {pid} in {run_dir}"
    values = set()
    for sock in sockets:
        res = subprocess.run(["ceph", "--conf", conf, "daemon", sock, "config", "get", name],
                             capture_output=True, text=True, timeout=60, check=True)
        values.add(json.loads(res.stdout)[name])
    return values


def check_client_option(ceph_conf, reader, tmp_path, name, ours, configured):
    """fsgate's mounts run with `ours` for the client option `name`, and with
    `configured` where the operator's ceph.conf sets it."""
    with CephfsGateway(ceph_conf, reader, "sync") as srv:
        assert client_conf_values(ceph_conf, srv.proc.pid, name) == {ours}
    with open(ceph_conf) as f:
        text = f.read()
    conf = tmp_path / "ceph.conf"
    conf.write_text(text.replace("[client]\n", f"[client]\n{name} = {configured}\n", 1))
    with CephfsGateway(str(conf), reader, "sync") as srv:
        assert client_conf_values(ceph_conf, srv.proc.pid, name) == {configured}


def test_libcephfs_gathers_no_debug_messages_unless_the_conf_asks(ceph_conf, reader, tmp_path):
    # Gathered at 5 by default, each call formatted lines nobody reads.
    check_client_option(ceph_conf, reader, tmp_path, "debug_client", "0/0", "1/5")


def test_libcephfs_caches_a_gateways_working_set_unless_the_conf_sizes_it(ceph_conf, reader,
                                                                          tmp_path):
    """libcephfs's 16,384 inodes are sized for a desktop mount: past them each
    GET of a trimmed object asks the MDS again (GET c16 over 24,000 objects
    on the dev cluster: 2,200-2,500/s, against 14,100-15,300/s with 65,536
    cached). fsgate's mounts keep 65,536 unless ceph.conf says otherwise."""
    check_client_option(ceph_conf, reader, tmp_path, "client_cache_size", "65536", "20000")


def test_an_async_gateway_is_ready_with_its_staging_pool_full(ceph_conf, reader):
    """On CephFS every create is an MDS round trip: a fresh gateway fills its
    pool of delegated files (8,192) before it reports ready, so its first PUTs
    do not share the MDS with the pool's first fill; a restart adopts the
    files its pool left."""
    with CephfsGateway(ceph_conf, reader, "async") as srv:
        assert srv.metric_sum("fsgate_delegated_inodes_available") == 8192
        s3 = srv.client()
        s3.create_bucket(Bucket="pool-at-start")
        s3.put_object(Bucket="pool-at-start", Key="k", Body=b"x")
        srv.restart()
        assert srv.metric_sum("fsgate_delegated_inodes_available") >= 8191
        s3 = srv.client()  # the restarted gateway listens on a new port
        assert s3.get_object(Bucket="pool-at-start", Key="k")["Body"].read() == b"x"


def wait_pool_filled(srv, steady_s=1.0, timeout=120.0):
    """Until the staging pool's level has held still for `steady_s` (a new
    gateway fills it at start: thousands of creates)."""
    deadline = time.monotonic() + timeout
    level, since = None, time.monotonic()
    while time.monotonic() - since < steady_s:
        assert time.monotonic() < deadline, "the staging pool never held still"
        now = srv.metric_sum("fsgate_delegated_inodes_available")
        if now != level:
            level, since = now, time.monotonic()
        time.sleep(0.1)


def test_an_async_put_is_applied_without_opening_its_staging_file_at_the_mds(
        ceph_conf, reader, tmp_path):
    # The staging pool creates its files long before the applier writes an
    # object's body into one. libcephfs let go of a closed file's write caps
    # 5 s after its create, so each apply then sent the MDS an open request
    # (and a cap update for a max_size before its write): held, they are used
    # as they are. The gateway's client logs every message it sends.
    with open(ceph_conf) as f:
        text = f.read()
    conf = tmp_path / "ceph.conf"
    conf.write_text(text.replace("[client]\n", "[client]\ndebug_ms = 1\n", 1))
    log_dir = os.path.join(os.path.dirname(os.path.abspath(ceph_conf)), "log")
    with CephfsGateway(str(conf), reader, "async") as srv:
        s3 = srv.client()
        s3.create_bucket(Bucket="held-caps")
        wait_pool_filled(srv)
        time.sleep(6)  # past libcephfs's default delay, counted from the last create
        (log,) = glob.glob(os.path.join(log_dir, f"client.*.{srv.proc.pid}.log"))
        start = os.path.getsize(log)
        bodies = {f"d{i % 4}/k{i}": os.urandom(4096) for i in range(20)}
        for key, body in bodies.items():
            s3.put_object(Bucket="held-caps", Key=key, Body=body)
        srv.wait_drained()
        with open(log, "rb") as f:
            f.seek(start)
            sent = [line for line in f.read().decode("utf-8", "replace").splitlines()
                    if " --> " in line and "client_request(" in line]
        opens = [line for line in sent if re.search(r"client_request\(\S+ open ", line)]
        assert not opens, f"{len(opens)} MDS opens for {len(bodies)} applied PUTs: {opens[0]}"
        assert sum(" rename " in line for line in sent) == len(bodies), sent
        for key, body in bodies.items():
            assert s3.get_object(Bucket="held-caps", Key=key)["Body"].read() == body
