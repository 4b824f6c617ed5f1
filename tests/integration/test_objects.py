"""Object APIs through the real gateway: bytes, metadata, ranges, conditions, copies,
batch deletes, keys a POSIX tree cannot hold, and the POSIX view after each test.

Tests taking `any_bucket` run twice, against a gateway with async dirops and one with
sync dirops, and end by checking that ROOT/<bucket> holds exactly the expected files.
"""

import base64
import concurrent.futures
import datetime
import hashlib
import os
import random
import re
import socket
import time

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest
from botocore.exceptions import ClientError

from fsgate_server import etag_of, expect_4xx, expect_error, md5_hex, quote_key, s3_view

AWKWARD_KEYS = [
    "plain",
    "with space",
    "two  spaces and trailing ",
    "plus+sign",
    "percent%20literal",
    "percent%",
    "question?mark",
    "hash#tag",
    "amp&equals=semi;colon:comma,",
    "tilde~star*paren(1)!$@",
    "quote'dquote\"back\\slash",
    "xml<lt>&amp;gt",
    "brackets[]{}|^`",
    "unicode-ü-é-日本語-🙂",
    "ＦＵＬＬ　ＷＩＤＴＨ",
    "-dash-first",
    "_under",
    ".hidden-file",
    "dir/sub dir/file name.txt",
    "/".join(["deep"] * 40) + "/leaf",
    # 1024 bytes, every path component within NAME_MAX.
    "/".join(["k" * 200] * 5) + "/" + "z" * 19,
]
assert len(AWKWARD_KEYS[-1].encode()) == 1024


def rand_bytes(n, seed):
    return random.Random(seed).randbytes(n)


def b64md5(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def check_error_xml(resp, code, status):
    """An S3 error answer: status, <Error> with Code, Message, RequestId = x-amz-request-id."""
    assert resp.status == status, resp
    assert resp.error_code() == code, resp
    assert resp.error_field("Message"), f"error without a Message: {resp}"
    request_id = resp.headers.get("x-amz-request-id")
    assert request_id, "every answer carries x-amz-request-id"
    assert resp.error_field("RequestId") == request_id, resp
    ctype = resp.headers.get("Content-Type", "")
    assert "xml" in ctype, f"error Content-Type {ctype!r}"


@pytest.fixture(autouse=True)
def posix_view_matches_s3_after_each_test(request):
    """After every test: once drained, ROOT/<bucket> holds exactly what S3 serves."""
    targets = []
    if "bucket" in request.fixturenames:
        targets.append((request.getfixturevalue("server"), request.getfixturevalue("bucket")))
    if "any_bucket" in request.fixturenames:
        srv, _, bucket = request.getfixturevalue("any_bucket")
        targets.append((srv, bucket))
    yield
    for srv, bucket in targets:
        if srv.proc is None or not os.path.isdir(os.path.join(srv.root, bucket)):
            continue  # the test deleted its bucket (or stopped its server)
        files, empty_dirs = s3_view(srv.client(), bucket)
        srv.wait_posix_view(bucket, files, empty_dirs)


# --------------------------------------------------------------------------------------
# Round trips


@pytest.mark.parametrize("key", AWKWARD_KEYS, ids=range(len(AWKWARD_KEYS)))
def test_awkward_key_round_trip(any_bucket, key):
    srv, s3, bucket = any_bucket
    data = key.encode() * 3
    put = s3.put_object(Bucket=bucket, Key=key, Body=data)
    assert put["ETag"] == etag_of(data)
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == data
    assert got["ETag"] == etag_of(data)
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == etag_of(data)
    listed = s3.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == [key]
    srv.wait_posix_view(bucket, {key: data})
    assert s3.delete_object(Bucket=bucket, Key=key)["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_error(s3.head_object, "404", 404, Bucket=bucket, Key=key)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    srv.wait_posix_view(bucket, {})


def test_awkward_keys_through_raw_paths(server, bucket):
    """The same keys sent with our own encoding (not boto3's): the server decodes once."""
    for i, key in enumerate(AWKWARD_KEYS):
        path = f"/{bucket}/{quote_key(key)}"
        body = f"raw-{i}".encode()
        resp = server.raw("PUT", path, body=body)
        assert resp.status == 200, (key, resp)
        resp = server.raw("GET", path)
        assert resp.status == 200 and resp.body == body, (key, resp)
    s3 = server.client()
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == sorted(AWKWARD_KEYS, key=lambda k: k.encode())


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 65537, 3 * 1024 * 1024 + 7])
def test_byte_exact_round_trip(any_bucket, size):
    srv, s3, bucket = any_bucket
    data = rand_bytes(size, size)
    put = s3.put_object(Bucket=bucket, Key=f"obj-{size}", Body=data)
    assert put["ETag"] == etag_of(data)
    got = s3.get_object(Bucket=bucket, Key=f"obj-{size}")
    body = got["Body"].read()
    assert len(body) == size and body == data
    assert got["ContentLength"] == size
    assert got["ETag"] == etag_of(data)
    head = s3.head_object(Bucket=bucket, Key=f"obj-{size}")
    assert head["ContentLength"] == size
    assert isinstance(head["LastModified"], datetime.datetime)
    srv.wait_posix_view(bucket, {f"obj-{size}": data})


def test_empty_put_then_put_on_the_same_connection_does_not_stall(server, bucket):
    """botocore sends `Expect: 100-continue` on every PutObject. When a server answers
    an empty-bodied one with the final status without a 100 Continue first, botocore
    keeps that status line for the connection's next 100-continue request and then
    waits for the server to close the connection. S3 sends 100 Continue first; a
    gateway must too, or boto3/aws-cli stall for the idle timeout after empty files."""
    s3 = server.client(max_pool_connections=1)
    for i in range(3):
        start = time.monotonic()
        s3.put_object(Bucket=bucket, Key=f"empty{i}", Body=b"")
        s3.put_object(Bucket=bucket, Key=f"full{i}", Body=b"x")
        assert time.monotonic() - start < 5, "a PUT after an empty PUT stalled on the same connection"
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 6


