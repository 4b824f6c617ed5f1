"""S3 handlers and routing under hostile or modern-SDK input.

- Response splitting: no client-supplied value reaches a response header with
  a control character in it (response-* overrides, stored headers, metadata).
- Bucket names: AWS's reserved prefixes and suffixes are InvalidBucketName.
- Checksums: a partial read (Range) carries no full-object checksum, so SDKs
  that validate every x-amz-checksum-* they get can read ranges.
- GET/HEAD ?partNumber=N: that part's bytes, 206, Content-Range, parts count.
- Bucket sub-resources fsgate does not serve get an S3 error, never a listing.

Every refusal is checked for its HTTP status and S3 Code, and writes for
leaving nothing stored.
"""

import base64
import hashlib
import html
import os
import re
import socket
import urllib.parse
import zlib

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest
from botocore.exceptions import ClientError

from fsgate_server import REGION, FsgateServer, expect_error

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server():
    # Async dirops and fsync on (the defaults): part sizes must ride the
    # journal and the applier as the rest of the metadata does.
    with FsgateServer() as srv:
        yield srv


def raw_get(srv, url, method="GET"):
    """GET a full URL on a raw socket: (status, [(name, value)], head bytes, body).

    A raw socket shows the header block exactly as sent, which a client
    library would refuse or fold before a test could look at it."""
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    length = "Content-Length: 0\r\n" if method == "PUT" else ""
    request = (f"{method} {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n{length}"
               "Connection: close\r\n\r\n")
    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as sock:
        sock.sendall(request.encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers.append((name.decode("latin-1").strip().lower(), value.decode("latin-1").strip()))
    return status, headers, head, body


def presigned_url(srv, method, path, params):
    """A presigned URL with extra query parameters of any value."""
    url = f"{srv.endpoint}{path}?{urllib.parse.urlencode(params, quote_via=urllib.parse.quote)}"
    request = botocore.awsrequest.AWSRequest(method=method, url=url)
    credentials = botocore.credentials.Credentials(srv.access_key, srv.secret_key)
    botocore.auth.S3SigV4QueryAuth(credentials, "s3", REGION, expires=300).add_auth(request)
    return request.url


def xml_field(body, name):
    m = re.search(rb"<" + name.encode() + rb">([^<]*)</" + name.encode() + rb">", body)
    return html.unescape(m.group(1).decode()) if m else None


def assert_absent(s3, bucket, key):
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key=key)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


# -- response splitting -------------------------------------------------------------

OVERRIDES = {
    "ResponseContentDisposition": "response-content-disposition",
    "ResponseContentType": "response-content-type",
    "ResponseContentLanguage": "response-content-language",
    "ResponseExpires": "response-expires",
    "ResponseCacheControl": "response-cache-control",
    "ResponseContentEncoding": "response-content-encoding",
}


@pytest.mark.parametrize("param", sorted(OVERRIDES))
def test_presigned_override_with_crlf_cannot_split_the_response(server, s3, bucket, param):
    s3.put_object(Bucket=bucket, Key="doc", Body=b"hello")
    evil = 'attachment; filename="a"\r\nSet-Cookie: session=stolen\r\nX-Evil: 1'
    if param == "ResponseExpires":
        # boto3 takes only a date here: the same URL, presigned by hand.
        url = presigned_url(server, "GET", f"/{bucket}/doc", {OVERRIDES[param]: evil})
    else:
        url = s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": "doc", param: evil}, ExpiresIn=300)
    status, headers, head, body = raw_get(server, url)
    names = [n for n, _ in headers]
    assert "set-cookie" not in names and "x-evil" not in names, head
    assert b"stolen" not in head and b"X-Evil" not in head, head
    assert status == 400, (status, body)
    assert xml_field(body, "Code") == "InvalidArgument", body
    assert xml_field(body, "ArgumentName") == OVERRIDES[param], body
    # The value comes back in the XML body with its control characters escaped.
    assert xml_field(body, "ArgumentValue") == evil.replace("\r", "%0D").replace("\n", "%0A"), body
    assert xml_field(body, "RequestId") == dict(headers)["x-amz-request-id"]


