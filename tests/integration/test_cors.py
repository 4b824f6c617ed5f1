"""CORS: Put/Get/DeleteBucketCors through boto3, preflights through curl, and
the Access-Control-* headers on the answers to a browser's requests.

The expected answers are AWS's: a preflight without Origin is 400 BadRequest,
one to a bucket without CORS or that no rule allows is 403 AccessForbidden
with a "CORSResponse: ..." message, and an allowed one is 200 with the
matching rule's headers. Answers to requests with a matching Origin carry
Access-Control-Allow-Origin, errors included.
"""

import subprocess
import uuid

import pytest

from fsgate_server import expect_error

APP = "https://app.example.com"
RULES = {
    "CORSRules": [
        {"ID": "app", "AllowedOrigins": ["https://*.example.com"], "AllowedMethods": ["GET", "PUT"],
         "AllowedHeaders": ["x-amz-*", "Content-Type"], "ExposeHeaders": ["ETag"],
         "MaxAgeSeconds": 600},
        {"AllowedOrigins": ["*"], "AllowedMethods": ["HEAD"]},
    ]
}
NOT_ALLOWED = ("CORSResponse: This CORS request is not allowed. This is usually because the "
               "evalution of Origin, request method / Access-Control-Request-Method or "
               "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")


@pytest.fixture
def cors_bucket(s3, bucket):
    s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"hello")
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    return bucket


def curl(server, method, path, headers=()):
    """(status, {lower-case header: value}, body) of a plain unsigned curl request."""
    cmd = ["curl", "-s", "-I"] if method == "HEAD" else ["curl", "-s", "-i", "-X", method]
    for h in headers:
        cmd += ["-H", h]
    out = subprocess.run(cmd + [f"{server.endpoint}{path}"], capture_output=True, check=True,
                         timeout=30).stdout.decode()
    head, _, body = out.partition("\r\n\r\n")
    lines = head.split("\r\n")
    status = int(lines[0].split()[1])
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return status, fields, body