def _raw_exchange(sock, data, timeout=5.0):
    """Send `data`, read one HTTP response (headers + Content-Length body)."""
    sock.settimeout(timeout)
    if data:
        sock.sendall(data)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return buf
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
    need = int(m.group(1)) if m else 0
    while len(rest) < need:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest


def test_early_answer_to_expect_continue_put_keeps_the_connection_honest(server, bucket):
    """A PUT with `Expect: 100-continue` refused from its headers alone (here
    MetadataTooLarge) is answered without reading the body. If the gateway then closes
    the connection, that answer must say `Connection: close`: botocore otherwise reuses
    the connection and reports a stale, header-less "400" for the next request."""
    headers = {"Expect": "100-continue", "x-amz-meta-big": "v" * 2100, "Content-Length": "5"}
    signed_req = botocore.awsrequest.AWSRequest(method="PUT", url=f"{server.endpoint}/{bucket}/k",
                                                data=b"hello", headers=headers)
    botocore.auth.S3SigV4Auth(botocore.credentials.Credentials(server.access_key, server.secret_key),
                              "s3", "us-east-1").add_auth(signed_req)
    head = f"PUT /{bucket}/k HTTP/1.1\r\nHost: {server.host}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in signed_req.headers.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        answer = _raw_exchange(sock, head.encode())
        assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
        assert b"<Code>MetadataTooLarge</Code>" in answer
        if re.search(rb"(?i)\r\nconnection:\s*close", answer):
            return  # closing is fine when announced
        # Not announced: the connection must still serve the next request.
        req = botocore.awsrequest.AWSRequest(method="GET", url=f"{server.endpoint}/{bucket}")
        botocore.auth.S3SigV4Auth(botocore.credentials.Credentials(server.access_key, server.secret_key),
                                  "s3", "us-east-1").add_auth(req)
        msg = f"GET /{bucket} HTTP/1.1\r\nHost: {server.host}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in req.headers.items()) + "\r\n"
        try:
            answer = _raw_exchange(sock, msg.encode())
        except OSError as e:
            answer = repr(e).encode()
        assert answer.startswith(b"HTTP/1.1 200"), (
            f"keep-alive answer without Connection: close, but the next request got {answer[:120]!r}")


def test_overwrite_and_put_delete_put_order(any_bucket):
    srv, s3, bucket = any_bucket
    for i in range(5):
        s3.put_object(Bucket=bucket, Key="k", Body=f"v{i}".encode())
        assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == f"v{i}".encode()
    s3.delete_object(Bucket=bucket, Key="k")
    expect_error(s3.get_object, "NoSuchKey", 404, Bucket=bucket, Key="k")
    s3.put_object(Bucket=bucket, Key="k", Body=b"last")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"last"
    srv.wait_posix_view(bucket, {"k": b"last"})


def test_content_md5(any_bucket):
    srv, s3, bucket = any_bucket
    data = b"checked body"
    s3.put_object(Bucket=bucket, Key="good", Body=data, ContentMD5=b64md5(data))
    # A well-formed digest of other bytes: BadDigest, and nothing stored.
    expect_error(s3.put_object, "BadDigest", 400, Bucket=bucket, Key="bad", Body=data,
                 ContentMD5=b64md5(b"other bytes"))
    # Not base64 / not 16 bytes: InvalidDigest.
    expect_error(s3.put_object, "InvalidDigest", 400, Bucket=bucket, Key="bad", Body=data,
                 ContentMD5="not-base64!!")
    expect_error(s3.put_object, "InvalidDigest", 400, Bucket=bucket, Key="bad", Body=data,
                 ContentMD5=base64.b64encode(b"short").decode())
    # A bad digest on an existing key leaves the old object in place.
    expect_error(s3.put_object, "BadDigest", 400, Bucket=bucket, Key="good", Body=b"new",
                 ContentMD5=b64md5(b"something else"))
    assert s3.get_object(Bucket=bucket, Key="good")["Body"].read() == data
    expect_error(s3.head_object, "404", 404, Bucket=bucket, Key="bad")
    srv.wait_posix_view(bucket, {"good": data})


def test_system_and_user_metadata_returned_as_sent(any_bucket):
    srv, s3, bucket = any_bucket
    expires = datetime.datetime(2031, 5, 17, 8, 30, 0, tzinfo=datetime.timezone.utc)
    meta = {"color": "blue", "mixed-case-name": "Value With Spaces", "empty": "", "n": "42"}
    data = b"\x1f\x8b fake gzip"
    s3.put_object(Bucket=bucket, Key="m", Body=data, ContentType="application/x-fsgate-test",
                  ContentEncoding="gzip", ContentDisposition='attachment; filename="a b.txt"',
                  ContentLanguage="de-CH", CacheControl="max-age=3600, must-revalidate",
                  Expires=expires, Metadata=meta)
    for resp in (s3.head_object(Bucket=bucket, Key="m"), s3.get_object(Bucket=bucket, Key="m")):
        assert resp["ContentType"] == "application/x-fsgate-test"
        assert resp["ContentEncoding"] == "gzip"
        assert resp["ContentDisposition"] == 'attachment; filename="a b.txt"'
        assert resp["ContentLanguage"] == "de-CH"
        assert resp["CacheControl"] == "max-age=3600, must-revalidate"
        assert resp["Expires"] == expires
        assert resp["Metadata"] == meta
        assert resp["ContentLength"] == len(data)
    # A PUT without metadata replaces it all.
    s3.put_object(Bucket=bucket, Key="m", Body=b"plain")
    head = s3.head_object(Bucket=bucket, Key="m")
    assert head["Metadata"] == {}
    assert "ContentEncoding" not in head and "CacheControl" not in head
    assert head["ContentType"] in ("binary/octet-stream", "application/octet-stream")
    srv.wait_posix_view(bucket, {"m": b"plain"})


def test_user_metadata_case_is_folded(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Metadata={"Camel-Case": "KeepValueCase"})
    assert s3.head_object(Bucket=bucket, Key="k")["Metadata"] == {"camel-case": "KeepValueCase"}


