"""Input hardening: log lines a request cannot forge, XML bodies parsed strictly
and checked against Content-MD5 or a checksum, object size limits that hold
whatever the framing of the body.

Requests are built on raw sockets so that nothing is fixed up by a client
library, and so that a declared length can be sent without its body: an
answer that arrives while the client has sent nothing more shows the server
refused before reading.
"""

import base64
import hashlib
import http.client
import json
import os
import re
import socket
import time
import urllib.parse
import uuid
import zlib

import pytest

from fsgate_server import FsgateServer, quote_key

GIB = 2**30
MAX_OBJECT_SIZE = 5 * GIB
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
# A complete, plausible text access-log line, to be smuggled in after a newline.
FORGED = ("2026-01-01T00:00:00.000Z access FORGEDFORGEDFORG 10.0.0.1:1 AKIAADMIN "
          "DeleteBucket victim - 204 - 0 0 0.100ms")


# -- raw requests --------------------------------------------------------------------------


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def field(self, name):
        m = re.search(rb"<" + name.encode() + rb">([^<]*)</" + name.encode() + rb">", self.body)
        return m.group(1).decode() if m else None

    @property
    def request_id(self):
        return self.headers.get("x-amz-request-id")

    def __repr__(self):
        return f"Response({self.status}, {self.body[:400]!r})"


