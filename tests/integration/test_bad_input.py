"""Bad input: the exact S3 error, nothing changed, no crash, no fd leak, no escape.

Every refused request here is checked for its HTTP status, its XML Code and
Message, a RequestId in the body equal to the x-amz-request-id header, and a
tree under ROOT (ROOT/.fsgate aside) identical before and after. Requests are
built by hand on raw sockets so that nothing is cleaned up by a client
library on the way. The module runs once with async and once with sync
dirops; each run ends by abandoning 200 connections mid-request and checking
that the gateway's open descriptors come back to where they started once its
read timeout has cut them.
"""

import base64
import contextlib
import hashlib
import http.client
import os
import re
import shutil
import socket
import tempfile
import time
import urllib.parse

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest

from fsgate_server import REGION, FsgateServer, quote_key, quote_query

READ_TIMEOUT = 2  # --read-timeout and --idle-timeout of the module's gateway
BUCKET = "robust-bucket"
EXISTING = {"existing": b"existing object\n", "dir/inner": b"inner object\n"}

# AWS's messages for the codes whose text the gateway does not specialise.
AWS_MESSAGES = {
    "MissingContentLength": "You must provide the Content-Length HTTP header.",
    "MalformedXML": "The XML you provided was not well-formed or did not validate against our "
                    "published schema",
    "NoSuchUpload": "The specified upload does not exist. The upload ID may be invalid, or the "
                    "upload may have been aborted or completed.",
    "BadDigest": "The Content-MD5 you specified did not match what we received.",
    "InvalidDigest": "The Content-MD5 you specified is not valid.",
    "XAmzContentSHA256Mismatch": "The provided 'x-amz-content-sha256' header does not match what "
                                 "was computed.",
    "MethodNotAllowed": "The specified method is not allowed against this resource.",
    "InvalidURI": "Couldn't parse the specified URI.",
}
# Codes whose message the gateway extends with the reason: AWS's text is its start.
AWS_MESSAGE_PREFIXES = {
    "KeyTooLongError": "Your key is too long",
    "InvalidBucketName": "The specified bucket is not valid",
}


# -- the module's gateway ------------------------------------------------------


@pytest.fixture(scope="module", params=["async", "sync"])
def srv(request):
    server = FsgateServer(dirops=request.param,
                          extra_args=["--read-timeout", str(READ_TIMEOUT),
                                      "--idle-timeout", str(READ_TIMEOUT)])
    server.start()
    try:
        client = server.client()
        client.create_bucket(Bucket=BUCKET)
        for key, data in EXISTING.items():
            client.put_object(Bucket=BUCKET, Key=key, Body=data)
        server.wait_drained()
        # Warm up what opens lazily (a first error, a first listing, a first
        # multipart upload), then take the descriptor baseline.
        client.list_objects_v2(Bucket=BUCKET)
        upload = client.create_multipart_upload(Bucket=BUCKET, Key="warmup")["UploadId"]
        client.abort_multipart_upload(Bucket=BUCKET, Key="warmup", UploadId=upload)
        with contextlib.suppress(Exception):
            client.get_object(Bucket=BUCKET, Key="nothing-here")
        server.wait_drained()
        time.sleep(0.3)
        server.fd_baseline = fd_count(server)
        yield server
        server.stop()
    finally:
        server.cleanup()


@pytest.fixture(autouse=True)
def alive_after(srv):
    yield
    assert srv.proc is not None and srv.proc.poll() is None, f"fsgate died:\n{srv.log_tail()}"
    # A well-formed request still works on a fresh connection.
    r = request(srv, "GET", f"/{BUCKET}/existing")
    if r.status != 200 or r.body != EXISTING["existing"]:
        # Put it back so that one failure does not cascade into every later test.
        srv.client().put_object(Bucket=BUCKET, Key="existing", Body=EXISTING["existing"])
        raise AssertionError(f"the test changed or lost {BUCKET}/existing: {r}")


def fd_count(server):
    return len(os.listdir(f"/proc/{server.proc.pid}/fd"))


# -- the tree under ROOT --------------------------------------------------------