@pytest.mark.parametrize("value", ["a\x00b", "a\x01b", "a\x7fb", "a\nb", "a\rb"])
def test_signed_override_with_control_character_is_refused(server, s3, bucket, value):
    s3.put_object(Bucket=bucket, Key="doc", Body=b"hello")
    r = server.raw("GET", f"/{bucket}/doc", query={"response-content-type": value})
    assert r.status == 400, r
    assert r.error_code() == "InvalidArgument", r
    assert r.error_field("ArgumentName") == "response-content-type", r


def test_plain_overrides_are_still_honoured(s3, bucket):
    s3.put_object(Bucket=bucket, Key="doc", Body=b"hello")
    r = s3.get_object(Bucket=bucket, Key="doc",
                      ResponseContentDisposition='attachment; filename="r\u00e9sum\u00e9.txt"',
                      ResponseContentType="text/plain\tcharset=utf-8", ResponseCacheControl="no-store")
    assert r["Body"].read() == b"hello"
    assert r["CacheControl"] == "no-store"
    assert r["ContentType"] == "text/plain\tcharset=utf-8"
    assert r["ContentDisposition"].startswith("attachment;")


# Beast's parser already refuses these in request headers (400 BadRequest);
# fsgate checks again before storing (InvalidArgument), so that no later change
# of parser can turn a stored value into a response header with a CR or LF.
STORED_HEADERS = ["x-amz-meta-note", "content-type", "content-disposition", "cache-control",
                  "content-language", "expires", "content-encoding"]
BAD_VALUES = ["a\x01b", "a\x7fb", "a\x00b"]


def put_with_header(srv, bucket, key, name, value, query=None, method="PUT", extra=None):
    """A SigV4-signed request whose header `name` carries `value` byte for byte."""
    headers = {name: value}
    headers.update(extra or {})
    return srv.raw_v4(method, f"/{bucket}/{key}", query=query, headers=headers,
                      body=b"payload" if method == "PUT" else b"")


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize("name", STORED_HEADERS)
def test_put_with_control_character_in_stored_header_is_refused(server, s3, bucket, name, value):
    r = put_with_header(server, bucket, "obj", name, value)
    assert r.status == 400, r
    assert r.error_code() in ("InvalidArgument", "BadRequest"), r
    assert_absent(s3, bucket, "obj")


@pytest.mark.parametrize("name", ["x-amz-meta-note", "content-disposition"])
def test_create_multipart_upload_with_control_character_is_refused(server, s3, bucket, name):
    r = put_with_header(server, bucket, "mp", name, "a\x01b", query={"uploads": ""}, method="POST")
    assert r.status == 400, r
    assert r.error_code() in ("InvalidArgument", "BadRequest"), r
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_copy_replacing_metadata_with_control_character_is_refused(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"source")
    r = put_with_header(server, bucket, "dst", "x-amz-meta-note", "a\x01b",
                        extra={"x-amz-copy-source": f"/{bucket}/src",
                               "x-amz-metadata-directive": "REPLACE"})
    assert r.status == 400, r
    assert r.error_code() in ("InvalidArgument", "BadRequest"), r
    assert_absent(s3, bucket, "dst")


def test_folded_metadata_comes_back_on_one_line(server, s3, bucket):
    """A folded header line (obs-fold) is unfolded by the parser: stored and
    returned as one line, never with its CR LF."""
    path = f"/{bucket}/folded"
    h, _, _, _ = server.sign_v4("PUT", path, "", {"x-amz-meta-note": "first second"},
                                hashlib.sha256(b"x").hexdigest())
    lines = "".join(f"{k}: {v}\r\n" for k, v in h.items() if k != "x-amz-meta-note")
    raw = (f"PUT {path} HTTP/1.1\r\n{lines}x-amz-meta-note: first\r\n second\r\n"
           "Content-Length: 1\r\nConnection: close\r\n\r\nx").encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(raw)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200 "), answer
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "folded"})
    status, headers, head, body = raw_get(server, url)
    assert status == 200 and body == b"x", head
    assert dict(headers)["x-amz-meta-note"] == "first second", head


