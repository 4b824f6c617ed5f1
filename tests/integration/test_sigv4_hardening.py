"""SigV4 as S3 enforces it, through the real gateway: every x-amz-* header and
host must be signed (presigned URLs too), the credential scope must name the
gateway's region, and what curl --aws-sigv4 signs unescaped is accepted and
names the same key the signature covered."""

import subprocess
import time
import urllib.parse

import pytest

from fsgate_server import FsgateServer, quote_key

NOT_SIGNED = "There were headers present in the request which were not signed"
CURL_SIGV4 = "aws:amz:us-east-1:s3"


def assert_error(resp, status, code, message=None):
    assert (resp.status, resp.error_code()) == (status, code), resp
    assert resp.error_field("RequestId"), resp
    if message is not None:
        assert resp.error_field("Message") == message, resp


def assert_empty(s3, bucket):
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def presigned_path(s3, method, bucket, key):
    url = s3.generate_presigned_url(method, Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    parts = urllib.parse.urlsplit(url)
    return f"{parts.path}?{parts.query}"


# ----------------------------------------------------------------------------------------
# Presigned URLs: headers the signature does not cover are refused


@pytest.mark.parametrize("header,value", [
    ("x-amz-copy-source", "{victim}/secret"),
    ("x-amz-metadata-directive", "REPLACE"),
    ("x-amz-meta-owner", "mallory"),
    ("X-Amz-Tagging", "a=b"),
])
def test_presigned_put_refuses_unsigned_amz_header(server, s3, bucket, header, value):
    victim = f"{bucket}-victim"
    s3.create_bucket(Bucket=victim)
    s3.put_object(Bucket=victim, Key="secret", Body=b"alice's secret")
    path = presigned_path(s3, "put_object", bucket, "drop")

    resp = server.raw("PUT", path, headers={header: value.format(victim=victim)}, body=b"mine",
                      sign=False)
    assert_error(resp, 403, "AccessDenied", NOT_SIGNED)
    assert resp.error_field("HeadersNotSigned") == header.lower()
    assert_empty(s3, bucket)  # no copy, no object with injected metadata

    # The URL itself is good: without the extra header it stores the body.
    assert server.raw("PUT", path, body=b"mine", sign=False).status == 200
    got = s3.get_object(Bucket=bucket, Key="drop")
    assert got["Body"].read() == b"mine" and got["Metadata"] == {}


def test_presigned_lists_every_unsigned_header(server, s3, bucket):
    path = presigned_path(s3, "put_object", bucket, "drop")
    resp = server.raw("PUT", path, body=b"x", sign=False,
                      headers={"x-amz-meta-a": "1", "x-amz-acl": "public-read"})
    assert_error(resp, 403, "AccessDenied", NOT_SIGNED)
    assert resp.error_field("HeadersNotSigned") == "x-amz-meta-a, x-amz-acl"
    assert_empty(s3, bucket)


def test_presigned_content_sha256_may_go_unsigned(server, s3, bucket):
    # As on S3: its value is the payload line of the canonical request, so the
    # signature covers it whether or not SignedHeaders names it.
    path = presigned_path(s3, "put_object", bucket, "k")
    resp = server.raw("PUT", path, body=b"data", sign=False,
                      headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    assert resp.status == 200, resp
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"


# ----------------------------------------------------------------------------------------
# host must be signed


def test_header_auth_refuses_unsigned_host(server, s3, bucket):
    h, _, _, _ = server.sign_v4("PUT", f"/{bucket}/k", "", {"host": "evil.example"},
                                "UNSIGNED-PAYLOAD", unsigned=("host",))
    assert "host;" not in h["authorization"]
    resp = server.raw("PUT", f"/{bucket}/k", headers=h, body=b"x", sign=False)
    assert_error(resp, 403, "AccessDenied", NOT_SIGNED)
    assert resp.error_field("HeadersNotSigned") == "host"
    assert_empty(s3, bucket)


def test_presigned_refuses_empty_signed_headers(server, s3, bucket):
    path = server.presign_v4("PUT", f"/{bucket}/k", signed=())
    assert "X-Amz-SignedHeaders=&" in path
    resp = server.raw("PUT", path, headers={"Host": "evil.example"}, body=b"x", sign=False)
    assert_error(resp, 403, "AccessDenied", NOT_SIGNED)
    assert resp.error_field("HeadersNotSigned") == "host"
    assert_empty(s3, bucket)
    # The same URL made with host signed works.
    assert server.raw("PUT", server.presign_v4("PUT", f"/{bucket}/k"), body=b"x",
                      sign=False).status == 200


def test_presigned_for_zero_seconds_never_works(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    resp = server.raw("GET", server.presign_v4("GET", f"/{bucket}/k", expires=0), sign=False)
    assert_error(resp, 403, "AccessDenied", "Request has expired")
    # Valid until X-Amz-Date plus one second, and the date is whole seconds: a
    # URL signed late in a second had only the rest of it (a flake under a
    # loaded ctest -j2). Signed just after a second begins, it has nearly all.
    time.sleep(1.0 - time.time() % 1.0 + 0.01)
    resp = server.raw("GET", server.presign_v4("GET", f"/{bucket}/k", expires=1), sign=False)
    assert resp.status == 200 and resp.body == b"x"


def test_expected_bucket_owner_must_be_the_owner(server, s3, bucket):
    """x-amz-expected-bucket-owner (and for a copy's source
    x-amz-source-expected-bucket-owner): another owner is AccessDenied and
    nothing changes; the owner's own id passes."""
    owner = s3.get_bucket_acl(Bucket=bucket)["Owner"]["ID"]
    s3.put_object(Bucket=bucket, Key="src", Body=b"s")
    for headers in ({"x-amz-expected-bucket-owner": owner + "x"},
                    {"x-amz-expected-bucket-owner": ""}):
        assert_error(server.raw("PUT", f"/{bucket}/k", headers=headers, body=b"x"), 403,
                     "AccessDenied")
        assert_error(server.raw("GET", f"/{bucket}", headers=headers), 403, "AccessDenied")
    assert_error(server.raw("PUT", f"/{bucket}/copy", headers={
        "x-amz-copy-source": f"/{bucket}/src",
        "x-amz-source-expected-bucket-owner": owner + "x"}), 403, "AccessDenied")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["src"]
    assert server.raw("PUT", f"/{bucket}/k", headers={"x-amz-expected-bucket-owner": owner},
                      body=b"x").status == 200
    assert server.raw("PUT", f"/{bucket}/copy", headers={
        "x-amz-copy-source": f"/{bucket}/src", "x-amz-expected-bucket-owner": owner,
        "x-amz-source-expected-bucket-owner": owner}).status == 200


# ----------------------------------------------------------------------------------------
# The credential scope names the gateway's region


def test_header_auth_wrong_region(server, s3, bucket):
    h, _, _, _ = server.sign_v4("PUT", f"/{bucket}/k", "", {}, "UNSIGNED-PAYLOAD", region="mars-1")
    resp = server.raw("PUT", f"/{bucket}/k", headers=h, body=b"x", sign=False)
    assert_error(resp, 400, "AuthorizationHeaderMalformed",
                 "The authorization header is malformed; the region 'mars-1' is wrong; "
                 "expecting 'us-east-1'")
    assert resp.error_field("Region") == "us-east-1"
    assert_empty(s3, bucket)


def test_presigned_wrong_region(server, s3, bucket):
    resp = server.raw("PUT", server.presign_v4("PUT", f"/{bucket}/k", region="mars-1"),
                      body=b"x", sign=False)
    assert_error(resp, 400, "AuthorizationQueryParametersError",
                 "Error parsing the X-Amz-Credential parameter; the region 'mars-1' is wrong; "
                 "expecting 'us-east-1'")
    assert resp.error_field("Region") == "us-east-1"
    assert_empty(s3, bucket)


def test_configured_region_is_the_one_expected():
    with FsgateServer(extra_args=["--region", "eu-west-1"]) as srv:
        h, _, _, _ = srv.sign_v4("PUT", "/regional", "", {}, "UNSIGNED-PAYLOAD",
                                 region="eu-west-1")
        assert srv.raw("PUT", "/regional", headers=h, sign=False).status == 200
        h, _, _, _ = srv.sign_v4("GET", "/regional", "", {}, "UNSIGNED-PAYLOAD")
        resp = srv.raw("GET", "/regional", headers=h, sign=False)
        assert_error(resp, 400, "AuthorizationHeaderMalformed",
                     "The authorization header is malformed; the region 'us-east-1' is wrong; "
                     "expecting 'eu-west-1'")
        assert resp.error_field("Region") == "eu-west-1"
        # boto3 set to eu-west-1 works; set to us-east-1 it re-signs for the
        # <Region> the error names, as it does with AWS.
        assert srv.client(region_name="eu-west-1").list_objects_v2(Bucket="regional")["KeyCount"] == 0
        assert srv.client().list_objects_v2(Bucket="regional")["KeyCount"] == 0


# ----------------------------------------------------------------------------------------
# The query's '+' is a space to the router, so to the signature too


def test_query_plus_is_signed_as_a_space(server, s3, bucket):
    for key in ("a b/x", "a+b/x"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"1")
    # Signed for a literal plus, sent with '+' that the router reads as a space.
    h, _, _, _ = server.sign_v4("GET", f"/{bucket}", "prefix=a%2Bb%2F", {}, "UNSIGNED-PAYLOAD")
    resp = server.raw("GET", f"/{bucket}", raw_query="prefix=a+b/", headers=h, sign=False)
    assert_error(resp, 403, "SignatureDoesNotMatch")
    # Signed for the space it means: listed as such.
    h, _, _, _ = server.sign_v4("GET", f"/{bucket}", "prefix=a%20b%2F", {}, "UNSIGNED-PAYLOAD")
    resp = server.raw("GET", f"/{bucket}", raw_query="prefix=a+b/", headers=h, sign=False)
    assert resp.status == 200, resp
    assert b"<Key>a b/x</Key>" in resp.body and b"a+b" not in resp.body


# ----------------------------------------------------------------------------------------
# curl --aws-sigv4 with what it leaves unescaped


def curl(server, *args):
    res = subprocess.run(
        ["/usr/bin/curl", "-sS", "-o", "/dev/stderr", "-w", "%{http_code}", "--aws-sigv4",
         CURL_SIGV4, "--user", f"{server.access_key}:{server.secret_key}",
         "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", *args],
        capture_output=True, timeout=60, check=True)
    return int(res.stdout), res.stderr


KEY = "dir/a+b()!*'c.txt"


def test_curl_unescaped_key_put_get(server, s3, bucket, tmp_path):
    src = tmp_path / "src"
    src.write_bytes(b"curl body")
    url = f"{server.endpoint}/{bucket}/{KEY}"
    status, body = curl(server, "-T", str(src), url)
    assert status == 200, body
    # '+' in a path is a plus, not a space: the key is exactly KEY.
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [KEY]
    assert s3.get_object(Bucket=bucket, Key=KEY)["Body"].read() == b"curl body"
    status, body = curl(server, url)
    assert (status, body) == (200, b"curl body")
    # The escaped spelling names the same object, and still works.
    status, body = curl(server, f"{server.endpoint}/{bucket}/{quote_key(KEY)}")
    assert (status, body) == (200, b"curl body")


def test_curl_unencoded_prefix(server, s3, bucket):
    for key in ("dir/x", "dir/y", "other/z"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"1")
    status, body = curl(server, f"{server.endpoint}/{bucket}?prefix=dir/")
    assert status == 200, body
    assert b"<Key>dir/x</Key>" in body and b"<Key>dir/y</Key>" in body and b"other/z" not in body
    status, body = curl(server, f"{server.endpoint}/{bucket}?prefix=dir/&delimiter=/&list-type=2")
    assert status == 200, body
    assert b"<KeyCount>2</KeyCount>" in body


def test_curl_valueless_subresources(server, s3, bucket):
    status, body = curl(server, f"{server.endpoint}/{bucket}?location")
    assert status == 200 and b"LocationConstraint" in body, body
    status, body = curl(server, "-X", "POST", f"{server.endpoint}/{bucket}/{KEY}?uploads")
    assert status == 200 and b"<UploadId>" in body, body
    upload_id = body.split(b"<UploadId>")[1].split(b"</UploadId>")[0].decode()
    status, body = curl(server, f"{server.endpoint}/{bucket}?uploads")
    assert status == 200 and f"<UploadId>{upload_id}</UploadId>".encode() in body, body
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [(KEY, upload_id)]