def snapshot(root):
    """{relative path: what it is}, ROOT/.fsgate aside; symlinks are not followed."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d != ".fsgate"]
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            st = os.lstat(path)
            if os.path.islink(path):
                out[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                out[rel] = ("dir",)
            else:
                with open(path, "rb") as f:
                    out[rel] = ("file", st.st_size, hashlib.sha256(f.read()).hexdigest())
    return out


@contextlib.contextmanager
def unchanged(srv):
    """The tree under ROOT (ROOT/.fsgate aside) is the same after the block."""
    srv.wait_drained()
    before = snapshot(srv.root)
    yield
    srv.wait_drained()
    after = snapshot(srv.root)
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in before if k in after and before[k] != after[k])
    assert (added, removed, changed) == ([], [], []), \
        f"tree changed: added {added} removed {removed} changed {changed}"


# -- raw requests -----------------------------------------------------------------


class Response:
    def __init__(self, status, headers, body, closed):
        self.status = status
        self.headers = headers
        self.body = body
        self.closed = closed  # the server closed the connection after answering

    def field(self, name):
        m = re.search(rb"<" + name.encode() + rb">([^<]*)</" + name.encode() + rb">", self.body or b"")
        return m.group(1).decode() if m else None

    def __repr__(self):
        return f"Response({self.status}, {dict(self.headers or {})}, {self.body[:400]!r})"


def connect(srv, timeout=10):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_response(sock, method="GET"):
    resp = http.client.HTTPResponse(sock, method=method)
    resp.begin()
    body = resp.read()
    closed = resp.will_close
    return Response(resp.status, resp.headers, body, closed)


def build_head(srv, method, target, headers=None, body=b"", payload_hash=None, sign=True,
               content_length=True):
    """Request line and headers, SigV4-signed over the path and query exactly as sent."""
    path, _, qs = target.partition("?")
    headers = dict(headers or {})
    if sign:
        if payload_hash is None:
            payload_hash = hashlib.sha256(body).hexdigest()
        headers, _, _, _ = srv.sign_v4(method, canonical_path(path), canonical_query(qs), headers,
                                       payload_hash)
    else:
        headers = {k.lower(): v for k, v in headers.items()}
        headers.setdefault("host", srv.host)
    if content_length is True:
        if body or method in ("PUT", "POST"):
            headers["content-length"] = str(len(body))
    elif content_length is not None:
        headers["content-length"] = str(content_length)
    lines = [f"{method} {target} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def canonical_path(path):
    """SigV4's canonical URI of a path as the gateway computes it: escapes decoded, then
    every byte but unreserved ones and '/' encoded (so "%2e" signs as ".")."""
    if re.search(r"%(?![0-9A-Fa-f]{2})", path):
        return path  # not decodable: refused before the signature matters
    # An encoded '/' stays encoded: it is part of a name, not a boundary.
    return "%2F".join(urllib.parse.quote(urllib.parse.unquote_to_bytes(piece), safe="/-_.~")
                      for piece in re.split(r"%2[Ff]", path))


def canonical_query(qs):
    if not qs:
        return ""
    pairs = []
    for part in qs.split("&"):
        k, _, v = part.partition("=")
        pairs.append((urllib.parse.quote(urllib.parse.unquote(k), safe="-_.~"),
                      urllib.parse.quote(urllib.parse.unquote(v), safe="-_.~")))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def request(srv, method, target, headers=None, body=b"", payload_hash=None, sign=True,
            content_length=True, send=None):
    """One request on a fresh connection; `send` replaces the bytes after the head."""
    head = build_head(srv, method, target, headers, body, payload_hash, sign, content_length)
    with connect(srv) as s:
        s.sendall(head + (body if send is None else send))
        return read_response(s, method)


def send_bytes(srv, data, shut_wr=False):
    """Raw bytes on a fresh connection; the response, or None when the server just closed."""
    with connect(srv) as s:
        s.sendall(data)
        if shut_wr:
            s.shutdown(socket.SHUT_WR)
        try:
            return read_response(s)
        except (http.client.RemoteDisconnected, ConnectionResetError, http.client.BadStatusLine):
            return None


def assert_error(r, status, code, head=False, message=None):
    assert r is not None, f"no response, expected {status} {code}"
    assert (r.status, None if head else r.field("Code")) == (status, None if head else code), r
    request_id = r.headers.get("x-amz-request-id")
    assert request_id, f"no x-amz-request-id header: {r}"
    if head:
        return
    assert r.headers.get("Content-Type") == "application/xml", r
    assert r.field("RequestId") == request_id, f"body RequestId != x-amz-request-id: {r}"
    got = r.field("Message")
    assert got, f"no Message: {r}"
    if message is not None:
        assert got == message, r
    elif code in AWS_MESSAGES:
        assert got == AWS_MESSAGES[code], r
    if code in AWS_MESSAGE_PREFIXES:
        assert got.startswith(AWS_MESSAGE_PREFIXES[code]), r


def expect(srv, status, code, method, target, message=None, **kw):
    """The request is refused with exactly (status, code) and the tree is unchanged."""
    with unchanged(srv):
        r = request(srv, method, target, **kw)
        assert_error(r, status, code, head=method == "HEAD", message=message)
    return r


def obj(key):
    return f"/{BUCKET}/{quote_key(key)}"


def get_ok(srv, key):
    r = request(srv, "GET", obj(key))
    assert r.status == 200, r
    return r.body


# -- the HTTP layer ----------------------------------------------------------------


@pytest.mark.parametrize("raw", [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET  HTTP/1.1\r\nHost: x\r\n\r\n",
    b"\x00\x01\x02\x03\r\n\r\n",
    b"GET /robust-bucket/existing HTTP/1.1\r\nHost x\r\n\r\n",
    b"GET /robust-bucket/existing HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"PUT /robust-bucket/k HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    b"GET /robust-bucket/existing HTTP/1.1\r\nHost: x\r\nRange: \x7f\r\n\r\n",
    b"PUT /robust-bucket/k HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"0\r\n\r\n",
    b"PUT /robust-bucket/k HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
    b"PUT /robust-bucket/k HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
])
def test_malformed_request_is_400_and_closed(srv, raw):
    with unchanged(srv):
        r = send_bytes(srv, raw, shut_wr=True)
        assert_error(r, 400, "BadRequest")
        assert r.closed, r


@pytest.mark.parametrize("shape", ["one", "many"])
def test_huge_headers_are_refused_and_closed(srv, shape):
    if shape == "one":
        extra = "X-Big: " + "a" * 20000 + "\r\n"
    else:
        extra = "".join(f"X-H{i}: {'b' * 200}\r\n" for i in range(100))
    raw = f"GET /{BUCKET}/existing HTTP/1.1\r\nHost: {srv.host}\r\n{extra}\r\n".encode()
    with unchanged(srv):
        r = send_bytes(srv, raw)
        assert r is not None and r.status in (400, 431), r
        assert_error(r, r.status, "RequestHeaderSectionTooLarge")
        assert r.closed, r


@pytest.mark.parametrize("path", ["/robust-bucket/a%ZZ", "/robust-bucket/a%4", "/robust-bucket/%",
                                  "/robust-bucket/a%g0b", "/robust-bucket/existing?x=%Z1"])
@pytest.mark.parametrize("method", ["PUT", "GET", "DELETE"])
def test_bad_percent_encoding_is_invalid_uri(srv, path, method):
    expect(srv, 400, "InvalidURI", method, path, body=b"x" if method == "PUT" else b"")


# OPTIONS is a CORS preflight (test_cors.py).
@pytest.mark.parametrize("method", ["PATCH", "FOO", "TRACE", "CONNECT-X", "PROPFIND"])
@pytest.mark.parametrize("target", [f"/{BUCKET}/existing", f"/{BUCKET}", "/"])
def test_unknown_methods(srv, method, target):
    with unchanged(srv):
        r = request(srv, method, target, body=b"x")
        assert r.status in (405, 501), r
        assert_error(r, r.status, "MethodNotAllowed" if r.status == 405 else "NotImplemented")


@pytest.mark.parametrize("method,target", [
    ("POST", f"/{BUCKET}/existing"),
    ("PUT", f"/{BUCKET}?bogus"),
    ("DELETE", f"/{BUCKET}?bogus"),
    ("POST", f"/{BUCKET}"),
    ("PUT", "/"),
    ("DELETE", "/"),
])
def test_unroutable_requests_are_method_not_allowed(srv, method, target):
    expect(srv, 405, "MethodNotAllowed", method, target)


# -- keys and bucket names ------------------------------------------------------------


BAD_KEYS = ["..", ".", "../x", "./x", "a/../b", "a/./b", "a/..", "a/.", "a//b", "/a",
            "../../../../etc/passwd", ".fsgate", ".fsgate/x", ".fsgate/journal/0",
            "a\x00b", "dir/../existing"]


@pytest.mark.parametrize("key", BAD_KEYS)
@pytest.mark.parametrize("method", ["PUT", "GET", "HEAD", "DELETE"])
def test_keys_a_posix_tree_cannot_hold(srv, key, method):
    body = b"payload" if method == "PUT" else b""
    expect(srv, 400, "InvalidArgument", method, obj(key), body=body)


@pytest.mark.parametrize("raw_path", [f"/{BUCKET}/a/../existing", f"/{BUCKET}/%2e%2e/x",
                                      f"/{BUCKET}/%2E%2E%2F%2E%2E%2Fetc", f"/{BUCKET}/.%66sgate/x"])
def test_dot_segments_as_sent_are_not_resolved(srv, raw_path):
    expect(srv, 400, "InvalidArgument", "PUT", raw_path, body=b"payload")
    expect(srv, 400, "InvalidArgument", "GET", raw_path)


def test_key_too_long(srv):
    key = "/".join(["k" * 200] * 5) + "/" + "x" * 20  # 1025 bytes, every component <= 255
    assert len(key.encode()) == 1025
    expect(srv, 400, "KeyTooLongError", "PUT", obj(key), body=b"payload")
    expect(srv, 400, "KeyTooLongError", "GET", obj(key))
    expect(srv, 400, "KeyTooLongError", "DELETE", obj(key))


def test_component_too_long(srv):
    key = "dir/" + "c" * 256
    expect(srv, 400, "KeyTooLongError", "PUT", obj(key), body=b"payload")
    expect(srv, 400, "KeyTooLongError", "GET", obj(key))
    # 255 is fine (control).
    r = request(srv, "GET", obj("dir/" + "c" * 255))
    assert_error(r, 404, "NoSuchKey")


@pytest.mark.parametrize("name", ["AB", "ab", "a_b_c", "-abc", "abc-", "192.168.1.1", "abc..def",
                                  "x" * 64, ".fsgate", "xn--abc", "Robust-Bucket", "a%20bc"])
def test_invalid_bucket_names(srv, name):
    expect(srv, 400, "InvalidBucketName", "PUT", f"/{name}")
    expect(srv, 400, "InvalidBucketName", "PUT", f"/{name}/key", body=b"payload")
    expect(srv, 400, "InvalidBucketName", "GET", f"/{name}/key")
    expect(srv, 400, "InvalidBucketName", "GET", f"/{name}")
    expect(srv, 400, "InvalidBucketName", "DELETE", f"/{name}")


def test_bucket_dot_dot_escapes_nothing(srv):
    expect(srv, 400, "InvalidBucketName", "GET", "/../etc/passwd")
    expect(srv, 400, "InvalidBucketName", "PUT", "/%2e%2e/x", body=b"payload")
    expect(srv, 400, "InvalidBucketName", "PUT", "/..")


# -- symlinks placed in the tree by someone else --------------------------------------


@pytest.fixture
def outside(srv):
    top = tempfile.mkdtemp(prefix="fsgate-outside-")
    with open(os.path.join(top, "secret"), "wb") as f:
        f.write(b"SECRET OUTSIDE THE ROOT\n")
    links = [os.path.join(srv.root, BUCKET, "evil-file"), os.path.join(srv.root, BUCKET, "evil-dir"),
             os.path.join(srv.root, "evil-bucket")]
    os.symlink(os.path.join(top, "secret"), links[0])
    os.symlink(top, links[1])
    os.symlink(top, links[2])
    yield top
    for link in links:
        if os.path.lexists(link) and os.path.islink(link):
            os.unlink(link)
    shutil.rmtree(top)


def outside_view(top):
    return {name: open(os.path.join(top, name), "rb").read() for name in sorted(os.listdir(top))}


def test_symlinks_are_never_followed(srv, outside):
    before = outside_view(outside)
    cases = [
        ("GET", obj("evil-file"), 404, "NoSuchKey"),
        ("HEAD", obj("evil-file"), 404, None),
        ("GET", obj("evil-dir/secret"), 404, "NoSuchKey"),
        ("HEAD", obj("evil-dir/secret"), 404, None),
        ("GET", "/evil-bucket/secret", 404, "NoSuchBucket"),
        ("GET", "/evil-bucket?list-type=2", 404, "NoSuchBucket"),
        # Writes through a symlinked directory or bucket are refused.
        ("PUT", obj("evil-dir/new"), 400, "InvalidRequest"),
        ("PUT", obj("evil-dir/secret"), 400, "InvalidRequest"),
        ("PUT", "/evil-bucket/new", 404, "NoSuchBucket"),
        ("DELETE", "/evil-bucket/secret", 404, "NoSuchBucket"),
        ("POST", obj("evil-dir/new") + "?uploads", 400, "InvalidRequest"),
    ]
    with unchanged(srv):
        for method, target, status, code in cases:
            r = request(srv, method, target, body=b"overwritten" if method == "PUT" else b"")
            assert b"SECRET" not in r.body, r
            if method == "POST" and r.status == 200:
                # Creating the upload may succeed (it lives under .fsgate); completing it may not.
                abort_upload(srv, "evil-dir/new", r.field("UploadId"))
                continue
            assert_error(r, status, code, head=method == "HEAD")
        # A delete of what is not an object answers 204, as S3 does, and removes nothing.
        r = request(srv, "DELETE", obj("evil-dir/secret"))
        assert r.status == 204, r
        r = request(srv, "PUT", obj("copied"), headers={"x-amz-copy-source": f"/{BUCKET}/evil-file"})
        assert_error(r, 404, "NoSuchKey")
        r = request(srv, "GET", f"/{BUCKET}?list-type=2")
        assert r.status == 200 and b"SECRET" not in r.body and b"evil-dir/secret" not in r.body, r
        r = request(srv, "GET", "/")
        assert r.status == 200 and b"evil-bucket" not in r.body, r
    assert outside_view(outside) == before


def test_put_over_a_symlinked_key_does_not_write_outside(srv, outside):
    before = outside_view(outside)
    r = request(srv, "PUT", obj("evil-file"), body=b"overwritten")
    srv.wait_drained()
    assert outside_view(outside) == before
    link = os.path.join(srv.root, BUCKET, "evil-file")
    if r.status == 200:
        # Replaced the link itself by a regular file: the outside file is untouched.
        assert not os.path.islink(link) and open(link, "rb").read() == b"overwritten"
        os.unlink(link)
        os.symlink(os.path.join(outside, "secret"), link)
    else:
        assert_error(r, r.status, r.field("Code"))
        assert os.path.islink(link)


# -- payload framing and digests ---------------------------------------------------------


def test_bad_chunked_framing(srv):
    head = build_head(srv, "PUT", obj("bad-chunks"), headers={"Transfer-Encoding": "chunked"},
                      payload_hash="UNSIGNED-PAYLOAD", content_length=None)
    with unchanged(srv):
        with connect(srv) as s:
            s.sendall(head + b"zz\r\nnot a chunk\r\n")
            r = read_response(s, "PUT")
        assert_error(r, 400, "IncompleteBody")
        assert r.closed, r
        assert_error(request(srv, "GET", obj("bad-chunks")), 404, "NoSuchKey")


def test_put_without_content_length(srv):
    expect(srv, 411, "MissingContentLength", "PUT", obj("no-length"), content_length=None,
           payload_hash="UNSIGNED-PAYLOAD")
    # UploadPart too.
    upload = create_upload(srv, "no-length-mp")
    try:
        expect(srv, 411, "MissingContentLength", "PUT", obj("no-length-mp") +
               f"?partNumber=1&uploadId={upload}", content_length=None,
               payload_hash="UNSIGNED-PAYLOAD")
    finally:
        abort_upload(srv, "no-length-mp", upload)


@pytest.mark.parametrize("key", ["short-body", "short/nested/body"])
def test_body_shorter_than_content_length_then_close(srv, key):
    body = b"z" * 100000
    with unchanged(srv):
        head = build_head(srv, "PUT", obj(key), body=body)
        with connect(srv) as s:
            s.sendall(head + body[:40000])
            s.shutdown(socket.SHUT_WR)
            try:
                r = read_response(s, "PUT")
            except (http.client.RemoteDisconnected, ConnectionResetError):
                r = None
        if r is not None:
            assert_error(r, 400, "IncompleteBody")
        assert_error(request(srv, "GET", obj(key)), 404, "NoSuchKey")


def test_body_longer_than_declared(srv):
    body = b"0123456789" * 2
    with unchanged(srv):
        # The client signed 20 bytes but declares 10: the 10 read do not hash to the signed value.
        head = build_head(srv, "PUT", obj("long-body"), body=body, content_length=10)
        with connect(srv) as s:
            s.sendall(head + body + b"\r\n\r\n")
            r = read_response(s, "PUT")
            assert_error(r, 400, "XAmzContentSHA256Mismatch")
            # The 10 extra bytes are the next "request": refused or dropped, never stored.
            try:
                r2 = read_response(s)
                assert_error(r2, 400, "BadRequest")
            except (http.client.RemoteDisconnected, ConnectionResetError):
                pass
        assert_error(request(srv, "GET", obj("long-body")), 404, "NoSuchKey")


@pytest.mark.parametrize("md5", ["garbage", "", "AAAA", base64.b64encode(b"x" * 15).decode(),
                                 base64.b64encode(b"x" * 17).decode(), "!!!!!!!!!!!!!!!!!!!!!!=="])
def test_content_md5_garbage_is_invalid_digest(srv, md5):
    expect(srv, 400, "InvalidDigest", "PUT", obj("md5-garbage"), body=b"payload",
           headers={"Content-MD5": md5})


def test_content_md5_mismatch_is_bad_digest(srv):
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    expect(srv, 400, "BadDigest", "PUT", obj("md5-mismatch"), body=b"payload",
           headers={"Content-MD5": wrong})
    # Over an existing key: the old bytes stay.
    expect(srv, 400, "BadDigest", "PUT", obj("existing"), body=b"payload",
           headers={"Content-MD5": wrong})
    assert get_ok(srv, "existing") == EXISTING["existing"]


def test_wrong_content_sha256(srv):
    expect(srv, 400, "XAmzContentSHA256Mismatch", "PUT", obj("sha-mismatch"), body=b"payload",
           payload_hash=hashlib.sha256(b"other").hexdigest())
    expect(srv, 400, "XAmzContentSHA256Mismatch", "PUT", obj("existing"), body=b"payload",
           payload_hash=hashlib.sha256(b"other").hexdigest())
    assert get_ok(srv, "existing") == EXISTING["existing"]


@pytest.mark.parametrize("name,value", [
    ("x-amz-checksum-crc32", "!!"),
    ("x-amz-checksum-crc32", ""),
    ("x-amz-checksum-crc32", base64.b64encode(b"12345").decode()),
    ("x-amz-checksum-sha256", base64.b64encode(b"x" * 20).decode()),
])
def test_checksum_header_garbage_is_invalid_request(srv, name, value):
    r = expect(srv, 400, "InvalidRequest", "PUT", obj("existing"), body=b"overwritten",
               headers={name: value})
    assert r.field("Message") == f"Value for {name} header is invalid.", r


def test_checksum_mismatch_and_unknown_algorithm(srv):
    zero = base64.b64encode(b"\0\0\0\0").decode()
    expect(srv, 400, "BadDigest", "PUT", obj("existing"), body=b"overwritten",
           headers={"x-amz-checksum-crc32": zero},
           message="The CRC32 you specified did not match the calculated checksum.")
    expect(srv, 400, "InvalidRequest", "PUT", obj("existing"), body=b"overwritten",
           headers={"x-amz-checksum-foo": zero})


def test_checksum_trailer_garbage(srv):
    with unchanged(srv):
        r = srv.put_unsigned_trailer(obj("existing"), b"overwritten", checksum_b64="!!")
        assert (r.status, r.error_code()) == (400, "InvalidRequest"), r
        assert r.error_field("RequestId") == r.headers.get("x-amz-request-id"), r
        r = srv.put_unsigned_trailer(obj("existing"), b"overwritten",
                                     checksum_b64=base64.b64encode(b"\0\0\0\0").decode())
        assert (r.status, r.error_code()) == (400, "BadDigest"), r


def test_aws_chunked_bytes_after_final_chunk(srv):
    """Bytes after an aws-chunked body's final chunk (inside Content-Length) are refused
    whether the gateway reads them with the final chunk or in a later read: a body whose
    final chunk ends at 64 KiB, the gateway's read size, was stored and the rest ignored."""
    for size in (11, 65536 - 13):  # 13: "fff3\r\n", "\r\n" and "0\r\n\r\n" around the data
        data = b"x" * size
        chunks = f"{size:x}\r\n".encode() + data + b"\r\n0\r\n\r\n"
        junk = b"junk"
        head = build_head(srv, "PUT", obj("existing"),
                          headers={"content-encoding": "aws-chunked",
                                   "x-amz-decoded-content-length": str(size)},
                          payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                          content_length=len(chunks) + len(junk))
        with unchanged(srv):
            with connect(srv) as s:
                s.sendall(head + chunks + junk)
                r = read_response(s, "PUT")
            assert_error(r, 400, "InvalidRequest")


