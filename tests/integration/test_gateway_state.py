"""Engine state per gateway: ROOT/.fsgate/gw/<id>/{journal,staging,lock}.

A root of the single-gateway layout, made by fsgate 9c16464 and killed with
answered ops in its journal (tests/data/legacy-root-9c16464.*), is adopted by
the first start and every answered op is served; a start cut in the middle of
the adoption is finished by the next. A root of the per-gateway layout made by
fsgate 7e45d9c (journal format 3, tests/data/legacy-root-7e45d9c.*) is replayed
by this binary's store-registered decoder, which then journals format 6. One id runs once per root; two ids run
side by side, each sweeping only its own staging.
"""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from fsgate_server import FsgateServer, free_port, fsgate_bin

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
LEGACY = "legacy-root-9c16464"
FORMAT3 = "legacy-root-7e45d9c"


def unpacked(name):
    """An unpacked copy of an old binary's root (xattrs included: object metadata)."""
    parent = tempfile.mkdtemp(prefix="fsgate-legacy-")
    root = os.path.join(parent, "root")
    os.makedirs(root)
    subprocess.run(["tar", "--xattrs", "--xattrs-include=user.fsgate.*", "-xzf",
                    os.path.join(DATA, name + ".tar.gz"), "-C", root], check=True)
    return parent, root


@pytest.fixture
def legacy_root():
    parent, root = unpacked(LEGACY)
    yield root
    shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture
def format3_root():
    parent, root = unpacked(FORMAT3)
    yield root
    shutil.rmtree(parent, ignore_errors=True)


def expected_state(name=LEGACY):
    with open(os.path.join(DATA, name + ".json")) as f:
        return json.load(f)


def check_every_answered_op(srv, also=None, name=LEGACY):
    """Every answered op of the old binary, through S3 and on disk; `also`: objects since."""
    want = expected_state(name)
    s3, bucket = srv.client(), want["bucket"]
    objects = dict(want["objects"], **(also or {}))
    for key, md5 in objects.items():
        if md5 is None:
            assert srv.raw("HEAD", f"/{bucket}/{key}").status == 404, key
            continue
        assert srv.raw("HEAD", f"/{bucket}/{key}").status == 200, key
        got = s3.get_object(Bucket=bucket, Key=key)
        assert hashlib.md5(got["Body"].read()).hexdigest() == md5, key
        if key in want["objects"]:  # (a multipart object's ETag is no MD5 of its bytes)
            assert got["ETag"] == f'"{md5}"', key
    present = {k: v for k, v in objects.items() if v is not None}
    listed = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert listed == set(present)
    srv.wait_drained()
    files, _ = srv.posix_view(bucket)
    assert {k: hashlib.md5(v).hexdigest() for k, v in files.items()} == present


def gateway_dir(root, gid):
    return os.path.join(root, ".fsgate", "gw", gid)


def stored_id(root):
    with open(os.path.join(root, ".fsgate", "gateway-id")) as f:
        return f.read().strip()


def assert_adopted(root, gid):
    fsgate = os.path.join(root, ".fsgate")
    assert not os.path.exists(os.path.join(fsgate, "journal"))
    assert not os.path.exists(os.path.join(fsgate, "staging"))
    assert any(n.endswith(".log") for n in os.listdir(os.path.join(gateway_dir(root, gid), "journal")))
    assert os.path.isdir(os.path.join(gateway_dir(root, gid), "staging"))
    assert not os.path.exists(os.path.join(gateway_dir(root, gid), "journal", "staging"))
    with open(os.path.join(fsgate, "format")) as f:
        assert f.read() == "2\n"


def journal_versions(root, gid):
    """The format version of each of the gateway's journal segments."""
    journal = os.path.join(gateway_dir(root, gid), "journal")
    versions = []
    for name in os.listdir(journal):
        if name.endswith(".log"):
            with open(os.path.join(journal, name), "rb") as f:
                versions.append(int.from_bytes(f.read(12)[8:12], "little"))
    return versions


