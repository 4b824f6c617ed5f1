"""Real clients against the real gateway: aws-cli, s3cmd, rclone, curl; presigned URLs;
and the authentication errors (expired, wrong secret, unknown key, skewed clock,
payload hash mismatch)."""

import base64
import datetime
import filecmp
import hashlib
import os
import random
import subprocess
import time
import types
import unittest.mock

import botocore.auth
import pytest

from fsgate_server import FsgateServer, etag_of, expect_error, quote_key

S3_SIGV4 = "aws:amz:us-east-1:s3"


def run(cmd, env=None, cwd=None, timeout=600, check=True):
    res = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if check:
        assert res.returncode == 0, f"{cmd} failed ({res.returncode}):\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


def make_tree(top, n_files, seed):
    """n_files small files over nested directories, awkward names included."""
    rnd = random.Random(seed)
    dirs = ["", "a", "a/b", "a/b/c", "with space", "ü-dir", "x.y", "x.y/z"]
    names = set()
    while len(names) < n_files:
        d = rnd.choice(dirs)
        name = f"f{rnd.randrange(10 ** 6):06d}{rnd.choice(['', '.txt', ' sp', '+p', '-é'])}"
        names.add(os.path.join(d, name) if d else name)
    for rel in names:
        path = os.path.join(top, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(rnd.randbytes(rnd.choice([0, 1, 100, 1000, 4096, 20000])))
    return sorted(names)


def assert_trees_equal(a, b):
    res = run(["diff", "-r", a, b], check=False)
    assert res.returncode == 0, f"trees differ:\n{res.stdout[-3000:]}{res.stderr[-3000:]}"


# ----------------------------------------------------------------------------------------
# aws-cli


def aws_env(server, workdir):
    cfg = os.path.join(workdir, "aws-config")
    with open(cfg, "w") as f:
        f.write("[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n")
    env = dict(os.environ)
    env.update(AWS_ACCESS_KEY_ID=server.access_key, AWS_SECRET_ACCESS_KEY=server.secret_key,
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=cfg,
               AWS_SHARED_CREDENTIALS_FILE=os.path.join(workdir, "no-credentials"),
               AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")
    return env


def aws(server, tmp_path, *args, check=True):
    return run(["/usr/bin/aws", "--endpoint-url", server.endpoint, *args], env=aws_env(server, tmp_path),
               check=check)


def test_aws_cli_basic_commands(server, tmp_path):
    s3 = server.client()
    bucket = "aws-cli-basic"
    aws(server, tmp_path, "s3", "mb", f"s3://{bucket}")
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    src = tmp_path / "hello world.txt"
    src.write_bytes(b"hello from aws-cli\n")
    aws(server, tmp_path, "s3", "cp", str(src), f"s3://{bucket}/dir/hello world.txt")
    assert s3.get_object(Bucket=bucket, Key="dir/hello world.txt")["Body"].read() == b"hello from aws-cli\n"
    out = aws(server, tmp_path, "s3", "ls", f"s3://{bucket}/").stdout
    assert "PRE dir/" in out
    out = aws(server, tmp_path, "s3", "ls", "--recursive", f"s3://{bucket}").stdout
    assert "dir/hello world.txt" in out and " 19 " in out
    out = aws(server, tmp_path, "s3", "ls").stdout
    assert bucket in out
    dst = tmp_path / "back.txt"
    aws(server, tmp_path, "s3", "cp", f"s3://{bucket}/dir/hello world.txt", str(dst))
    assert dst.read_bytes() == src.read_bytes()
    out = aws(server, tmp_path, "s3api", "head-object", "--bucket", bucket, "--key", "dir/hello world.txt").stdout
    assert etag_of(src.read_bytes()).replace('"', '\\"') in out
    res = aws(server, tmp_path, "s3", "rb", f"s3://{bucket}", check=False)
    assert res.returncode != 0 and "BucketNotEmpty" in res.stderr
    aws(server, tmp_path, "s3", "rm", f"s3://{bucket}/dir/hello world.txt")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    aws(server, tmp_path, "s3", "rb", f"s3://{bucket}")
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_aws_cli_sync_3000_files_up_and_down(server, tmp_path):
    s3 = server.client()
    bucket = "aws-cli-sync"
    s3.create_bucket(Bucket=bucket)
    up = tmp_path / "up"
    down = tmp_path / "down"
    names = make_tree(str(up), 3000, 1)
    aws(server, tmp_path, "s3", "sync", "--no-progress", str(up), f"s3://{bucket}/tree")
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="tree/"):
        keys += [o["Key"] for o in page.get("Contents", [])]
    assert keys == sorted(("tree/" + n for n in names), key=lambda k: k.encode())
    # A second sync has nothing to do.
    out = aws(server, tmp_path, "s3", "sync", "--no-progress", str(up), f"s3://{bucket}/tree").stdout
    assert "upload:" not in out
    aws(server, tmp_path, "s3", "sync", "--no-progress", f"s3://{bucket}/tree", str(down))
    assert_trees_equal(str(up), str(down))
    # The POSIX view is the same tree.
    server.wait_drained(60)
    assert_trees_equal(str(up), os.path.join(server.root, bucket, "tree"))
    # Delete with sync --delete from an emptied source.
    empty = tmp_path / "empty"
    empty.mkdir()
    aws(server, tmp_path, "s3", "sync", "--no-progress", "--delete", str(empty), f"s3://{bucket}/tree")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    server.wait_posix_view(bucket, {})


# ----------------------------------------------------------------------------------------
# s3cmd


def s3cmd(server, tmp_path, *args, check=True):
    cfg = tmp_path / "s3cfg"
    cfg.write_text(
        "[default]\n"
        f"access_key = {server.access_key}\n"
        f"secret_key = {server.secret_key}\n"
        f"host_base = 127.0.0.1:{server.port}\n"
        f"host_bucket = 127.0.0.1:{server.port}\n"
        "use_https = False\n"
        "signature_v2 = False\n"
        "bucket_location = us-east-1\n"
        "check_ssl_certificate = False\n"
        "guess_mime_type = False\n")
    return run(["/usr/bin/s3cmd", "-c", str(cfg), *args], check=check)


def test_s3cmd(server, tmp_path):
    s3 = server.client()
    bucket = "s3cmd-bucket"
    s3cmd(server, tmp_path, "mb", f"s3://{bucket}")
    data = os.urandom(300_000)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    s3cmd(server, tmp_path, "put", str(src), f"s3://{bucket}/d/src.bin")
    assert s3.get_object(Bucket=bucket, Key="d/src.bin")["Body"].read() == data
    out = s3cmd(server, tmp_path, "ls", f"s3://{bucket}/d/").stdout
    assert f"s3://{bucket}/d/src.bin" in out and "300000" in out
    out = s3cmd(server, tmp_path, "ls", f"s3://{bucket}").stdout
    assert "DIR" in out and f"s3://{bucket}/d/" in out
    dst = tmp_path / "dst.bin"
    s3cmd(server, tmp_path, "get", f"s3://{bucket}/d/src.bin", str(dst))
    assert dst.read_bytes() == data
    out = s3cmd(server, tmp_path, "info", f"s3://{bucket}/d/src.bin").stdout
    assert hashlib.md5(data).hexdigest() in out
    s3cmd(server, tmp_path, "del", f"s3://{bucket}/d/src.bin")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    s3cmd(server, tmp_path, "rb", f"s3://{bucket}")
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


# ----------------------------------------------------------------------------------------
# rclone


def rclone(server, tmp_path, *args, check=True):
    cfg = tmp_path / "rclone.conf"
    cfg.write_text(
        "[fsg]\n"
        "type = s3\n"
        "provider = Other\n"
        f"access_key_id = {server.access_key}\n"
        f"secret_access_key = {server.secret_key}\n"
        f"endpoint = {server.endpoint}\n"
        "region = us-east-1\n"
        "force_path_style = true\n")
    # rclone refuses to start when AWS_CA_BUNDLE is set but its transport is
    # plain HTTP; the endpoint here is plain HTTP on loopback.
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    return run(["/usr/bin/rclone", "--config", str(cfg), "--retries", "1", "--low-level-retries", "1", *args],
               env=env, check=check)


def test_rclone_copy_tree(server, tmp_path):
    s3 = server.client()
    bucket = "rclone-bucket"
    s3.create_bucket(Bucket=bucket)
    up = tmp_path / "up"
    names = make_tree(str(up), 200, 2)
    # A file over rclone's default 200 MiB cutoff is not needed; 6 MiB still exercises multi-read.
    (up / "big.bin").write_bytes(os.urandom(6 * 1024 * 1024))
    names.append("big.bin")
    rclone(server, tmp_path, "copy", str(up), f"fsg:{bucket}/tree")
    rclone(server, tmp_path, "check", str(up), f"fsg:{bucket}/tree")
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys += [o["Key"] for o in page.get("Contents", [])]
    assert sorted(keys) == sorted("tree/" + n for n in names)
    down = tmp_path / "down"
    rclone(server, tmp_path, "copy", f"fsg:{bucket}/tree", str(down))
    assert_trees_equal(str(up), str(down))
    out = rclone(server, tmp_path, "lsf", "-R", "--files-only", f"fsg:{bucket}/tree").stdout
    assert sorted(out.split("\n")[:-1]) == sorted(names)
    rclone(server, tmp_path, "purge", f"fsg:{bucket}/tree")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


# ----------------------------------------------------------------------------------------
# curl and presigned URLs


def curl(*args, check=True):
    return subprocess.run(["/usr/bin/curl", "-sS", *args], capture_output=True, timeout=120, check=check)


def curl_status(*args):
    res = curl("-o", "/dev/stderr", "-w", "%{http_code}", *args)
    return int(res.stdout), res.stderr


def test_curl_sigv4_get_put(server, bucket, tmp_path):
    s3 = server.client()
    auth = ["--aws-sigv4", S3_SIGV4, "--user", f"{server.access_key}:{server.secret_key}",
            "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"]
    data = os.urandom(123_457)
    src = tmp_path / "src"
    src.write_bytes(data)
    key = "curl dir/obj ü.bin"
    url = f"{server.endpoint}/{bucket}/{quote_key(key)}"
    status, _ = curl_status(*auth, "-T", str(src), url)
    assert status == 200
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    res = curl(*auth, "--fail", url)
    assert res.stdout == data
    status, body = curl_status(*auth, f"{server.endpoint}/{bucket}/absent")
    assert status == 404 and b"<Code>NoSuchKey</Code>" in body
    # Without credentials: AccessDenied.
    status, body = curl_status(url)
    assert status == 403 and b"<Code>AccessDenied</Code>" in body


def test_presigned_get_and_put(server, bucket, tmp_path):
    s3 = server.client()
    data = os.urandom(50_000)
    key = "pre signed/ü+key"
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    src = tmp_path / "src"
    src.write_bytes(data)
    status, body = curl_status("-X", "PUT", "--data-binary", f"@{src}", "-H", "Content-Type:", put_url)
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    res = curl("--fail", get_url)
    assert res.stdout == data
    # The signature covers the key: another key with the same query is refused.
    other = get_url.replace(quote_key(key), "other", 1)
    assert other != get_url
    status, body = curl_status(other)
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body
    # A tampered signature is refused.
    bad = get_url[:-4] + ("0000" if not get_url.endswith("0000") else "1111")
    status, body = curl_status(bad)
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body


def test_presigned_expired(server, bucket):
    s3 = server.client()
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=1)
    time.sleep(2.2)
    status, body = curl_status(url)
    assert status == 403, body
    assert b"<Code>AccessDenied</Code>" in body
    assert b"Request has expired" in body