@pytest.mark.parametrize("headers,payload_hash,body,status,code", [
    ({"x-amz-meta-big": "v" * 3000}, None, b"x", 400, "MetadataTooLarge"),
    ({}, "zzzz", b"x", 400, "InvalidArgument"),
    ({"content-encoding": "aws-chunked", "x-amz-decoded-content-length": "abc"},
     "STREAMING-UNSIGNED-PAYLOAD-TRAILER", b"0\r\n\r\n", 400, "InvalidArgument"),
    ({"x-amz-copy-source": f"/{BUCKET}/existing"}, None, b"", 400, "InvalidRequest"),
    ({"x-amz-copy-source": f"/{BUCKET}/dir/inner", "x-amz-metadata-directive": "BOGUS"}, None, b"",
     400, "InvalidArgument"),
])
def test_put_header_garbage(srv, headers, payload_hash, body, status, code):
    expect(srv, status, code, "PUT", obj("existing"), headers=headers, payload_hash=payload_hash,
           body=body)


def test_put_over_five_gib_is_entity_too_large(srv):
    expect(srv, 400, "EntityTooLarge", "PUT", obj("huge"), content_length=6 * 2**30,
           payload_hash="UNSIGNED-PAYLOAD", send=b"")


@pytest.mark.parametrize("target,code", [
    ("/robust-bucket/a%FFb", "InvalidArgument"),         # not UTF-8
    ("/robust-bucket/adir/", "InvalidArgument"),         # a directory key cannot hold bytes
    ("/robust-bucket/existing/x", "InvalidRequest"),     # 'existing' is an object, not a prefix
    ("/robust-bucket/dir", "InvalidRequest"),            # 'dir' is a prefix, not an object
])
def test_keys_the_tree_refuses(srv, target, code):
    expect(srv, 400, code, "PUT", target, body=b"payload")