def test_metadata_too_large(any_bucket):
    srv, s3, bucket = any_bucket
    expect_error(s3.put_object, "MetadataTooLarge", 400, Bucket=bucket, Key="big", Body=b"x",
                 Metadata={"big": "v" * 2100})
    expect_error(s3.put_object, "MetadataTooLarge", 400, Bucket=bucket, Key="big", Body=b"x",
                 Metadata={f"k{i:02d}": "v" * 100 for i in range(25)})
    # Just under the 2 KB limit (names + values) is accepted.
    s3.put_object(Bucket=bucket, Key="ok", Body=b"y", Metadata={"a": "v" * 1900})
    expect_error(s3.head_object, "404", 404, Bucket=bucket, Key="big")
    srv.wait_posix_view(bucket, {"ok": b"y"})


# --------------------------------------------------------------------------------------
# Ranges and conditions


def test_range_get(server, s3, bucket):
    data = rand_bytes(1000, 7)
    s3.put_object(Bucket=bucket, Key="r", Body=data)
    cases = {
        "bytes=0-9": (0, 9),
        "bytes=10-": (10, 999),
        "bytes=-5": (995, 999),
        "bytes=990-5000": (990, 999),
        "bytes=999-999": (999, 999),
        "bytes=-5000": (0, 999),
    }
    for rng, (a, b) in cases.items():
        got = s3.get_object(Bucket=bucket, Key="r", Range=rng)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206, rng
        assert got["ContentRange"] == f"bytes {a}-{b}/1000", rng
        assert got["ContentLength"] == b - a + 1, rng
        assert got["Body"].read() == data[a:b + 1], rng
        assert got["ETag"] == etag_of(data)
    for rng in ("bytes=1000-", "bytes=1000-2000", "bytes=5000-6000"):
        err = expect_error(s3.get_object, "InvalidRange", 416, Bucket=bucket, Key="r", Range=rng)
        assert err["ResponseMetadata"]["HTTPHeaders"].get("content-range") == "bytes */1000", rng


def test_range_on_empty_object(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    err = expect_error(s3.get_object, "InvalidRange", 416, Bucket=bucket, Key="empty", Range="bytes=0-0")
    assert err["ResponseMetadata"]["HTTPHeaders"].get("content-range") == "bytes */0"


def test_conditional_get_and_head(server, s3, bucket):
    data = b"conditional"
    s3.put_object(Bucket=bucket, Key="c", Body=data)
    head = s3.head_object(Bucket=bucket, Key="c")
    etag, mtime = head["ETag"], head["LastModified"]
    later = mtime + datetime.timedelta(days=1)
    earlier = mtime - datetime.timedelta(days=1)
    for name, op in (("GET", s3.get_object), ("HEAD", s3.head_object)):
        # Matching conditions: served.
        assert op(Bucket=bucket, Key="c", IfMatch=etag)["ETag"] == etag
        assert op(Bucket=bucket, Key="c", IfNoneMatch='"0123456789abcdef0123456789abcdef"')["ETag"] == etag
        assert op(Bucket=bucket, Key="c", IfModifiedSince=earlier)["ETag"] == etag
        assert op(Bucket=bucket, Key="c", IfUnmodifiedSince=later)["ETag"] == etag
        assert op(Bucket=bucket, Key="c", IfMatch="*")["ETag"] == etag
        # Failing conditions. (HEAD has no body: botocore names a HEAD 412 by itself.)
        code412 = "PreconditionFailed" if name == "GET" else "412"
        expect_error(op, code412, 412, Bucket=bucket, Key="c", IfMatch='"0123456789abcdef0123456789abcdef"')
        expect_error(op, code412, 412, Bucket=bucket, Key="c", IfUnmodifiedSince=earlier)
        expect_error(op, "304", 304, Bucket=bucket, Key="c", IfNoneMatch=etag)
        expect_error(op, "304", 304, Bucket=bucket, Key="c", IfNoneMatch="*")
        expect_error(op, "304", 304, Bucket=bucket, Key="c", IfModifiedSince=mtime)
        expect_error(op, "304", 304, Bucket=bucket, Key="c", IfModifiedSince=later)
        # RFC 7232 order: If-Match true beats a failing If-Unmodified-Since; If-None-Match
        # false beats a true If-Modified-Since.
        assert op(Bucket=bucket, Key="c", IfMatch=etag, IfUnmodifiedSince=earlier)["ETag"] == etag
        expect_error(op, "304", 304, Bucket=bucket, Key="c", IfNoneMatch=etag, IfModifiedSince=earlier)


def test_not_modified_carries_etag(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="c", Body=b"x")
    resp = server.raw("GET", f"/{bucket}/c", headers={"If-None-Match": etag_of(b"x")})
    assert resp.status == 304 and resp.body == b""
    assert resp.headers.get("ETag") == etag_of(b"x")


def test_conditional_put(any_bucket):
    srv, s3, bucket = any_bucket
    path = f"/{bucket}/cp"
    # If-None-Match: * creates only when absent.
    assert srv.raw("PUT", path, body=b"first", headers={"If-None-Match": "*"}).status == 200
    resp = srv.raw("PUT", path, body=b"second", headers={"If-None-Match": "*"})
    assert resp.status == 412 and resp.error_code() == "PreconditionFailed", resp
    assert s3.get_object(Bucket=bucket, Key="cp")["Body"].read() == b"first"
    # If-Match: replaces only the version we saw.
    resp = srv.raw("PUT", path, body=b"third", headers={"If-Match": etag_of(b"stale")})
    assert resp.status == 412 and resp.error_code() == "PreconditionFailed", resp
    resp = srv.raw("PUT", path, body=b"third", headers={"If-Match": etag_of(b"first")})
    assert resp.status == 200, resp
    assert resp.headers.get("ETag") == etag_of(b"third")
    assert s3.get_object(Bucket=bucket, Key="cp")["Body"].read() == b"third"
    # If-Match on an absent key: NoSuchKey.
    resp = srv.raw("PUT", f"/{bucket}/absent", body=b"x", headers={"If-Match": etag_of(b"x")})
    assert resp.status == 404 and resp.error_code() == "NoSuchKey", resp
    # A pending delete counts as absent at once.
    s3.delete_object(Bucket=bucket, Key="cp")
    assert srv.raw("PUT", path, body=b"again", headers={"If-None-Match": "*"}).status == 200
    srv.wait_posix_view(bucket, {"cp": b"again"})


def test_response_content_overrides(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"body", ContentType="text/plain")
    exp = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    got = s3.get_object(Bucket=bucket, Key="o", ResponseContentType="image/png",
                        ResponseContentDisposition="inline; filename=x.png",
                        ResponseCacheControl="no-cache", ResponseContentEncoding="identity",
                        ResponseContentLanguage="fr", ResponseExpires=exp)
    assert got["ContentType"] == "image/png"
    assert got["ContentDisposition"] == "inline; filename=x.png"
    assert got["CacheControl"] == "no-cache"
    assert got["ContentEncoding"] == "identity"
    assert got["ContentLanguage"] == "fr"
    assert got["Expires"] == exp
    assert got["Body"].read() == b"body"
    # The stored metadata is unchanged.
    assert s3.head_object(Bucket=bucket, Key="o")["ContentType"] == "text/plain"


# --------------------------------------------------------------------------------------
# Deletes and errors


def test_delete_absent_object_is_204(any_bucket):
    srv, s3, bucket = any_bucket
    resp = s3.delete_object(Bucket=bucket, Key="never/was/here")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    srv.wait_posix_view(bucket, {})


def test_no_such_key_and_bucket_errors_are_complete(server, bucket):
    for method in ("GET",):
        resp = server.raw(method, f"/{bucket}/missing%20key")
        check_error_xml(resp, "NoSuchKey", 404)
        assert resp.error_field("Key") in (None, "missing key")
        resp = server.raw(method, "/no-such-bucket-fsgate-it/k")
        check_error_xml(resp, "NoSuchBucket", 404)
        resp = server.raw(method, "/no-such-bucket-fsgate-it")
        check_error_xml(resp, "NoSuchBucket", 404)
    # HEAD has no body but still a request id.
    resp = server.raw("HEAD", f"/{bucket}/missing")
    assert resp.status == 404 and resp.body == b""
    assert resp.headers.get("x-amz-request-id")
    # Request ids differ between requests.
    ids = {server.raw("GET", f"/{bucket}/missing").headers.get("x-amz-request-id") for _ in range(5)}
    assert len(ids) == 5


def test_get_of_a_directory_is_no_such_key(any_bucket):
    srv, s3, bucket = any_bucket
    s3.put_object(Bucket=bucket, Key="dir/child", Body=b"c")
    expect_error(s3.get_object, "NoSuchKey", 404, Bucket=bucket, Key="dir")
    expect_error(s3.head_object, "404", 404, Bucket=bucket, Key="dir")
    s3.delete_object(Bucket=bucket, Key="dir")  # deleting a directory's name is a no-op
    assert s3.get_object(Bucket=bucket, Key="dir/child")["Body"].read() == b"c"
    srv.wait_posix_view(bucket, {"dir/child": b"c"})


def test_directory_object(any_bucket):
    srv, s3, bucket = any_bucket
    s3.put_object(Bucket=bucket, Key="folder/", Body=b"")
    head = s3.head_object(Bucket=bucket, Key="folder/")
    assert head["ContentLength"] == 0
    assert head["ETag"] == etag_of(b"")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["folder/"]
    srv.wait_posix_view(bucket, {}, empty_dirs={"folder/"})
    s3.put_object(Bucket=bucket, Key="folder/inside", Body=b"i")
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]) == ["folder/", "folder/inside"]
    s3.delete_object(Bucket=bucket, Key="folder/inside")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["folder/"]
    srv.wait_posix_view(bucket, {}, empty_dirs={"folder/"})
    s3.delete_object(Bucket=bucket, Key="folder/")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    srv.wait_posix_view(bucket, {})