def test_wrong_secret(server, bucket):
    bad = server.client(secret_key=server.secret_key + "x")
    expect_error(bad.list_objects_v2, "SignatureDoesNotMatch", 403, Bucket=bucket)
    expect_error(bad.put_object, "SignatureDoesNotMatch", 403, Bucket=bucket, Key="k", Body=b"x")
    assert server.client().list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_unknown_access_key(server, bucket):
    bad = server.client(access_key="AKIAUNKNOWNUNKNOWN00")
    expect_error(bad.list_objects_v2, "InvalidAccessKeyId", 403, Bucket=bucket)
    expect_error(bad.list_buckets, "InvalidAccessKeyId", 403)


class _SkewedClock:
    def __init__(self, skew):
        real = datetime.datetime

        class Skewed(real):
            @classmethod
            def utcnow(cls):
                return real.utcnow() + skew

        self.module = types.SimpleNamespace(datetime=Skewed)


@pytest.mark.parametrize("minutes", [20, -20])
def test_skewed_clock(server, bucket, minutes):
    clock = _SkewedClock(datetime.timedelta(minutes=minutes))
    s3 = server.client()
    with unittest.mock.patch.object(botocore.auth, "datetime", clock.module):
        expect_error(s3.list_objects_v2, "RequestTimeTooSkewed", 403, Bucket=bucket)
        expect_error(s3.put_object, "RequestTimeTooSkewed", 403, Bucket=bucket, Key="k", Body=b"x")
    # 5 minutes off is within S3's 15-minute window.
    clock = _SkewedClock(datetime.timedelta(minutes=5))
    with unittest.mock.patch.object(botocore.auth, "datetime", clock.module):
        assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_payload_hash_mismatch(server, bucket):
    # Signed for one body, sent with another of the same length.
    resp = server.raw("PUT", f"/{bucket}/k", body=b"signed body", send_body=b"sent   body")
    assert resp.status == 400 and resp.error_code() == "XAmzContentSHA256Mismatch", resp
    s3 = server.client()
    expect_error(s3.head_object, "404", 404, Bucket=bucket, Key="k")