# -- XML bodies ---------------------------------------------------------------------------


BAD_XML = [b"", b"not xml at all", b"<Delete><Object><Key>existing</Key>", b"<<<>>>",
           b"<?xml version='1.0'?><Delete><Object><Key>existing</Key></Object></Delete",
           b"\xff\xfe\x00<", b"<Wrong><Object><Key>existing</Key></Object></Wrong>",
           b"<Delete></Delete>"]


def md5_header(body):
    """DeleteObjects requires Content-MD5 (or a checksum): every body here carries it."""
    return {"content-md5": base64.b64encode(hashlib.md5(body).digest()).decode()}


@pytest.mark.parametrize("body", BAD_XML)
def test_delete_objects_malformed_xml(srv, body):
    expect(srv, 400, "MalformedXML", "POST", f"/{BUCKET}?delete", body=body,
           headers=md5_header(body))
    assert get_ok(srv, "existing") == EXISTING["existing"]


def test_delete_objects_hostile_xml(srv):
    deep = b"<Delete>" + b"<a>" * 200000 + b"</a>" * 200000 + b"</Delete>"
    expect(srv, 400, "MalformedXML", "POST", f"/{BUCKET}?delete", body=deep,
           headers=md5_header(deep))
    # Refused on its declared length, before a byte of it is read: none is sent.
    big = b"<Delete>" + b" " * (3 * 2**20) + b"</Delete>"
    expect(srv, 400, "MalformedXML", "POST", f"/{BUCKET}?delete", body=big, send=b"",
           headers=md5_header(big), message="The request body is too large.")
    # Entities are not expanded: the key is the literal text, no such object, nothing deleted.
    bomb = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "existing">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b"<Delete><Object><Key>&a;</Key></Object><Object><Key>&b;</Key></Object></Delete>")
    with unchanged(srv):
        r = request(srv, "POST", f"/{BUCKET}?delete", body=bomb, headers=md5_header(bomb))
        assert r.status in (200, 400), r
        if r.status == 400:
            assert_error(r, 400, "MalformedXML")
    assert get_ok(srv, "existing") == EXISTING["existing"]