def test_non_empty_directory_object_is_refused(any_bucket):
    srv, s3, bucket = any_bucket
    expect_4xx(s3.put_object, Bucket=bucket, Key="folder/", Body=b"a directory cannot hold bytes")
    srv.wait_posix_view(bucket, {})


# --------------------------------------------------------------------------------------
# Copies


def test_copy_object_directives(any_bucket):
    srv, s3, bucket = any_bucket
    data = rand_bytes(70000, 3)
    s3.put_object(Bucket=bucket, Key="src", Body=data, ContentType="text/x-src", Metadata={"a": "1"})
    resp = s3.copy_object(Bucket=bucket, Key="dst copy", CopySource={"Bucket": bucket, "Key": "src"})
    assert resp["CopyObjectResult"]["ETag"] == etag_of(data)
    head = s3.head_object(Bucket=bucket, Key="dst copy")
    assert head["Metadata"] == {"a": "1"} and head["ContentType"] == "text/x-src"
    assert s3.get_object(Bucket=bucket, Key="dst copy")["Body"].read() == data
    s3.copy_object(Bucket=bucket, Key="dst replace", CopySource={"Bucket": bucket, "Key": "src"},
                   MetadataDirective="REPLACE", ContentType="text/x-new", Metadata={"b": "2"})
    head = s3.head_object(Bucket=bucket, Key="dst replace")
    assert head["Metadata"] == {"b": "2"} and head["ContentType"] == "text/x-new"
    assert head["ETag"] == etag_of(data)
    # The source is untouched.
    head = s3.head_object(Bucket=bucket, Key="src")
    assert head["Metadata"] == {"a": "1"} and head["ContentType"] == "text/x-src"
    srv.wait_posix_view(bucket, {"src": data, "dst copy": data, "dst replace": data})


def test_copy_across_buckets_and_from_pending_put(any_bucket):
    srv, s3, bucket = any_bucket
    other = bucket + "-other"
    s3.create_bucket(Bucket=other)
    try:
        # Copy immediately after the PUT: the source may still be pending.
        for i in range(5):
            body = f"pending source {i}".encode()
            s3.put_object(Bucket=bucket, Key="fresh", Body=body)
            s3.copy_object(Bucket=other, Key=f"c/{i}", CopySource={"Bucket": bucket, "Key": "fresh"})
            assert s3.get_object(Bucket=other, Key=f"c/{i}")["Body"].read() == body
        srv.wait_posix_view(other, {f"c/{i}": f"pending source {i}".encode() for i in range(5)})
        for i in range(5):
            s3.delete_object(Bucket=other, Key=f"c/{i}")
    finally:
        s3.delete_bucket(Bucket=other)
    srv.wait_posix_view(bucket, {"fresh": b"pending source 4"})