def run_once(root, *args):
    """`fsgate serve` that is expected to exit before serving: (exit code, output)."""
    cmd = [fsgate_bin(), "serve", "--root", root, "--listen", f"127.0.0.1:{free_port()}",
           "--metrics-listen", f"127.0.0.1:{free_port()}", *args]
    env = dict(os.environ, FSGATE_ACCESS_KEY="AKIAONCE", FSGATE_SECRET_KEY="once-secret")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    return done.returncode, done.stdout + done.stderr


def test_legacy_root_is_adopted_and_every_answered_op_served(legacy_root):
    srv = FsgateServer(root=legacy_root)
    try:
        srv.start()
        gid = stored_id(legacy_root)
        assert_adopted(legacy_root, gid)
        with open(srv.log_path) as f:
            assert f"gateway id {gid} (new, stored in .fsgate/gateway-id)" in f.read()
        check_every_answered_op(srv)
        want = expected_state()
        upload = want["upload"]
        s3 = srv.client()
        uploads = s3.list_multipart_uploads(Bucket=want["bucket"]).get("Uploads", [])
        assert [u["UploadId"] for u in uploads] == [upload["upload_id"]]
        s3.complete_multipart_upload(
            Bucket=want["bucket"], Key=upload["key"], UploadId=upload["upload_id"],
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": upload["part_etag"]}]})
        completed = {upload["key"]: upload["part_md5"]}
        # A plain restart is the same gateway, and nothing is adopted or replayed again.
        srv.restart(kill=True)
        assert stored_id(legacy_root) == gid
        assert os.listdir(os.path.join(legacy_root, ".fsgate", "gw")) == [gid]
        check_every_answered_op(srv, also=completed)
        srv.stop()
    finally:
        srv.cleanup()


def test_legacy_root_is_adopted_under_dirops_sync(legacy_root):
    """A sync start applies the adopted journal before serving, as it does its own."""
    with FsgateServer(root=legacy_root, dirops="sync") as srv:
        assert_adopted(legacy_root, stored_id(legacy_root))
        check_every_answered_op(srv)


def park_staging(root):
    """The state after the adoption's first rename (staging into the journal's directory)."""
    fsgate = os.path.join(root, ".fsgate")
    os.rename(os.path.join(fsgate, "staging"), os.path.join(fsgate, "journal", "staging"))


@pytest.mark.parametrize("cut", ["staging_parked", "fault_at_claim", "fault_after_claim"])
def test_adoption_cut_midway_is_finished_by_the_next_start(legacy_root, cut):
    gid = "gw-a"
    if cut == "staging_parked":
        park_staging(legacy_root)
    else:
        # The start fails at that rename: the renames before it are done and durable.
        target = "journal" if cut == "fault_at_claim" else "staging"
        rc, out = run_once(legacy_root, "--gateway-id", gid, "--test-fault",
                           f"rename:EIO:path=gw/{gid}/{target}")
        assert rc == 1, out
        assert "cannot open the store" in out, out
        fsgate = os.path.join(legacy_root, ".fsgate")
        if cut == "fault_at_claim":
            assert os.path.isdir(os.path.join(fsgate, "journal", "staging"))
        else:
            assert not os.path.exists(os.path.join(fsgate, "journal"))
            assert os.path.isdir(os.path.join(gateway_dir(legacy_root, gid), "journal", "staging"))
    # Another gateway starting meanwhile takes nothing into its own state once the
    # journal is claimed; it finds the claimant dead, so it finishes the claimant's
    # move and replays its journal for it (failover, test_failover.py).
    if cut == "fault_after_claim":
        with FsgateServer(root=legacy_root, extra_args=["--gateway-id", "other"]) as other:
            assert other.client().list_buckets()["Buckets"]
            with open(other.log_path) as f:
                log = f.read()
            assert "no older layout to adopt" in log
            assert f"adopted the journal of gateway {gid}" in log
            check_every_answered_op(other)
        assert_adopted(legacy_root, gid)
    srv = FsgateServer(root=legacy_root, extra_args=["--gateway-id", gid])
    try:
        srv.start()
        assert_adopted(legacy_root, gid)
        check_every_answered_op(srv)
        srv.stop()
    finally:
        srv.cleanup()


def test_second_process_with_the_same_id_refuses_to_start():
    with FsgateServer(extra_args=["--gateway-id", "one"]) as first:
        rc, out = run_once(first.root, "--gateway-id", "one")
        assert rc == 1, out
        lines = [l for l in out.splitlines() if "already running" in l]
        assert len(lines) == 1, out
        assert "gateway id 'one' is already running on this root" in lines[0]
        assert f"pid {first.proc.pid} on " in lines[0]
        first.client().create_bucket(Bucket="still-served")
    # Without --gateway-id both run as the stored id: the same gateway, refused too.
    with FsgateServer() as plain:
        rc, out = run_once(plain.root)
        assert rc == 1 and f"gateway id '{stored_id(plain.root)}' is already running" in out, out


def test_two_ids_on_one_root_each_sweep_only_their_own_staging():
    with FsgateServer(extra_args=["--gateway-id", "ga"]) as a:
        b = FsgateServer(root=a.root, extra_args=["--gateway-id", "gb"])
        try:
            b.start()
            a.client().create_bucket(Bucket="of-a")
            b.client().create_bucket(Bucket="of-b")
            a.client().put_object(Bucket="of-a", Key="k", Body=b"from a")
            b.client().put_object(Bucket="of-b", Key="k", Body=b"from b")
            for gid in ("ga", "gb"):
                journal = os.path.join(gateway_dir(a.root, gid), "journal")
                assert any(n.endswith(".log") for n in os.listdir(journal)), gid
            # A file each gateway is writing: A's restart sweeps its own, never B's.
            left = {}
            for gid in ("ga", "gb"):
                left[gid] = os.path.join(gateway_dir(a.root, gid), "staging", "t.in-flight")
                with open(left[gid], "wb") as f:
                    f.write(b"an upload in flight")
            a.restart(kill=True)
            assert not os.path.exists(left["ga"])
            assert os.path.exists(left["gb"])
            assert a.client().get_object(Bucket="of-a", Key="k")["Body"].read() == b"from a"
            assert b.client().get_object(Bucket="of-b", Key="k")["Body"].read() == b"from b"
            b.stop()
        finally:
            b.cleanup()


@pytest.mark.parametrize("args", [["--gateway-id", "Upper"], ["--gateway-id", "a/b"],
                                  ["--gateway-id", "-lead"], ["--gateway-id", "x" * 64]])
def test_bad_gateway_id_is_one_line_and_exit_2(args, tmp_path):
    rc, out = run_once(str(tmp_path), *args)
    assert rc == 2, out
    assert out.count("\n") == 1 and "--gateway-id" in out, out


def test_gateway_id_from_the_config_file(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"gateway_id": "Not Valid"}))
    rc, out = run_once(str(tmp_path), "--config", str(config))
    assert rc == 2 and out.count("\n") == 1, out
    config.write_text(json.dumps({"gateway_id": "from-config"}))
    with FsgateServer(extra_args=["--config", str(config)]) as srv:
        assert os.path.isdir(os.path.join(gateway_dir(srv.root, "from-config"), "journal"))
        assert not os.path.exists(os.path.join(srv.root, ".fsgate", "gateway-id"))


def test_format3_journal_is_replayed_and_the_next_is_format6(format3_root):
    gid = stored_id(format3_root)
    assert journal_versions(format3_root, gid) == [3]  # what the old binary left
    want = expected_state(FORMAT3)
    # A completed multipart upload (its record carries the part sizes) rides along.
    assert want["multipart"]
    with FsgateServer(root=format3_root) as srv:
        check_every_answered_op(srv, also=want["multipart"], name=FORMAT3)
        s3, bucket = srv.client(), want["bucket"]
        part = s3.get_object(Bucket=bucket, Key="mpu-done", PartNumber=2)
        assert part["Body"].read() == b"part 2\n"
        s3.put_object(Bucket=bucket, Key="after", Body=b"after")
        versions = journal_versions(format3_root, gid)
        assert 6 in versions and max(versions) == 6, versions
        srv.restart(kill=True)
        check_every_answered_op(srv, also=dict(want["multipart"], after=hashlib.md5(b"after").hexdigest()),
                                name=FORMAT3)