def test_delete_objects_1001_keys(srv):
    keys = ["existing", "dir/inner"] + [f"k{i}" for i in range(999)]
    body = ("<Delete>" + "".join(f"<Object><Key>{k}</Key></Object>" for k in keys) +
            "</Delete>").encode()
    expect(srv, 400, "MalformedXML", "POST", f"/{BUCKET}?delete", body=body,
           headers=md5_header(body))
    assert get_ok(srv, "existing") == EXISTING["existing"]


@pytest.mark.parametrize("body", BAD_XML[:6] + [
    b"<CompleteMultipartUpload><Part><PartNumber>abc</PartNumber><ETag>x</ETag></Part>"
    b"</CompleteMultipartUpload>",
    b"<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>x</ETag></Part>"
    b"</CompleteMultipartUpload>",
    b"<CompleteMultipartUpload></CompleteMultipartUpload>"])
def test_complete_multipart_malformed_xml(srv, body):
    upload = create_upload(srv, "mp-xml")
    try:
        expect(srv, 400, "MalformedXML", "POST", obj("mp-xml") + f"?uploadId={upload}", body=body)
        # The upload is still there.
        r = request(srv, "GET", obj("mp-xml") + f"?uploadId={upload}")
        assert r.status == 200, r
    finally:
        abort_upload(srv, "mp-xml", upload)