def test_copy_source_conditions(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"s")
    head = s3.head_object(Bucket=bucket, Key="src")
    etag, mtime = head["ETag"], head["LastModified"]
    earlier = mtime - datetime.timedelta(days=1)
    later = mtime + datetime.timedelta(days=1)
    src = {"Bucket": bucket, "Key": "src"}
    bad = '"0123456789abcdef0123456789abcdef"'
    s3.copy_object(Bucket=bucket, Key="ok1", CopySource=src, CopySourceIfMatch=etag)
    s3.copy_object(Bucket=bucket, Key="ok2", CopySource=src, CopySourceIfNoneMatch=bad)
    s3.copy_object(Bucket=bucket, Key="ok3", CopySource=src, CopySourceIfModifiedSince=earlier)
    s3.copy_object(Bucket=bucket, Key="ok4", CopySource=src, CopySourceIfUnmodifiedSince=later)
    expect_error(s3.copy_object, "PreconditionFailed", 412, Bucket=bucket, Key="no1", CopySource=src,
                 CopySourceIfMatch=bad)
    expect_error(s3.copy_object, "PreconditionFailed", 412, Bucket=bucket, Key="no2", CopySource=src,
                 CopySourceIfNoneMatch=etag)
    expect_error(s3.copy_object, "PreconditionFailed", 412, Bucket=bucket, Key="no3", CopySource=src,
                 CopySourceIfModifiedSince=later)
    expect_error(s3.copy_object, "PreconditionFailed", 412, Bucket=bucket, Key="no4", CopySource=src,
                 CopySourceIfUnmodifiedSince=earlier)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == ["ok1", "ok2", "ok3", "ok4", "src"]


def test_copy_onto_itself(any_bucket):
    srv, s3, bucket = any_bucket
    s3.put_object(Bucket=bucket, Key="self", Body=b"me", Metadata={"v": "1"})
    src = {"Bucket": bucket, "Key": "self"}
    expect_error(s3.copy_object, "InvalidRequest", 400, Bucket=bucket, Key="self", CopySource=src)
    assert s3.head_object(Bucket=bucket, Key="self")["Metadata"] == {"v": "1"}
    s3.copy_object(Bucket=bucket, Key="self", CopySource=src, MetadataDirective="REPLACE",
                   Metadata={"v": "2"}, ContentType="text/plain")
    head = s3.head_object(Bucket=bucket, Key="self")
    assert head["Metadata"] == {"v": "2"} and head["ContentType"] == "text/plain"
    assert s3.get_object(Bucket=bucket, Key="self")["Body"].read() == b"me"
    srv.wait_posix_view(bucket, {"self": b"me"})


def test_copy_source_url_encoded(server, s3, bucket):
    key = "dir with space/ünïcode 日本 +plus%.txt"
    s3.put_object(Bucket=bucket, Key=key, Body=b"encoded source")
    # boto3 encodes CopySource itself.
    s3.copy_object(Bucket=bucket, Key="copy1", CopySource={"Bucket": bucket, "Key": key})
    # By hand, with and without the leading slash.
    for i, src in enumerate([f"/{bucket}/{quote_key(key)}", f"{bucket}/{quote_key(key)}"]):
        resp = server.raw("PUT", f"/{bucket}/copy-raw-{i}", headers={"x-amz-copy-source": src})
        assert resp.status == 200 and b"<ETag>" in resp.body, resp
        assert s3.get_object(Bucket=bucket, Key=f"copy-raw-{i}")["Body"].read() == b"encoded source"
    assert s3.get_object(Bucket=bucket, Key="copy1")["Body"].read() == b"encoded source"


def test_copy_errors(server, s3, bucket):
    expect_error(s3.copy_object, "NoSuchKey", 404, Bucket=bucket, Key="d",
                 CopySource={"Bucket": bucket, "Key": "missing"})
    expect_error(s3.copy_object, "NoSuchBucket", 404, Bucket=bucket, Key="d",
                 CopySource={"Bucket": "no-such-bucket-fsgate-it", "Key": "k"})
    resp = server.raw("PUT", f"/{bucket}/d", headers={"x-amz-copy-source": "nobucketnokey"})
    assert 400 <= resp.status < 500 and resp.error_code(), resp
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


# --------------------------------------------------------------------------------------
# DeleteObjects


def _put_many(s3, bucket, keys, body=b"x"):
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=body), keys))


def test_delete_objects_1000(any_bucket):
    srv, s3, bucket = any_bucket
    keys = [f"d{i % 10}/k{i:04d}" for i in range(1000)]
    _put_many(s3, bucket, keys)
    s3.put_object(Bucket=bucket, Key="keep", Body=b"keep")
    resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
    assert sorted(d["Key"] for d in resp.get("Deleted", [])) == sorted(keys)
    assert not resp.get("Errors")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["keep"]
    srv.wait_posix_view(bucket, {"keep": b"keep"})


def test_delete_objects_quiet_and_absent_keys(any_bucket):
    srv, s3, bucket = any_bucket
    keys = [f"q/{i}" for i in range(20)]
    _put_many(s3, bucket, keys)
    resp = s3.delete_objects(Bucket=bucket, Delete={"Quiet": True,
                                                    "Objects": [{"Key": k} for k in keys + ["absent"]]})
    assert not resp.get("Deleted"), "Quiet mode reports only errors"
    assert not resp.get("Errors")
    # Absent keys are reported as deleted (S3 semantics).
    resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "absent2"}]})
    assert [d["Key"] for d in resp["Deleted"]] == ["absent2"]
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    srv.wait_posix_view(bucket, {})