def b64md5(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def b64crc32(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def head_bytes(srv, method, path, query="", headers=None, payload_hash=None, body=b"",
               sign=True, content_length=None, unsigned=None):
    """The request line and headers; SigV4-signed over `path` (already URI-encoded) and `query`,
    but for the `unsigned` headers."""
    headers = dict(headers or {})
    if sign:
        if payload_hash is None:
            payload_hash = hashlib.sha256(body).hexdigest()
        headers, _, _, _ = srv.sign_v4(method, path, query, headers, payload_hash)
    else:
        headers = {k.lower(): v for k, v in headers.items()}
        headers.setdefault("host", srv.host)
    if content_length is not None:
        headers["content-length"] = str(content_length)
    headers.update(unsigned or {})
    target = path + (f"?{query}" if query else "")
    lines = [f"{method} {target} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def exchange(srv, data, method="GET"):
    """Sends `data` on a fresh connection, then reads one response without sending more."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall(data)
        resp = http.client.HTTPResponse(s, method=method)
        resp.begin()
        return Response(resp.status, resp.headers, resp.read())


def request(srv, method, path, query="", headers=None, body=b"", sign=True, payload_hash=None,
            unsigned=None):
    headers = dict(headers or {})
    length = len(body) if body or method in ("PUT", "POST") else None
    head = head_bytes(srv, method, path, query, headers, payload_hash, body, sign, length,
                      unsigned)
    return exchange(srv, head + body, method)


def assert_error(r, status, code, message=None):
    assert (r.status, r.field("Code")) == (status, code), r
    assert r.request_id and r.field("RequestId") == r.request_id, r
    if message is not None:
        assert r.field("Message") == message, r


def object_path(bucket, key):
    return f"/{bucket}/{quote_key(key)}"


def new_bucket(srv):
    name = f"ih-{uuid.uuid4().hex[:12]}"
    srv.client().create_bucket(Bucket=name)
    return name


def put(srv, bucket, key, data):
    srv.client().put_object(Bucket=bucket, Key=key, Body=data)


def get_status(srv, bucket, key):
    return request(srv, "GET", object_path(bucket, key)).status


# -- 6. log lines ------------------------------------------------------------------------------


def log_field(raw):
    """The text access log's escaping (base/log_text.h), for the expected fields."""
    if raw == b"":
        return "-"
    if raw == b"-":
        return "%2D"
    return "".join(chr(c) if 0x21 <= c <= 0x7E and c not in b'%"\\' else f"%{c:02X}"
                   for c in raw)


HOSTILE_KEYS = [
    b"nl\n" + FORGED.encode(),
    b"crlf\r\n" + FORGED.encode(),
    b"esc\x1b[2J\x1b[31mred",
    b"nul\x00after",
    b"ff\xff\xfe",
    b'quote "q" and spaces',
    b"back\\slash%41",
    b"-",
]
HOSTILE_UA = 'ua "quoted" with spaces \xff\xfe and \\'


def hostile_requests(srv, bucket):
    """Unauthenticated and authenticated requests with hostile keys, bucket names and User-Agent;
    [(request id, access key logged, bucket bytes, key bytes)] for every request made."""
    sent = []
    ua = {"User-Agent": HOSTILE_UA}
    for key in HOSTILE_KEYS:
        path = f"/{bucket}/" + urllib.parse.quote(key, safe="/-_.~")
        # Unauthenticated: refused, logged all the same, attributed to no one.
        r = request(srv, "GET", path, unsigned=ua, sign=False)
        assert_error(r, 403, "AccessDenied")
        sent.append((r.request_id, "", bucket.encode(), key))
        # Authenticated (the User-Agent, not UTF-8, left out of the signature); keys
        # that are not UTF-8 or hold a NUL are refused, the others stored and read.
        storable = b"\x00" not in key and b"\xff" not in key
        r = request(srv, "PUT", path, unsigned=ua, body=b"data")
        assert r.status == (200 if storable else 400), r
        sent.append((r.request_id, srv.access_key, bucket.encode(), key))
        r = request(srv, "GET", path)
        assert r.status == (200 if storable else 400), r
        sent.append((r.request_id, srv.access_key, bucket.encode(), key))
    # A hostile bucket name.
    bad_bucket = b"nl\n" + FORGED.encode()
    r = request(srv, "GET", "/" + urllib.parse.quote(bad_bucket, safe="") + "/k", sign=False)
    sent.append((r.request_id, "", bad_bucket, b"k"))
    for rid, _, _, _ in sent:
        assert rid, "an answer without x-amz-request-id"
    return sent


def read_log(srv):
    with open(srv.log_path, "rb") as f:
        return f.read()


def assert_nothing_forged(raw_log):
    """No line begins with the smuggled text, and no raw CR, ESC or NUL reached the output.
    (Inside a line the smuggled words may appear, escaped, as part of a key.)"""
    for line in raw_log.split(b"\n"):
        assert not line.startswith(FORGED[:24].encode()), line
        assert b"\x1b" not in line and b"\x00" not in line and b"\r" not in line, line


def test_text_access_log_escapes_every_client_field():
    with FsgateServer() as srv:
        bucket = new_bucket(srv)
        sent = hostile_requests(srv, bucket)
        srv.stop()  # every queued line written
        raw_log = read_log(srv)
    assert_nothing_forged(raw_log)
    access = [line for line in raw_log.split(b"\n") if re.match(rb"^\S+Z access ", line)]
    for rid, access_key, bucket_raw, key_raw in sent:
        mine = [line for line in access if f" access {rid} ".encode() in line]
        assert len(mine) == 1, (rid, mine)
        line = mine[0].decode("ascii")  # every byte printable ASCII
        assert all(0x20 <= ord(c) < 0x7F for c in line), line
        fields = line.split(" ")
        assert len(fields) == 13, line
        assert fields[4] == log_field(access_key.encode()), line
        assert fields[6] == log_field(bucket_raw), line
        assert fields[7] == log_field(key_raw), line
        # The encoding is lossless: the exact bytes come back.
        assert urllib.parse.unquote_to_bytes(fields[7]) == key_raw
    # One line per request: the bucket's creation and the requests above.
    assert len(access) == len(sent) + 1, b"\n".join(access)


def test_json_access_log_lines_always_parse():
    with FsgateServer(extra_args=["--log-format", "json"]) as srv:
        bucket = new_bucket(srv)
        sent = hostile_requests(srv, bucket)
        srv.stop()
        raw_log = read_log(srv)
    raw_log.decode("utf-8")  # the whole output is valid UTF-8
    assert_nothing_forged(raw_log)
    records = [json.loads(line) for line in raw_log.split(b"\n") if line.startswith(b"{")]
    by_id = {}
    for record in records:
        by_id.setdefault(record["request_id"], []).append(record)
    for rid, access_key, bucket_raw, key_raw in sent:
        assert len(by_id.get(rid, [])) == 1, rid
        record = by_id[rid][0]
        assert record["access_key"] == access_key
        assert record["bucket"] == bucket_raw.decode("utf-8", errors="replace")
        assert record["key"] == key_raw.decode("utf-8", errors="replace")
    assert len(records) == len(sent) + 1


def test_error_log_lines_escape_keys():
    """The applier's and the request path's error lines carry keys escaped by the same rule."""
    args = ["--test-fault", "rename:EACCES:path=forge:count=-1"]
    key = b"forge\n" + FORGED.encode()
    with FsgateServer(extra_args=args) as srv:
        bucket = new_bucket(srv)
        put(srv, bucket, "plain", b"x")  # makes the bucket's directory known
        srv.wait_delegated_inodes()  # else the next PUT goes sync (no_delegated_inode)
        path = object_path(bucket, key.decode())
        # Async: answered, then the applier's rename fails for good and is logged.
        r = request(srv, "PUT", path, body=b"data")
        assert r.status == 200, r
        # Sync: the request itself fails, and its error line names the resource.
        r = request(srv, "PUT", path, headers={"x-fsgate-dirops": "sync"}, body=b"data")
        assert r.status == 500, r
        deadline = time.monotonic() + 10
        while b"failed permanently" not in read_log(srv):
            assert time.monotonic() < deadline, srv.log_tail()
            time.sleep(0.05)
        srv.stop()
        raw_log = read_log(srv)
    assert_nothing_forged(raw_log)
    lines = raw_log.split(b"\n")
    applier = [line for line in lines if b"failed permanently" in line]
    assert len(applier) == 1 and b"key=" + log_field(key).encode() in applier[0], applier
    request_line = [line for line in lines if b"] request " in line and b"errno" in line]
    resource = log_field(f"/{bucket}/".encode() + key).encode()
    assert len(request_line) == 1 and resource in request_line[0], request_line


# -- 7. XML bodies -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def srv():
    with FsgateServer() as server:
        yield server


@pytest.fixture
def bucket(srv):
    name = new_bucket(srv)
    put(srv, name, "victim", b"victim's data")
    return name


def delete_objects(srv, bucket, body, headers=None, md5=True):
    headers = dict(headers or {})
    if md5:
        headers.setdefault("content-md5", b64md5(body))
    return request(srv, "POST", f"/{bucket}", "delete=", headers, body)


def delete_body(key_xml, root="Delete", attrs=""):
    return f"<{root}{attrs}><Object><Key>{key_xml}</Key></Object></{root}>".encode()


@pytest.mark.parametrize("ref", ["&#0;", "&#8;", "&#x0;", "&#xB;", "&#xC;", "&#xE;", "&#x1F;",
                                 "&#xFFFE;", "&#xFFFF;", "&#65535;", "&#xD800;", "&#x110000;",
                                 "&#;", "&#12a;"])
def test_delete_objects_refuses_references_to_forbidden_characters(srv, bucket, ref):
    r = delete_objects(srv, bucket, delete_body(f"victim{ref}.bak"))
    assert_error(r, 400, "MalformedXML")
    assert get_status(srv, bucket, "victim") == 200


@pytest.mark.parametrize("raw", [b"\x00", b"\x01", b"\x0b", b"\x1f", b"\xef\xbf\xbe", b"\xff",
                                 b"\xc0\xae"])
def test_delete_objects_refuses_raw_forbidden_characters(srv, bucket, raw):
    body = b"<Delete><Object><Key>victim" + raw + b"</Key></Object></Delete>"
    r = delete_objects(srv, bucket, body)
    assert_error(r, 400, "MalformedXML")
    assert get_status(srv, bucket, "victim") == 200


@pytest.mark.parametrize("body", [
    delete_body("victim", "x:NotDelete", f' xmlns:x="{S3_NS}"'),
    delete_body("victim", "x:Delete", f' xmlns:x="{S3_NS}"'),
    delete_body("victim", "NotDelete"),
    delete_body("victim", "delete"),
    delete_body("victim", "Delete", ' xmlns="http://example.com/"'),
    f'<Delete><x:Object xmlns:x="{S3_NS}"><Key>victim</Key></x:Object></Delete>'.encode(),
])
def test_delete_objects_element_names_must_match_exactly(srv, bucket, body):
    r = delete_objects(srv, bucket, body)
    assert_error(r, 400, "MalformedXML")
    assert get_status(srv, bucket, "victim") == 200


def test_delete_objects_well_formed_bodies_still_delete(srv, bucket):
    put(srv, bucket, "victim.bak", b"b")
    put(srv, bucket, "a&b", b"c")
    body = (f'<Delete xmlns="{S3_NS}"><Object><Key>victim&#46;bak</Key></Object>'
            f"<Object><Key>a&amp;b</Key></Object>"
            f"<Object><Key><![CDATA[victim&#0;]]></Key></Object></Delete>").encode()
    r = delete_objects(srv, bucket, body)
    assert r.status == 200, r
    assert re.findall(rb"<Deleted><Key>([^<]*)</Key>", r.body) == [b"victim.bak", b"a&amp;b",
                                                                   b"victim&amp;#0;"]
    assert get_status(srv, bucket, "victim.bak") == 404
    assert get_status(srv, bucket, "a&b") == 404
    assert get_status(srv, bucket, "victim") == 200


def test_delete_objects_requires_content_md5_or_a_checksum(srv, bucket):
    body = delete_body("victim")
    r = delete_objects(srv, bucket, body, md5=False)
    assert_error(r, 400, "InvalidRequest",
                 "Missing required header for this request: Content-MD5 OR x-amz-checksum-*")
    # x-amz-sdk-checksum-algorithm alone announces no value to check.
    r = delete_objects(srv, bucket, body, {"x-amz-sdk-checksum-algorithm": "CRC32"}, md5=False)
    assert_error(r, 400, "InvalidRequest")
    assert get_status(srv, bucket, "victim") == 200


@pytest.mark.parametrize("headers,code", [
    ({"content-md5": b64md5(b"something else")}, "BadDigest"),
    ({"content-md5": "not base64!"}, "InvalidDigest"),
    ({"content-md5": base64.b64encode(b"short").decode()}, "InvalidDigest"),
    ({"x-amz-checksum-crc32": b64crc32(b"something else")}, "BadDigest"),
])
def test_delete_objects_checks_the_digest(srv, bucket, headers, code):
    r = delete_objects(srv, bucket, delete_body("victim"), headers, md5=False)
    assert_error(r, 400, code)
    assert get_status(srv, bucket, "victim") == 200


def test_delete_objects_with_a_checksum_instead_of_content_md5(srv, bucket):
    body = delete_body("victim")
    r = delete_objects(srv, bucket, body, {"x-amz-checksum-crc32": b64crc32(body)}, md5=False)
    assert r.status == 200 and b"<Deleted><Key>victim</Key></Deleted>" in r.body, r
    assert get_status(srv, bucket, "victim") == 404


def test_delete_objects_over_1000_keys_deletes_nothing(srv, bucket):
    body = ("<Delete>" + "<Object><Key>victim</Key></Object>" * 1001 + "</Delete>").encode()
    assert_error(delete_objects(srv, bucket, body), 400, "MalformedXML")
    assert get_status(srv, bucket, "victim") == 200


def test_xml_body_over_the_limit_is_refused_before_it_is_read(srv, bucket):
    # 3 GiB declared, no byte sent: the answer comes at once.
    head = head_bytes(srv, "POST", f"/{bucket}", "delete=",
                      {"content-md5": b64md5(b""), "content-length": str(3 * GIB)},
                      payload_hash="UNSIGNED-PAYLOAD")
    r = exchange(srv, head, "POST")
    assert_error(r, 400, "MalformedXML")
    assert get_status(srv, bucket, "victim") == 200


def create_upload(srv, bucket, key):
    upload = srv.client().create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    part = srv.client().upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1,
                                    Body=b"part")
    return upload, part["ETag"]


@pytest.mark.parametrize("root,attrs,md5", [
    ("x:CompleteMultipartUpload", f' xmlns:x="{S3_NS}"', None),
    ("CompleteMultipartUploadX", "", None),
    ("CompleteMultipartUpload", "", b64md5(b"other")),
])
def test_complete_multipart_upload_body_is_strict(srv, bucket, root, attrs, md5):
    upload, etag = create_upload(srv, bucket, "mp")
    body = (f"<{root}{attrs}><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part>"
            f"</{root}>").encode()
    headers = {"content-md5": md5} if md5 else {}
    r = request(srv, "POST", object_path(bucket, "mp"), f"uploadId={upload}", headers, body)
    assert_error(r, 400, "BadDigest" if md5 else "MalformedXML")
    # Nothing completed; the upload is still there and completes with a good body.
    assert get_status(srv, bucket, "mp") == 404
    good = (f'<CompleteMultipartUpload xmlns="{S3_NS}"><Part><PartNumber>1</PartNumber>'
            f"<ETag>{etag}</ETag></Part></CompleteMultipartUpload>").encode()
    r = request(srv, "POST", object_path(bucket, "mp"), f"uploadId={upload}",
                {"content-md5": b64md5(good)}, good)
    assert r.status == 200, r


@pytest.mark.parametrize("body,headers,code", [
    (b'<x:CreateBucketConfiguration xmlns:x="http://s3.amazonaws.com/doc/2006-03-01/">'
     b"<x:LocationConstraint>us-east-1</x:LocationConstraint></x:CreateBucketConfiguration>",
     {}, "MalformedXML"),
    (b"<NotCreateBucketConfiguration/>", {}, "MalformedXML"),
    (b"<CreateBucketConfiguration><LocationConstraint>x&#1;</LocationConstraint>"
     b"</CreateBucketConfiguration>", {}, "MalformedXML"),
    (b"<CreateBucketConfiguration/>", {"content-md5": b64md5(b"other")}, "BadDigest"),
])
def test_create_bucket_configuration_is_strict(srv, body, headers, code):
    name = f"ih-{uuid.uuid4().hex[:12]}"
    r = request(srv, "PUT", f"/{name}", headers=headers, body=body)
    assert_error(r, 400, code)
    assert not os.path.exists(os.path.join(srv.root, name))


# -- 8. size limits ----------------------------------------------------------------------------


def assert_entity_too_large(r, proposed, allowed):
    assert_error(r, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
    assert (r.field("ProposedSize"), r.field("MaxSizeAllowed")) == (str(proposed), str(allowed)), r


def declared_only(srv, method, path, query="", headers=None, payload_hash="UNSIGNED-PAYLOAD"):
    """Headers with a declared length and no body: the answer must come without it."""
    return exchange(srv, head_bytes(srv, method, path, query, headers, payload_hash), method)


def parts_of(srv, bucket, key, upload):
    return srv.client().list_parts(Bucket=bucket, Key=key, UploadId=upload).get("Parts", [])


def test_put_declared_over_five_gib_is_refused_before_the_body(srv, bucket):
    size = 6 * GIB
    r = declared_only(srv, "PUT", object_path(bucket, "big"), headers={"content-length": size})
    assert_entity_too_large(r, size, MAX_OBJECT_SIZE)
    # aws-chunked: the decoded length is the object's.
    r = declared_only(srv, "PUT", object_path(bucket, "big"),
                      headers={"content-encoding": "aws-chunked", "content-length": "100",
                               "x-amz-decoded-content-length": str(MAX_OBJECT_SIZE + 1)},
                      payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    assert_entity_too_large(r, MAX_OBJECT_SIZE + 1, MAX_OBJECT_SIZE)
    assert get_status(srv, bucket, "big") == 404


def test_upload_part_declared_over_five_gib_is_refused_before_the_body(srv, bucket):
    upload = srv.client().create_multipart_upload(Bucket=bucket, Key="mp-big")["UploadId"]
    size = 6 * GIB
    r = declared_only(srv, "PUT", object_path(bucket, "mp-big"),
                      f"partNumber=1&uploadId={upload}", {"content-length": size})
    assert_entity_too_large(r, size, MAX_OBJECT_SIZE)
    assert parts_of(srv, bucket, "mp-big", upload) == []


@pytest.mark.parametrize("value", ["-100", "+5", "1e3", "", "5 5", "0x10",
                                   "99999999999999999999999"])
def test_decoded_content_length_garbage_is_invalid_argument(srv, bucket, value):
    body = b"0\r\n\r\n"
    r = request(srv, "PUT", object_path(bucket, "victim"),
                headers={"content-encoding": "aws-chunked",
                         "x-amz-decoded-content-length": value},
                body=body, payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    assert_error(r, 400, "InvalidArgument")
    assert srv.client().get_object(Bucket=bucket, Key="victim")["Body"].read() == b"victim's data"


def test_upload_part_without_a_length_is_missing_content_length(srv, bucket):
    upload = srv.client().create_multipart_upload(Bucket=bucket, Key="mp-nolen")["UploadId"]
    r = declared_only(srv, "PUT", object_path(bucket, "mp-nolen"),
                      f"partNumber=1&uploadId={upload}")
    assert_error(r, 411, "MissingContentLength")
    assert parts_of(srv, bucket, "mp-nolen", upload) == []


SMALL_LIMIT = 64 * 1024
# Sent past the limit, without the body's end. The server reads a body in
# pieces of up to 256 KiB; it must answer once it has passed the limit, not
# wait for the end (that never comes).
STREAM_SENT = SMALL_LIMIT + 256 * 1024


@pytest.fixture(scope="module")
def small():
    """A gateway whose object size limit is 64 KiB (hidden test flag)."""
    with FsgateServer(extra_args=["--test-max-object-size", str(SMALL_LIMIT)]) as server:
        yield server


def http_chunks(data, size=16 * 1024):
    return b"".join(f"{len(data[i:i + size]):x}\r\n".encode() + data[i:i + size] + b"\r\n"
                    for i in range(0, len(data), size))


def stream_put(srv, path, query, body_bytes, headers, payload_hash="UNSIGNED-PAYLOAD"):
    """A chunked PUT whose body is sent without its end: an answer proves the server stopped."""
    headers = dict(headers, **{"transfer-encoding": "chunked"})
    head = head_bytes(srv, "PUT", path, query, headers, payload_hash)
    return exchange(srv, head + body_bytes, "PUT")


def test_chunked_put_is_cut_when_it_passes_the_limit(small):
    bucket = new_bucket(small)
    data = os.urandom(STREAM_SENT)
    r = stream_put(small, object_path(bucket, "chunked"), "", http_chunks(data), {})
    assert_error(r, 400, "EntityTooLarge")
    assert r.field("MaxSizeAllowed") == str(SMALL_LIMIT), r
    assert int(r.field("ProposedSize")) > SMALL_LIMIT, r
    # aws-chunked inside HTTP chunked, no decoded length: the decoded bytes count.
    aws = b"".join(f"{len(data[i:i + 8192]):x}\r\n".encode() + data[i:i + 8192] + b"\r\n"
                   for i in range(0, len(data), 8192))
    r = stream_put(small, object_path(bucket, "aws-chunked"), "", http_chunks(aws),
                   {"content-encoding": "aws-chunked", "x-amz-trailer": "x-amz-checksum-crc32"},
                   "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    assert_error(r, 400, "EntityTooLarge")
    small.wait_drained()
    assert small.posix_view(bucket) == ({}, set())
    # At the limit exactly, a chunked PUT is stored.
    exact = data[:SMALL_LIMIT]
    r = exchange(small, head_bytes(small, "PUT", object_path(bucket, "exact"), "",
                                   {"transfer-encoding": "chunked"}, "UNSIGNED-PAYLOAD")
                 + http_chunks(exact) + b"0\r\n\r\n", "PUT")
    assert r.status == 200, r
    assert small.client().get_object(Bucket=bucket, Key="exact")["Body"].read() == exact


def test_chunked_upload_part_is_cut_when_it_passes_the_limit(small):
    bucket = new_bucket(small)
    upload = small.client().create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    r = stream_put(small, object_path(bucket, "mp"), f"partNumber=1&uploadId={upload}",
                   http_chunks(os.urandom(STREAM_SENT)), {})
    assert_error(r, 400, "EntityTooLarge")
    assert parts_of(small, bucket, "mp", upload) == []


def test_declared_length_over_the_small_limit(small):
    bucket = new_bucket(small)
    r = declared_only(small, "PUT", object_path(bucket, "k"),
                      headers={"content-length": SMALL_LIMIT + 1})
    assert_entity_too_large(r, SMALL_LIMIT + 1, SMALL_LIMIT)
    assert get_status(small, bucket, "k") == 404