@pytest.mark.parametrize("body", [b"not xml", b"<CreateBucketConfiguration><LocationConstraint>",
                                  b"<Wrong/>", b"\x00\x01"])
def test_create_bucket_malformed_xml(srv, body):
    expect(srv, 400, "MalformedXML", "PUT", "/new-bucket-bad-xml", body=body)
    assert not os.path.exists(os.path.join(srv.root, "new-bucket-bad-xml"))


# -- query parameters ------------------------------------------------------------------------


def create_upload(srv, key):
    r = request(srv, "POST", obj(key) + "?uploads")
    assert r.status == 200, r
    return r.field("UploadId")


def abort_upload(srv, key, upload):
    r = request(srv, "DELETE", obj(key) + f"?uploadId={upload}")
    assert r.status == 204, r


@pytest.mark.parametrize("part", ["0", "10001", "abc", "-1", "", "1.5", "0x1", "99999999999999999999"])
def test_bad_part_numbers(srv, part):
    upload = create_upload(srv, "mp-part")
    try:
        expect(srv, 400, "InvalidArgument", "PUT",
               obj("mp-part") + f"?partNumber={urllib.parse.quote(part)}&uploadId={upload}",
               body=b"part")
        r = request(srv, "GET", obj("mp-part") + f"?uploadId={upload}")
        assert r.status == 200 and r.field("PartNumber") is None, r
    finally:
        abort_upload(srv, "mp-part", upload)