# -- bucket names -------------------------------------------------------------------

RESERVED_NAMES = ["sthree-data", "sthree-configurator", "amzn-s3-demo-bucket", "xn--bucket",
                  "data-s3alias", "data--ol-s3", "data.mrap", "data--x-s3", "data--table-s3"]


@pytest.mark.parametrize("name", RESERVED_NAMES)
def test_reserved_bucket_names_are_invalid(server, s3, name):
    r = server.raw("PUT", f"/{name}")
    assert r.status == 400, r
    assert r.error_code() == "InvalidBucketName", r
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert not os.path.exists(os.path.join(server.root, name))


@pytest.mark.parametrize("name", ["sthree", "data-s3", "mrap.data", "xn-data", "amzn-s3-data"])
def test_names_near_reserved_ones_are_valid(s3, name):
    s3.create_bucket(Bucket=name)
    try:
        assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    finally:
        s3.delete_bucket(Bucket=name)


# -- checksums on partial reads ----------------------------------------------------------


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_ranged_get_carries_no_full_object_checksum(server, s3, bucket):
    data = os.urandom(64 * 1024)
    s3.put_object(Bucket=bucket, Key="ck", Body=data, ChecksumAlgorithm="CRC32")
    # boto3 validates a checksum it gets against the body: it must read the range.
    r = s3.get_object(Bucket=bucket, Key="ck", Range="bytes=0-9", ChecksumMode="ENABLED")
    assert r["Body"].read() == data[:10]
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 206
    sent = r["ResponseMetadata"]["HTTPHeaders"]
    assert not [h for h in sent if h.startswith("x-amz-checksum-")], sent
    # The same on the wire, HEAD included.
    for method in ("GET", "HEAD"):
        raw = server.raw(method, f"/{bucket}/ck",
                         headers={"Range": "bytes=100-", "x-amz-checksum-mode": "ENABLED"})
        assert raw.status == 206, raw
        assert not [h for h in raw.headers if h.lower().startswith("x-amz-checksum-")], raw.headers
    # A full read still returns the object's checksum.
    full = s3.get_object(Bucket=bucket, Key="ck", ChecksumMode="ENABLED")
    assert full["Body"].read() == data
    assert full["ChecksumCRC32"] == crc32_b64(data)
    # Part 1 of a single-part object is the whole object: its checksum holds.
    part = s3.get_object(Bucket=bucket, Key="ck", PartNumber=1, ChecksumMode="ENABLED")
    assert part["Body"].read() == data
    assert part["ChecksumCRC32"] == crc32_b64(data)


# -- GET / HEAD ?partNumber=N ---------------------------------------------------------------

PART_SIZES = [5 * MIB, 5 * MIB + 4096, 1000]


@pytest.fixture
def multipart_object(s3, bucket):
    key = "mp-object"
    parts_data = [os.urandom(n) for n in PART_SIZES]
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    done = []
    for i, data in enumerate(parts_data, start=1):
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=i, Body=data)["ETag"]
        done.append({"PartNumber": i, "ETag": etag})
    etag = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload,
                                        MultipartUpload={"Parts": done})["ETag"]
    return bucket, key, parts_data, etag