def test_request_without_auth_is_access_denied(server, bucket):
    resp = server.raw("GET", f"/{bucket}", sign=False)
    assert resp.status == 403 and resp.error_code() == "AccessDenied", resp
    resp = server.raw("PUT", f"/{bucket}/k", body=b"x", sign=False)
    assert resp.status == 403 and resp.error_code() == "AccessDenied", resp
    expect_error(server.client().head_object, "404", 404, Bucket=bucket, Key="k")


# ----------------------------------------------------------------------------------------
# Another user from --credentials, and virtual-hosted addressing with --domain


def test_credentials_file_users():
    alice = {"name": "alice", "access_key": "AKIAALICE0000000001", "secret_key": "alice-secret-key-0001"}
    with FsgateServer(users=[alice]) as srv:
        s3_env = srv.client()
        s3_alice = srv.client(access_key=alice["access_key"], secret_key=alice["secret_key"])
        s3_alice.create_bucket(Bucket="alices")
        s3_alice.put_object(Bucket="alices", Key="k", Body=b"alice")
        assert s3_alice.get_object(Bucket="alices", Key="k")["Body"].read() == b"alice"
        s3_env.create_bucket(Bucket="envs")
        bad = srv.client(access_key=alice["access_key"], secret_key=srv.secret_key)
        expect_error(bad.list_buckets, "SignatureDoesNotMatch", 403)
        s3_alice.delete_object(Bucket="alices", Key="k")
        s3_alice.delete_bucket(Bucket="alices")
        s3_env.delete_bucket(Bucket="envs")