def test_delete_objects_over_1000_is_malformed(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k0", Body=b"x")
    expect_error(s3.delete_objects, "MalformedXML", 400, Bucket=bucket,
                 Delete={"Objects": [{"Key": f"k{i}"} for i in range(1001)]})
    assert s3.get_object(Bucket=bucket, Key="k0")["Body"].read() == b"x"


def test_delete_objects_malformed_body(server, s3, bucket):
    body = b"<Delete><Object><Key>a</Key></Object>"
    resp = server.raw("POST", f"/{bucket}", query={"delete": ""}, body=body,
                      headers={"Content-MD5": b64md5(body)})
    assert resp.status == 400 and resp.error_code() == "MalformedXML", resp


# --------------------------------------------------------------------------------------
# Keys a POSIX tree cannot hold


UNHOLDABLE_RAW_PATHS = [
    "a/../b",
    "a/%2E%2E/b",
    "../escape",
    "%2E%2E/escape",
    "..",
    ".",
    "a//b",
    "./a",
    "a/./b",
    "x" * 256,
    "d/" + "y" * 256 + "/z",
    ".fsgate/x",
    "%2Efsgate/staging/x",
]


@pytest.mark.parametrize("path", UNHOLDABLE_RAW_PATHS, ids=lambda p: p[:40])
def test_unholdable_keys_are_refused(any_bucket, path):
    srv, s3, bucket = any_bucket
    before_root = sorted(os.listdir(os.path.dirname(srv.root)))
    for method, body in (("PUT", b"data"), ("GET", b""), ("HEAD", b""), ("DELETE", b"")):
        resp = srv.raw(method, f"/{bucket}/{path}", body=body)
        if method == "PUT":
            assert 400 <= resp.status < 500, (method, path, resp)
            assert resp.error_code(), (method, path, resp)
        elif method in ("GET", "HEAD"):
            assert 400 <= resp.status < 500, (method, path, resp)
        else:
            assert resp.status == 204 or 400 <= resp.status < 500, (method, path, resp)
    # Through boto3 too (it sends the key percent-encoded).
    key = path.replace("%2E", ".")
    expect_4xx(s3.put_object, Bucket=bucket, Key=key, Body=b"data")
    expect_4xx(s3.copy_object, Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": "nothing"})
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    srv.wait_posix_view(bucket, {})
    assert sorted(os.listdir(os.path.dirname(srv.root))) == before_root, "nothing written outside ROOT"
    assert not os.path.exists(os.path.join(srv.root, bucket, "b"))
    assert not os.path.exists(os.path.join(srv.root, "escape"))


def test_multipart_on_unholdable_key_is_refused(server, s3, bucket):
    try:
        up = s3.create_multipart_upload(Bucket=bucket, Key="a/../b")
    except ClientError as e:  # refusing at create is the expected answer
        assert 400 <= e.response["ResponseMetadata"]["HTTPStatusCode"] < 500, e.response
        return
    # Refusing at complete is acceptable too, but then with a 4xx.
    part = s3.upload_part(Bucket=bucket, Key="a/../b", UploadId=up["UploadId"], PartNumber=1, Body=b"x")
    expect_4xx(s3.complete_multipart_upload, Bucket=bucket, Key="a/../b", UploadId=up["UploadId"],
               MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_object_where_a_directory_stands_and_vice_versa(any_bucket):
    srv, s3, bucket = any_bucket
    s3.put_object(Bucket=bucket, Key="dir/child", Body=b"child")
    s3.put_object(Bucket=bucket, Key="file", Body=b"file")
    # Both still pending (async): the conflict must be seen in the overlay already.
    expect_4xx(s3.put_object, Bucket=bucket, Key="dir", Body=b"would replace a directory")
    expect_4xx(s3.put_object, Bucket=bucket, Key="file/child", Body=b"would need file to be a dir")
    expect_4xx(s3.put_object, Bucket=bucket, Key="file/deeper/child", Body=b"x")
    expect_4xx(s3.copy_object, Bucket=bucket, Key="dir", CopySource={"Bucket": bucket, "Key": "file"})
    assert s3.get_object(Bucket=bucket, Key="dir/child")["Body"].read() == b"child"
    assert s3.get_object(Bucket=bucket, Key="file")["Body"].read() == b"file"
    srv.wait_posix_view(bucket, {"dir/child": b"child", "file": b"file"})
    # Once the blocker is deleted, the other shape is allowed at once.
    s3.delete_object(Bucket=bucket, Key="file")
    s3.put_object(Bucket=bucket, Key="file/child", Body=b"now a dir")
    s3.delete_object(Bucket=bucket, Key="dir/child")
    s3.put_object(Bucket=bucket, Key="dir", Body=b"now a file")
    assert s3.get_object(Bucket=bucket, Key="file/child")["Body"].read() == b"now a dir"
    assert s3.get_object(Bucket=bucket, Key="dir")["Body"].read() == b"now a file"
    srv.wait_posix_view(bucket, {"file/child": b"now a dir", "dir": b"now a file"})


def test_empty_key_component_edge_cases_do_not_500(server, s3, bucket):
    for path in ("a/b//", "//a", "a\x00b".replace("\x00", "%00")):
        resp = server.raw("PUT", f"/{bucket}/{path}", body=b"x")
        assert resp.status < 500, (path, resp)
        if resp.status >= 400:
            assert resp.error_code(), (path, resp)
    assert not os.path.exists(os.path.join(os.path.dirname(server.root), "a"))


# --------------------------------------------------------------------------------------
# The POSIX view in the other direction: files written by other programs


def test_files_written_by_other_programs_are_objects(any_bucket):
    srv, s3, bucket = any_bucket
    top = os.path.join(srv.root, bucket)
    os.makedirs(os.path.join(top, "ext dir"))
    data = rand_bytes(5000, 11)
    with open(os.path.join(top, "ext dir", "file.bin"), "wb") as f:
        f.write(data)
    got = s3.get_object(Bucket=bucket, Key="ext dir/file.bin")
    assert got["Body"].read() == data
    etag1 = got["ETag"]
    assert etag1.startswith('"') and etag1.endswith('"') and len(etag1) > 2
    assert s3.head_object(Bucket=bucket, Key="ext dir/file.bin")["ETag"] == etag1, "stable ETag"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["ext dir/file.bin"]
    # Changing the file changes the ETag.
    time.sleep(0.01)
    with open(os.path.join(top, "ext dir", "file.bin"), "ab") as f:
        f.write(b"more")
    head = s3.head_object(Bucket=bucket, Key="ext dir/file.bin")
    assert head["ContentLength"] == 5004 and head["ETag"] != etag1
    s3.delete_object(Bucket=bucket, Key="ext dir/file.bin")
    expect_error(s3.head_object, "404", 404, Bucket=bucket, Key="ext dir/file.bin")
    srv.wait_posix_view(bucket, {})


def test_a_read_metadata_record_follows_every_change_of_the_file(any_bucket):
    """A GET or HEAD of a file unchanged for over a second takes its metadata
    record from what an earlier read kept (no xattr read): a record rewritten
    beside the gateway, one removed, and the gateway's own rewrites (tags, ACL)
    are each seen by the very next read."""
    srv, s3, bucket = any_bucket
    s3.put_object(Bucket=bucket, Key="a", Body=b"same size", ContentType="text/a", Metadata={"m": "1"})
    s3.put_object(Bucket=bucket, Key="b", Body=b"size same", ContentType="text/b", Metadata={"m": "2"})
    srv.wait_drained()
    time.sleep(1.2)  # older than the racy margin: the next read may keep the record
    for _ in range(2):
        head = s3.head_object(Bucket=bucket, Key="a")
        assert head["ContentType"] == "text/a" and head["Metadata"] == {"m": "1"}
    path_a = os.path.join(srv.root, bucket, "a")
    path_b = os.path.join(srv.root, bucket, "b")
    # Rewritten beside the gateway, in the same clock tick as the read: b's record on a.
    os.setxattr(path_a, "user.fsgate.m", os.getxattr(path_b, "user.fsgate.m"))
    got = s3.get_object(Bucket=bucket, Key="a")
    assert got["ContentType"] == "text/b" and got["Metadata"] == {"m": "2"}
    assert got["ETag"] == etag_of(b"size same") and got["Body"].read() == b"same size"
    time.sleep(1.2)
    s3.head_object(Bucket=bucket, Key="a")
    s3.head_object(Bucket=bucket, Key="a")
    # The gateway's own rewrites of the record.
    s3.put_object_tagging(Bucket=bucket, Key="a", Tagging={"TagSet": [{"Key": "t", "Value": "v"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="a")["TagSet"] == [{"Key": "t", "Value": "v"}]
    assert s3.get_object(Bucket=bucket, Key="a")["TagCount"] == 1
    time.sleep(1.2)
    s3.head_object(Bucket=bucket, Key="a")
    # Removed beside the gateway: a foreign file's defaults and derived ETag.
    os.removexattr(path_a, "user.fsgate.m")
    head = s3.head_object(Bucket=bucket, Key="a")
    assert head["ContentType"] == "binary/octet-stream" and head["Metadata"] == {}
    assert head["ETag"].endswith('-1"')
    srv.wait_posix_view(bucket, {"a": b"same size", "b": b"size same"})


def test_fsgate_files_are_plain_with_md5_etag_after_restart(server, s3, bucket):
    data = rand_bytes(12345, 5)
    s3.put_object(Bucket=bucket, Key="p/q", Body=data, Metadata={"m": "v"}, ContentType="a/b")
    server.wait_posix_view(bucket, {"p/q": data})
    server.restart()
    s3 = server.client()
    head = s3.head_object(Bucket=bucket, Key="p/q")
    assert head["ETag"] == etag_of(data) and head["Metadata"] == {"m": "v"} and head["ContentType"] == "a/b"
    assert md5_hex(open(os.path.join(server.root, bucket, "p", "q"), "rb").read()) == md5_hex(data)


# --------------------------------------------------------------------------------------
# Sync dirops: on disk at the answer


def test_sync_dirops_are_on_disk_at_the_answer(any_bucket):
    """--dirops sync, or the x-fsgate-dirops: sync header on the async gateway: the
    create/unlink is in the filesystem when the answer arrives (no waiting)."""
    srv, s3, bucket = any_bucket
    top = os.path.join(srv.root, bucket)
    header = {} if srv.dirops == "sync" else {"x-fsgate-dirops": "sync"}
    for i in range(5):
        key = f"s/{i}/obj"
        body = f"sync {i}".encode()
        resp = srv.raw("PUT", f"/{bucket}/{key}", body=body, headers=header)
        assert resp.status == 200, resp
        with open(os.path.join(top, key), "rb") as f:
            assert f.read() == body, "answered sync PUT not on disk"
        resp = srv.raw("DELETE", f"/{bucket}/{key}", headers=header)
        assert resp.status == 204, resp
        assert not os.path.exists(os.path.join(top, key)), "answered sync DELETE still on disk"
    srv.wait_posix_view(bucket, {})


def _open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_no_fd_leak_on_errors_and_dropped_connections(server, bucket):
    s3 = server.client()
    s3.put_object(Bucket=bucket, Key="k", Body=b"x" * 1000)
    server.wait_drained()
    pid = server.proc.pid

    def burst():
        for i in range(30):
            expect_error(s3.get_object, "NoSuchKey", 404, Bucket=bucket, Key=f"missing{i}")
            expect_4xx(s3.put_object, Bucket=bucket, Key="a/../b", Body=b"x")
            s3.get_object(Bucket=bucket, Key="k", Range="bytes=0-10")["Body"].read()
            s3.put_object(Bucket=bucket, Key=f"t{i}", Body=b"y")
            s3.delete_object(Bucket=bucket, Key=f"t{i}")
        # Connections dropped mid-request (headers only, half a body, half a response).
        for i in range(10):
            with socket.create_connection(("127.0.0.1", server.port)) as sock:
                sock.sendall(f"PUT /{bucket}/drop{i} HTTP/1.1\r\nHost: {server.host}\r\n"
                             f"Content-Length: 100000\r\n\r\n".encode() + b"z" * 500)
            url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
            with socket.create_connection(("127.0.0.1", server.port)) as sock:
                sock.sendall(f"GET {url.split(server.host, 1)[1]} HTTP/1.1\r\nHost: {server.host}\r\n\r\n".encode())
                sock.recv(10)
        server.wait_drained()

    def settled_fds():
        # A closed connection's resources may be released lazily (e.g. at the next
        # accept): give the server a moment and a fresh connection, then count.
        time.sleep(0.5)
        server.raw("GET", f"/{bucket}/k")
        time.sleep(0.2)
        server.raw("GET", f"/{bucket}/k")
        time.sleep(0.2)
        return _open_fds(pid)

    burst()  # warm up pools, caches, staging inodes
    before = settled_fds()
    for _ in range(3):
        burst()
    after = settled_fds()
    # 90 failed/odd requests and 60 dropped connections later: at most one connection's
    # worth of descriptors (socket + event loop) more.
    assert after <= before + 4, f"open fds grew from {before} to {after}"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["k"]


def test_put_cut_off_mid_body_leaves_no_trace(any_bucket):
    """Atomicity: a PUT whose client vanishes mid-body is not an object, and does not
    replace the object it would have overwritten — through S3 and on disk."""
    srv, s3, bucket = any_bucket
    s3.put_object(Bucket=bucket, Key="over", Body=b"old bytes")
    for key in ("new/cut", "over"):
        data = rand_bytes(200_000, 99)
        headers, _, _, _ = srv.sign_v4("PUT", f"/{bucket}/{key}", "", {"Content-Length": str(len(data))},
                                       "UNSIGNED-PAYLOAD")
        head = f"PUT /{bucket}/{key} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        with socket.create_connection(("127.0.0.1", srv.port)) as sock:
            sock.sendall(head.encode() + data[:120_000])
            time.sleep(0.2)
        time.sleep(0.3)
    expect_error(s3.head_object, "404", 404, Bucket=bucket, Key="new/cut")
    assert s3.get_object(Bucket=bucket, Key="over")["Body"].read() == b"old bytes"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["over"]
    srv.wait_posix_view(bucket, {"over": b"old bytes"})


def test_non_ascii_user_metadata_is_rfc2047(server, s3, bucket):
    # S3 decodes encoded words on the way in and encodes what is not printable
    # US-ASCII on the way out.
    s3.put_object(Bucket=bucket, Key="m", Body=b"x", Metadata={
        "word": "=?UTF-8?B?w6l0w6k=?=", "ascii": "=?UTF-8?Q?plain_text?=", "raw": "as sent"})
    for got in (s3.head_object(Bucket=bucket, Key="m"), s3.get_object(Bucket=bucket, Key="m")):
        assert got["Metadata"] == {"word": "=?UTF-8?B?w6l0w6k=?=", "ascii": "plain text",
                                   "raw": "as sent"}


def test_raw_utf8_user_metadata_comes_back_rfc2047_encoded(server, s3, bucket):
    # A client that sends the UTF-8 bytes themselves (curl, SigV4 over the same bytes).
    value = "été ok"
    h, _, _, _ = server.sign_v4("PUT", f"/{bucket}/raw", "", {"x-amz-meta-u": value},
                                hashlib.sha256(b"x").hexdigest())
    h["x-amz-meta-u"] = value.encode().decode("latin-1")  # http.client sends it byte for byte
    r = server.raw("PUT", f"/{bucket}/raw", headers=h, body=b"x", sign=False)
    assert r.status == 200, r
    for method in ("HEAD", "GET"):
        assert server.raw(method, f"/{bucket}/raw").headers["x-amz-meta-u"] == "=?UTF-8?B?w6l0w6kgb2s=?="
    assert s3.head_object(Bucket=bucket, Key="raw")["Metadata"] == {"u": "=?UTF-8?B?w6l0w6kgb2s=?="}


def test_encoded_control_bytes_never_reach_a_header_raw(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="m", Body=b"x",
                  Metadata={"evil": "=?UTF-8?Q?a=0D=0AX-Forged:_1?="})
    r = server.raw("HEAD", f"/{bucket}/m")
    assert r.status == 200
    assert r.headers.get("x-amz-meta-evil") == "=?UTF-8?B?YQ0KWC1Gb3JnZWQ6IDE=?="
    assert r.headers.get("X-Forged") is None


def test_storage_class_standard_only(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="std", Body=b"x", StorageClass="STANDARD")
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["StorageClass"]) for o in listed] == [("std", "STANDARD")]
    for cls in ("GLACIER", "BOGUS"):
        err = expect_error(s3.put_object, "InvalidStorageClass", 400, Bucket=bucket, Key="k",
                           Body=b"x", StorageClass=cls)
        assert err["Error"]["Message"] == "The storage class you specified is not valid"
        expect_error(s3.copy_object, "InvalidStorageClass", 400, Bucket=bucket, Key="k",
                     CopySource={"Bucket": bucket, "Key": "std"}, StorageClass=cls)
        expect_error(s3.create_multipart_upload, "InvalidStorageClass", 400, Bucket=bucket,
                     Key="k", StorageClass=cls)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["std"]
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_delete_objects_of_keys_of_whitespace(any_bucket):
    """<Key> </Key> names the key " ": the XML body keeps an element's only
    whitespace (it once came out as an empty key, and the object stayed)."""
    srv, s3, bucket = any_bucket
    keys = [" ", "_ _", "  ", "\t"]
    _put_many(s3, bucket, keys)
    resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
    assert not resp.get("Errors"), resp.get("Errors")
    assert sorted(d["Key"] for d in resp["Deleted"]) == sorted(keys)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_content_encoding_is_kept_as_sent_but_aws_chunked(server, s3, bucket):
    for sent, stored in [("deflate, gzip", "deflate, gzip"), ("gzip,br", "gzip,br"),
                         ("gzip, aws-chunked", "gzip"), ("aws-chunked,deflate, gzip", "deflate, gzip")]:
        s3.put_object(Bucket=bucket, Key="enc", Body=b"x", ContentEncoding=sent)
        assert s3.head_object(Bucket=bucket, Key="enc")["ContentEncoding"] == stored, sent