def check_parts(server, s3, bucket, key, parts_data, etag):
    total = sum(len(d) for d in parts_data)
    first = 0
    for number, data in enumerate(parts_data, start=1):
        last = first + len(data) - 1
        r = s3.get_object(Bucket=bucket, Key=key, PartNumber=number)
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert r["Body"].read() == data, f"part {number}"
        assert r["ContentRange"] == f"bytes {first}-{last}/{total}"
        assert r["ContentLength"] == len(data)
        assert r["ETag"] == etag
        assert r["PartsCount"] == len(parts_data)
        h = s3.head_object(Bucket=bucket, Key=key, PartNumber=number)
        assert h["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert h["ContentLength"] == len(data)
        assert h["ResponseMetadata"]["HTTPHeaders"]["content-range"] == f"bytes {first}-{last}/{total}"
        assert h["PartsCount"] == len(parts_data)
        first = last + 1
    for method in ("GET", "HEAD"):
        r = server.raw(method, f"/{bucket}/{key}", query={"partNumber": str(len(parts_data) + 1)})
        assert r.status == 416, r
        if method == "GET":
            assert r.error_code() == "InvalidPartNumber", r
            assert b"The requested partnumber is not satisfiable" in r.body


def test_part_number_reads_that_part(server, s3, multipart_object):
    bucket, key, parts_data, etag = multipart_object
    check_parts(server, s3, bucket, key, parts_data, etag)
    # A whole GET is unchanged: 200, every byte, no parts count.
    r = s3.get_object(Bucket=bucket, Key=key)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert r["Body"].read() == b"".join(parts_data)
    assert "PartsCount" not in r


def test_part_sizes_survive_kill_and_restart(server, multipart_object):
    bucket, key, parts_data, etag = multipart_object
    server.restart(kill=True)  # replayed from the journal, or read back from the file
    check_parts(server, server.client(), bucket, key, parts_data, etag)
    server.restart()
    check_parts(server, server.client(), bucket, key, parts_data, etag)


def test_part_number_of_single_part_object(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="single", Body=b"0123456789")
    r = s3.get_object(Bucket=bucket, Key="single", PartNumber=1)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert r["ContentRange"] == "bytes 0-9/10"
    assert r["Body"].read() == b"0123456789"
    assert "PartsCount" not in r
    r = server.raw("GET", f"/{bucket}/single", query={"partNumber": "2"})
    assert r.status == 416 and r.error_code() == "InvalidPartNumber", r
    # An empty object has no byte range: part 1 is sent whole.
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    r = server.raw("GET", f"/{bucket}/empty", query={"partNumber": "1"})
    assert r.status == 200 and r.body == b"", r


@pytest.mark.parametrize("value", ["0", "10001", "-1", "abc", "1.5", ""])
def test_part_number_out_of_bounds_is_invalid_argument(server, s3, bucket, value):
    s3.put_object(Bucket=bucket, Key="obj", Body=b"data")
    r = server.raw("GET", f"/{bucket}/obj", query={"partNumber": value})
    assert r.status == 400, r
    assert r.error_code() == "InvalidArgument", r
    assert r.error_field("Message") == "Part number must be an integer between 1 and 10000, inclusive"
    assert r.error_field("ArgumentName") == "partNumber", r


def test_part_number_with_range_is_invalid_request(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="obj", Body=b"data")
    r = server.raw("GET", f"/{bucket}/obj", query={"partNumber": "1"}, headers={"Range": "bytes=0-1"})
    assert r.status == 400, r
    assert r.error_code() == "InvalidRequest", r
    assert r.error_field("Message") == "Cannot specify both Range header and partNumber query parameter"


# -- bucket sub-resources -------------------------------------------------------------------


@pytest.mark.parametrize("query,status,code", [
    ("policyStatus", 404, "NoSuchBucketPolicy"),
    ("publicAccessBlock", 404, "NoSuchPublicAccessBlockConfiguration"),
    ("policy", 404, "NoSuchBucketPolicy"),
    ("analytics", 501, "NotImplemented"),
    ("metrics", 501, "NotImplemented"),
    ("inventory", 501, "NotImplemented"),
    ("intelligent-tiering", 501, "NotImplemented"),
    ("abac", 501, "NotImplemented"),
    ("metadataConfiguration", 501, "NotImplemented"),
    ("prefix=a&delete", 501, "NotImplemented"),
])
def test_unserved_bucket_subresources_are_errors(server, s3, bucket, query, status, code):
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    r = server.raw("GET", f"/{bucket}", raw_query=query)
    assert r.status == status, r
    assert r.error_code() == code, r
    assert b"ListBucketResult" not in r.body
    assert r.error_field("RequestId") == r.headers["x-amz-request-id"]


@pytest.mark.parametrize("query", ["foo", "foo=bar", "prefix=a&foo", "_=1700000000",
                                   "bucket=b&key=k&etag=%22e%22", "list-type=2&foo"])
def test_a_listing_ignores_parameters_s3_gives_no_meaning(server, s3, bucket, query):
    """As AWS does: a form's success_action_redirect back to its bucket, a cache buster."""
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    r = server.raw("GET", f"/{bucket}", raw_query=query)
    assert r.status == 200, r
    assert b"ListBucketResult" in r.body and b"<Key>a</Key>" in r.body, r


def test_sdk_calls_of_unserved_subresources_get_their_errors(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.get_bucket_policy_status(Bucket=bucket)
    assert e.value.response["Error"]["Code"] == "NoSuchBucketPolicy"
    with pytest.raises(ClientError) as e:
        s3.get_public_access_block(Bucket=bucket)
    assert e.value.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration"
    with pytest.raises(ClientError) as e:
        s3.list_bucket_analytics_configurations(Bucket=bucket)
    assert e.value.response["Error"]["Code"] == "NotImplemented"


def test_listings_with_every_parameter_still_route(server, s3, bucket):
    for key in ("a/1", "a/2", "b/1", "c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    r = s3.list_objects_v2(Bucket=bucket, Prefix="a/", Delimiter="/", StartAfter="a/1",
                           FetchOwner=True, EncodingType="url", MaxKeys=10)
    assert [o["Key"] for o in r["Contents"]] == ["a/2"]
    page = s3.list_objects_v2(Bucket=bucket, MaxKeys=1)
    r = s3.list_objects_v2(Bucket=bucket, ContinuationToken=page["NextContinuationToken"])
    assert r["KeyCount"] == 3
    r = s3.list_objects(Bucket=bucket, Marker="b/1", Delimiter="/", MaxKeys=5)
    assert [o["Key"] for o in r["Contents"]] == ["c"]
    assert s3.list_object_versions(Bucket=bucket, Prefix="a/", KeyMarker="")["ResponseMetadata"][
        "HTTPStatusCode"] == 200
    assert s3.list_multipart_uploads(Bucket=bucket, Prefix="a", MaxUploads=5)["ResponseMetadata"][
        "HTTPStatusCode"] == 200
    # x-id, as the AWS SDKs append it.
    r = server.raw("GET", f"/{bucket}", raw_query="list-type=2&prefix=b&x-id=ListObjectsV2")
    assert r.status == 200 and b"<Key>b/1</Key>" in r.body, r
    # A presigned listing: the X-Amz-* parameters are not sub-resources.
    url = s3.generate_presigned_url("list_objects_v2", Params={"Bucket": bucket, "Prefix": "a/"})
    status, _, _, body = raw_get(server, url)
    assert status == 200 and b"<Key>a/1</Key>" in body, body


def test_presigned_create_bucket_routes(server, s3):
    name = "presigned-create-bucket"
    url = s3.generate_presigned_url("create_bucket", Params={"Bucket": name})
    status, _, _, body = raw_get(server, url, method="PUT")
    assert status == 200, body
    s3.delete_bucket(Bucket=name)


def test_post_form_upload_takes_the_form_signature(server, s3, bucket):
    # A browser's form upload carries its policy and signature as form fields,
    # not as SigV4 (test_post_object.py): unsigned, it is an anonymous upload,
    # denied without a bucket policy that allows it.
    boundary = "fsgate-form-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nform.txt\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n"
            f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n").encode()
    r = server.raw("POST", f"/{bucket}", body=body, sign=False,
                   headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status == 403, r
    assert r.error_code() == "AccessDenied", r
    # Its row takes the form's own signature, not SigV4.
    r = server.raw("POST", f"/{bucket}", body=body,
                   headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status == 400, r
    assert r.error_code() == "InvalidRequest", r
    expect_error(s3.head_object, "404", 404, Bucket=bucket, Key="form.txt")