BAD_UPLOAD_IDS = ["nonexistent", "../../etc", "..%2F..%2Fetc", "%2E%2E", "..", ".", "a/b",
                  "x" * 300, "%00", "../multipart", "..%2Fjournal"]


@pytest.mark.parametrize("upload", BAD_UPLOAD_IDS)
def test_bad_upload_ids(srv, upload):
    part = obj("mp-bad") + f"?partNumber=1&uploadId={upload}"
    expect(srv, 404, "NoSuchUpload", "PUT", part, body=b"part")
    expect(srv, 404, "NoSuchUpload", "GET", obj("mp-bad") + f"?uploadId={upload}")
    expect(srv, 404, "NoSuchUpload", "DELETE", obj("mp-bad") + f"?uploadId={upload}")
    xml = (b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"00\"</ETag></Part>"
           b"</CompleteMultipartUpload>")
    expect(srv, 404, "NoSuchUpload", "POST", obj("mp-bad") + f"?uploadId={upload}", body=xml)


def test_upload_id_of_another_key(srv):
    upload = create_upload(srv, "mp-owner")
    try:
        expect(srv, 404, "NoSuchUpload", "PUT", obj("mp-other") + f"?partNumber=1&uploadId={upload}",
               body=b"part")
        expect(srv, 404, "NoSuchUpload", "DELETE", obj("mp-other") + f"?uploadId={upload}")
    finally:
        abort_upload(srv, "mp-owner", upload)


@pytest.mark.parametrize("value", ["-1", "abc", "", "1e3", "99999999999999999999999", " 5"])
@pytest.mark.parametrize("listing", ["list-type=2&", "", "uploads&"])
def test_bad_max_keys(srv, listing, value):
    name = "max-uploads" if listing == "uploads&" else "max-keys"
    expect(srv, 400, "InvalidArgument", "GET",
           f"/{BUCKET}?{listing}{name}={urllib.parse.quote(value)}")


@pytest.mark.parametrize("value", ["-1", "abc"])
def test_bad_max_parts(srv, value):
    upload = create_upload(srv, "mp-max")
    try:
        expect(srv, 400, "InvalidArgument", "GET", obj("mp-max") + f"?uploadId={upload}&max-parts={value}")
        expect(srv, 400, "InvalidArgument", "GET",
               obj("mp-max") + f"?uploadId={upload}&part-number-marker={value}")
    finally:
        abort_upload(srv, "mp-max", upload)


@pytest.mark.parametrize("rng", ["bytes=abc", "bytes=5-1", "pages=1-2", "bytes=--1", "bytes=1-2,3-4",
                                 "", "bytes=", "bytes=-", "bytes=1-2-3", "bytes=99999999999999999999999-",
                                 "bytes=-99999999999999999999999", "bytes=\t0-1", "bytes=0-1,"])
def test_range_garbage_is_ignored(srv, rng):
    r = request(srv, "GET", obj("existing"), headers={"Range": rng})
    assert r.status == 200 and r.body == EXISTING["existing"], r


def test_range_past_the_end_is_416(srv):
    r = request(srv, "GET", obj("existing"), headers={"Range": "bytes=1000-"})
    assert_error(r, 416, "InvalidRange")


@pytest.mark.parametrize("source", ["nobucket", "/b", "%ZZ", "/", "", f"/{BUCKET}/", f"/{BUCKET}",
                                    f"{BUCKET}/existing?versionId=abc"])
def test_copy_source_malformed(srv, source):
    expect(srv, 400, "InvalidArgument", "PUT", obj("copy-dst"),
           headers={"x-amz-copy-source": source})


@pytest.mark.parametrize("source,status,code", [
    (f"/{BUCKET}/../existing", 400, "InvalidArgument"),
    (f"/{BUCKET}/.fsgate/x", 400, "InvalidArgument"),
    (f"/{BUCKET}/nothing", 404, "NoSuchKey"),
    ("/no-such-bucket-here/x", 404, "NoSuchBucket"),
    ("/AB/x", 400, "InvalidBucketName"),
    ("/../etc/passwd", 400, "InvalidBucketName"),
])
def test_copy_source_bad_names(srv, source, status, code):
    expect(srv, status, code, "PUT", obj("copy-dst"), headers={"x-amz-copy-source": source})