def test_virtual_hosted_style_with_domain():
    with FsgateServer(extra_args=["--domain", "s3.fsgate.test"]) as srv:
        s3 = srv.client()
        s3.create_bucket(Bucket="vhost")
        host = f"vhost.s3.fsgate.test:{srv.port}"
        resp = srv.raw("PUT", "/dir/key%20one", body=b"virtual", headers={"Host": host})
        assert resp.status == 200, resp
        assert s3.get_object(Bucket="vhost", Key="dir/key one")["Body"].read() == b"virtual"
        resp = srv.raw("GET", "/dir/key%20one", headers={"Host": host})
        assert resp.status == 200 and resp.body == b"virtual", resp
        resp = srv.raw("GET", "/", query={"list-type": "2"}, headers={"Host": host})
        assert resp.status == 200 and b"<Key>dir/key one</Key>" in resp.body, resp
        # Path style keeps working on the plain endpoint.
        resp = srv.raw("GET", "/vhost/dir/key%20one")
        assert resp.status == 200 and resp.body == b"virtual", resp
        s3.delete_object(Bucket="vhost", Key="dir/key one")
        s3.delete_bucket(Bucket="vhost")


def test_filecmp_helper_sanity(tmp_path):
    # diff -r must see a difference (guards against a vacuous tree comparison).
    a, b = tmp_path / "a", tmp_path / "b"
    make_tree(str(a), 5, 9)
    make_tree(str(b), 5, 9)
    assert filecmp.dircmp(a, b).diff_files == []
    first = sorted(p for p in a.rglob("*") if p.is_file())[0]
    first.write_bytes(first.read_bytes() + b"!")
    assert run(["diff", "-r", str(a), str(b)], check=False).returncode == 1