def test_put_get_delete_cors(s3, bucket):
    expect_error(s3.get_bucket_cors, "NoSuchCORSConfiguration", 404, Bucket=bucket)
    assert s3.delete_bucket_cors(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    got = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert got == RULES["CORSRules"]
    s3.delete_bucket_cors(Bucket=bucket)
    expect_error(s3.get_bucket_cors, "NoSuchCORSConfiguration", 404, Bucket=bucket)


def test_put_cors_refuses_what_aws_refuses(s3, bucket):
    bad_method = {"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}]}
    err = expect_error(s3.put_bucket_cors, "InvalidRequest", 400, Bucket=bucket,
                       CORSConfiguration=bad_method)
    assert err["Error"]["Message"] == ("Found unsupported HTTP method in CORS config. "
                                       "Unsupported method is PATCH")
    two_stars = {"CORSRules": [{"AllowedOrigins": ["http://*.*.com"], "AllowedMethods": ["GET"]}]}
    expect_error(s3.put_bucket_cors, "InvalidRequest", 400, Bucket=bucket,
                 CORSConfiguration=two_stars)
    too_many = {"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}] * 101}
    expect_error(s3.put_bucket_cors, "MalformedXML", 400, Bucket=bucket, CORSConfiguration=too_many)
    # Nothing was stored by the refused requests.
    expect_error(s3.get_bucket_cors, "NoSuchCORSConfiguration", 404, Bucket=bucket)


def test_preflight_allowed(server, cors_bucket):
    status, h, body = curl(server, "OPTIONS", f"/{cors_bucket}/doc.txt",
                           ["Origin: " + APP, "Access-Control-Request-Method: PUT",
                            "Access-Control-Request-Headers: content-type, X-Amz-Date"])
    assert status == 200, body
    assert h["access-control-allow-origin"] == APP
    assert h["access-control-allow-credentials"] == "true"
    assert h["access-control-allow-methods"] == "GET, PUT"
    assert h["access-control-allow-headers"] == "content-type, X-Amz-Date"
    assert h["access-control-expose-headers"] == "ETag"
    assert h["access-control-max-age"] == "600"
    assert h["vary"] == "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
    # The "*" rule answers "*", without credentials; a bucket-level preflight too.
    status, h, _ = curl(server, "OPTIONS", f"/{cors_bucket}",
                        ["Origin: http://anywhere.test", "Access-Control-Request-Method: HEAD"])
    assert status == 200
    assert h["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in h


def test_preflight_of_a_presigned_url_checks_no_signature(server, cors_bucket):
    url = server.client().generate_presigned_url(
        "put_object", Params={"Bucket": cors_bucket, "Key": "up.bin"}, ExpiresIn=60)
    query = url.split("?", 1)[1]
    status, h, body = curl(server, "OPTIONS", f"/{cors_bucket}/up.bin?{query}",
                           ["Origin: " + APP, "Access-Control-Request-Method: PUT"])
    assert status == 200, body
    assert h["access-control-allow-origin"] == APP


@pytest.mark.parametrize("headers,status,code,message", [
    ([], 400, "BadRequest", "Insufficient information. Origin request header needed."),
    (["Origin: " + APP], 400, "BadRequest", "Invalid Access-Control-Request-Method: null"),
    (["Origin: " + APP, "Access-Control-Request-Method: PATCH"], 400, "BadRequest",
     "Invalid Access-Control-Request-Method: PATCH"),
    (["Origin: https://evil.test", "Access-Control-Request-Method: GET"], 403, "AccessForbidden",
     NOT_ALLOWED),
    (["Origin: " + APP, "Access-Control-Request-Method: DELETE"], 403, "AccessForbidden",
     NOT_ALLOWED),
    (["Origin: " + APP, "Access-Control-Request-Method: PUT",
      "Access-Control-Request-Headers: authorization"], 403, "AccessForbidden", NOT_ALLOWED),
])
def test_preflight_denied(server, cors_bucket, headers, status, code, message):
    got, h, body = curl(server, "OPTIONS", f"/{cors_bucket}/doc.txt", headers)
    assert got == status, body
    assert f"<Code>{code}</Code>" in body
    assert f"<Message>{message}</Message>" in body
    assert "access-control-allow-origin" not in h


def test_preflight_without_cors_configuration(server, bucket):
    status, h, body = curl(server, "OPTIONS", f"/{bucket}/doc.txt",
                           ["Origin: " + APP, "Access-Control-Request-Method: GET"])
    assert status == 403
    assert "<Code>AccessForbidden</Code>" in body
    assert "<Message>CORSResponse: CORS is not enabled for this bucket.</Message>" in body
    assert "<Method>GET</Method><ResourceType>OBJECT</ResourceType>" in body
    status, _, body = curl(server, "OPTIONS", f"/no-such-{uuid.uuid4().hex[:8]}",
                           ["Origin: " + APP, "Access-Control-Request-Method: GET"])
    assert status == 403
    assert "<Message>CORSResponse: Bucket not found</Message>" in body


def test_headers_on_answers_errors_included(server, cors_bucket):
    # A presigned GET, as a browser's fetch() sends it.
    url = server.client().generate_presigned_url(
        "get_object", Params={"Bucket": cors_bucket, "Key": "doc.txt"}, ExpiresIn=60)
    path = url[len(server.endpoint):]
    status, h, body = curl(server, "GET", path, ["Origin: " + APP])
    assert (status, body) == (200, "hello")
    assert h["access-control-allow-origin"] == APP
    assert h["access-control-expose-headers"] == "ETag"
    assert h["vary"].startswith("Origin")
    # An anonymous GET is AccessDenied, a missing key NoSuchKey: both carry the headers.
    status, h, body = curl(server, "GET", f"/{cors_bucket}/doc.txt", ["Origin: " + APP])
    assert status == 403 and "<Code>AccessDenied</Code>" in body
    assert h["access-control-allow-origin"] == APP
    url = server.client().generate_presigned_url(
        "get_object", Params={"Bucket": cors_bucket, "Key": "missing"}, ExpiresIn=60)
    status, h, body = curl(server, "GET", url[len(server.endpoint):], ["Origin: " + APP])
    assert status == 404 and "<Code>NoSuchKey</Code>" in body
    assert h["access-control-allow-origin"] == APP
    # HEAD is allowed to any origin by the second rule.
    status, h, _ = curl(server, "HEAD", f"/{cors_bucket}/doc.txt", ["Origin: http://x.test"])
    assert h["access-control-allow-origin"] == "*"
    # No Origin, or one no rule allows for the method: no CORS headers.
    status, h, _ = curl(server, "GET", path)
    assert status == 200 and "access-control-allow-origin" not in h
    status, h, _ = curl(server, "GET", path, ["Origin: https://evil.test"])
    assert status == 200 and "access-control-allow-origin" not in h and "vary" not in h


def test_cors_survives_restart(server, cors_bucket):
    server.restart()
    got = server.client().get_bucket_cors(Bucket=cors_bucket)["CORSRules"]
    assert got == RULES["CORSRules"]