def test_presigned_expires_over_a_week(srv):
    url = f"{srv.endpoint}/{BUCKET}/existing"
    req = botocore.awsrequest.AWSRequest(method="GET", url=url)
    creds = botocore.credentials.Credentials(srv.access_key, srv.secret_key)
    botocore.auth.S3SigV4QueryAuth(creds, "s3", REGION, expires=604801).add_auth(req)
    target = req.url[len(srv.endpoint):]
    with unchanged(srv):
        r = request(srv, "GET", target, sign=False)
        assert_error(r, 400, "AuthorizationQueryParametersError")
    # A week exactly is fine (control).
    req = botocore.awsrequest.AWSRequest(method="GET", url=url)
    botocore.auth.S3SigV4QueryAuth(creds, "s3", REGION, expires=604800).add_auth(req)
    r = request(srv, "GET", req.url[len(srv.endpoint):], sign=False)
    assert r.status == 200 and r.body == EXISTING["existing"], r


@pytest.mark.parametrize("auth,status,code", [
    ("AWS4-HMAC-SHA256 garbage", 400, "AuthorizationHeaderMalformed"),
    ("AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=", 400,
     "AuthorizationHeaderMalformed"),
    ("AWS4-HMAC-SHA256 Credential=" + "A" * 5000, 400, "AuthorizationHeaderMalformed"),
    ("Bearer x", 400, "InvalidRequest"),
    # SigV2 in the header: a request without a Date is refused before its signature.
    ("AWS AKIA:sig", 403, "AccessDenied"),
    ("AWS no-colon", 400, "InvalidArgument"),
])
def test_authorization_garbage(srv, auth, status, code):
    expect(srv, status, code, "GET", obj("existing"), headers={"Authorization": auth}, sign=False)
    expect(srv, status, code, "PUT", obj("existing"), headers={"Authorization": auth}, sign=False,
           body=b"overwritten")


@pytest.mark.parametrize("date", ["garbage", "20990101T000000Z", ""])
def test_presigned_garbage(srv, date):
    expect(srv, 400, "AuthorizationQueryParametersError", "GET",
           obj("existing") + f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={date}", sign=False)


def test_delete_objects_with_bad_keys_deletes_nothing(srv):
    keys = ["../existing", "dir/../existing", ".fsgate/journal", "", "a//b", "/existing",
            "k" * 1025]
    body = ("<Delete>" + "".join(f"<Object><Key>{k}</Key></Object>" for k in keys) +
            "</Delete>").encode()
    with unchanged(srv):
        r = request(srv, "POST", f"/{BUCKET}?delete", body=body, headers=md5_header(body))
        assert r.status == 200, r
        errors = re.findall(rb"<Error><Key>([^<]*)</Key><Code>([^<]*)</Code>", r.body)
        assert [k.decode() for k, _ in errors] == keys, r
        assert [c.decode() for _, c in errors] == ["InvalidArgument"] * 6 + ["KeyTooLongError"], r
        assert b"<Deleted>" not in r.body, r


@pytest.mark.parametrize("key", ["../x", "a//b", ".fsgate/x", "a/./b"])
def test_multipart_on_bad_keys(srv, key):
    expect(srv, 400, "InvalidArgument", "POST", obj(key) + "?uploads")


def test_a_reader_that_stops_is_cut_after_the_read_timeout(srv):
    """An answer the socket does not take at once goes out under the read timeout:
    a client that stops reading a large GET is disconnected, not waited for."""
    size = 64 << 20
    key = "large-unread"
    srv.client().put_object(Bucket=BUCKET, Key=key, Body=b"z" * size)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # set before connect to hold
        s.connect(("127.0.0.1", srv.port))
        s.sendall(build_head(srv, "GET", obj(key)))
        time.sleep(READ_TIMEOUT * 3)
        s.settimeout(10)
        received = 0
        with contextlib.suppress(ConnectionResetError):
            while chunk := s.recv(1 << 20):
                received += len(chunk)
        assert 0 < received < size, f"{received} of {size} bytes: the stalled answer was not cut"
    finally:
        s.close()
        srv.client().delete_object(Bucket=BUCKET, Key=key)


# -- last: abandoned connections and descriptors ------------------------------------------


def test_zz_abandoned_connections_leak_no_descriptors(srv):
    with unchanged(srv):
        socks = []
        body = b"q" * 5000
        for i in range(200):
            s = connect(srv)
            kind = i % 4
            if kind == 0:  # half-sent headers
                s.sendall(f"PUT /{BUCKET}/abandoned-{i} HTTP/1.1\r\nHost: {srv.host}\r\nContent-Le".encode())
            elif kind == 1:  # full headers, half the body
                head = build_head(srv, "PUT", obj(f"abandoned-{i}"), body=body)
                s.sendall(head + body[:2500])
            elif kind == 2:  # connected, nothing sent
                pass
            else:  # half the body, then the client goes away
                head = build_head(srv, "PUT", obj(f"abandoned-{i}"), body=body)
                s.sendall(head + body[:100])
            socks.append(s)
        # Half of them vanish at once; the other half stay open and silent.
        for s in socks[::2]:
            s.close()
        deadline = time.monotonic() + READ_TIMEOUT * 5 + 10
        while True:
            count = fd_count(srv)
            if count <= srv.fd_baseline + 3:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"fsgate holds {count} fds, {srv.fd_baseline} at the start")
            time.sleep(0.2)
        for s in socks[1::2]:
            s.close()
        for i in range(200):
            assert not os.path.exists(os.path.join(srv.root, BUCKET, f"abandoned-{i}"))
    time.sleep(0.5)
    assert fd_count(srv) <= srv.fd_baseline + 3