# ----------------------------------------------------------------------------------------
# aws-chunked bodies (Java/Go SDKs sign each chunk; recent SDKs send unsigned chunks with a
# checksum trailer), and hand-signed requests botocore would not make.


def test_aws_chunked_signed_upload(server, bucket):
    s3 = server.client()
    for size, chunk in ((0, 8192), (1, 8192), (200_000, 64 * 1024), (65536, 65536)):
        data = os.urandom(size)
        resp = server.put_aws_chunked(f"/{bucket}/chunked-{size}", data, chunk_size=chunk)
        assert resp.status == 200, (size, resp)
        assert resp.headers.get("ETag") == etag_of(data)
        got = s3.get_object(Bucket=bucket, Key=f"chunked-{size}")
        assert got["Body"].read() == data and got["ContentLength"] == size
        assert "aws-chunked" not in (got.get("ContentEncoding") or ""), "aws-chunked is not stored"


def test_aws_chunked_bad_chunk_signature(server, bucket):
    data = os.urandom(150_000)
    resp = server.put_aws_chunked(f"/{bucket}/bad-chunk", data, chunk_size=64 * 1024, corrupt_chunk=1)
    assert resp.status == 403 and resp.error_code() == "SignatureDoesNotMatch", resp
    expect_error(server.client().head_object, "404", 404, Bucket=bucket, Key="bad-chunk")


def test_unsigned_payload_with_checksum_trailer(server, bucket):
    s3 = server.client()
    data = os.urandom(100_000)
    resp = server.put_unsigned_trailer(f"/{bucket}/trailer", data, chunk_size=30000)
    assert resp.status == 200, resp
    assert s3.get_object(Bucket=bucket, Key="trailer")["Body"].read() == data

    resp = server.put_unsigned_trailer(f"/{bucket}/trailer-bad", data,
                                       checksum_b64=base64.b64encode(b"\0\0\0\0").decode())
    assert resp.status == 400 and resp.error_code() in ("BadDigest", "XAmzContentChecksumMismatch"), resp
    expect_error(s3.head_object, "404", 404, Bucket=bucket, Key="trailer-bad")


def test_hand_signed_requests(server, bucket):
    # The hand signer agrees with the server on an ordinary request...
    resp = server.raw_v4("PUT", f"/{bucket}/hand%20signed", body=b"by hand")
    assert resp.status == 200, resp
    resp = server.raw_v4("GET", f"/{bucket}", query={"list-type": "2", "prefix": "hand "})
    assert resp.status == 200 and b"<Key>hand signed</Key>" in resp.body, resp
    # ...UNSIGNED-PAYLOAD is accepted...
    resp = server.raw_v4("PUT", f"/{bucket}/unsigned", body=b"u", payload_hash="UNSIGNED-PAYLOAD")
    assert resp.status == 200, resp
    # ...a date 20 minutes off is RequestTimeTooSkewed...
    old = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)).strftime("%Y%m%dT%H%M%SZ")
    resp = server.raw_v4("GET", f"/{bucket}/unsigned", amz_date=old)
    assert resp.status == 403 and resp.error_code() == "RequestTimeTooSkewed", resp
    # ...and an x-amz-content-sha256 that is no hash at all is refused.
    resp = server.raw_v4("PUT", f"/{bucket}/nothex", body=b"x", payload_hash="nothex")
    assert resp.status == 400 and resp.error_code(), resp
    expect_error(server.client().head_object, "404", 404, Bucket=bucket, Key="nothex")
