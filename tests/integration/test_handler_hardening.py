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

from fsgate_server import REGION, FsgateServer

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


# -- bucket sub-resources -------------------------------------------------------------------


@pytest.mark.parametrize("query,status,code", [
    ("policyStatus", 404, "NoSuchBucketPolicy"),
    ("publicAccessBlock", 404, "NoSuchPublicAccessBlockConfiguration"),
    ("policy", 404, "NoSuchBucketPolicy"),
    ("foo", 501, "NotImplemented"),
    ("foo=bar", 501, "NotImplemented"),
    ("analytics", 501, "NotImplemented"),
    ("metrics", 501, "NotImplemented"),
    ("inventory", 501, "NotImplemented"),
    ("intelligent-tiering", 501, "NotImplemented"),
    ("prefix=a&foo", 501, "NotImplemented"),
])
def test_unserved_bucket_subresources_are_errors(server, s3, bucket, query, status, code):
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    r = server.raw("GET", f"/{bucket}", raw_query=query)
    assert r.status == status, r
    assert r.error_code() == code, r
    assert b"ListBucketResult" not in r.body
    assert r.error_field("RequestId") == r.headers["x-amz-request-id"]


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
