"""SigV2 presigned URLs (?AWSAccessKeyId=&Expires=&Signature=), as `s3cmd signurl`
and boto3 with signature_version='s3' make them, fetched with plain curl;
and their refusals with AWS's codes. SigV2 in the Authorization header:
test_sigv2_header.py."""

import subprocess
import time
import urllib.parse

import botocore.config
import boto3
import pytest

from test_clients import s3cmd


def curl(url, method="GET"):
    """(status, body) of a plain curl request to `url`."""
    out = subprocess.run(["curl", "-s", "-X", method, "-o", "-", "-w", "\n%{http_code}", url],
                         capture_output=True, check=True, timeout=30).stdout
    body, _, status = out.rpartition(b"\n")
    return int(status), body


def v2_client(server, secret_key=None):
    return boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=server.access_key,
                        aws_secret_access_key=secret_key or server.secret_key,
                        config=botocore.config.Config(signature_version="s3",
                                                      s3={"addressing_style": "path"}))


@pytest.fixture
def doc(s3, bucket):
    s3.put_object(Bucket=bucket, Key="dir/a doc+1.txt", Body=b"shared text")
    return bucket, "dir/a doc+1.txt"


def test_s3cmd_signurl_then_curl(server, doc, tmp_path):
    bucket, key = doc
    url = s3cmd(server, tmp_path, "signurl", f"s3://{bucket}/{key}", "+120").stdout.strip()
    assert "AWSAccessKeyId=" in url and "Signature=" in url
    assert curl(url) == (200, b"shared text")
    # The same URL does not open another key, nor a DELETE.
    other = url.replace("a%20doc", "b%20doc")
    status, body = curl(other)
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body
    status, body = curl(url, "DELETE")
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body
    assert server.client().get_object(Bucket=bucket, Key=key)["Body"].read() == b"shared text"


def test_boto3_v2_presigned_get_and_head(server, doc):
    bucket, key = doc
    client = v2_client(server)
    url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                        ExpiresIn=60)
    assert "Expires=" in url and "X-Amz-" not in url
    assert curl(url) == (200, b"shared text")
    head = client.generate_presigned_url("head_object", Params={"Bucket": bucket, "Key": key},
                                         ExpiresIn=60)
    out = subprocess.run(["curl", "-s", "-I", head], capture_output=True, check=True,
                         timeout=30).stdout
    assert out.startswith(b"HTTP/1.1 200")
    # A sub-resource is signed too: response-content-type overrides the type.
    typed = client.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key, "ResponseContentType": "text/x-v2"},
        ExpiresIn=60)
    out = subprocess.run(["curl", "-s", "-i", typed], capture_output=True, check=True,
                         timeout=30).stdout
    assert out.startswith(b"HTTP/1.1 200") and b"text/x-v2" in out


def replace_param(url, name, value):
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, value if k == name else v) for k, v in query]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


@pytest.mark.parametrize("change,code,message", [
    (lambda u: replace_param(u, "Expires", str(int(time.time()) - 5)), "AccessDenied",
     "Request has expired"),
    (lambda u: replace_param(u, "AWSAccessKeyId", "AKIANOSUCHKEY0000000"), "InvalidAccessKeyId",
     "The AWS Access Key Id you provided does not exist in our records."),
    (lambda u: replace_param(u, "Signature", "AAAA"), "SignatureDoesNotMatch", None),
    (lambda u: replace_param(u, "Expires", "soon"), "AccessDenied",
     "Query-string authentication requires the Signature, Expires and AWSAccessKeyId "
     "parameters"),
])
def test_refusals(server, doc, change, code, message):
    bucket, key = doc
    url = v2_client(server).generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=60)
    status, body = curl(change(url))
    assert status == 403, body
    assert f"<Code>{code}</Code>".encode() in body
    if message:
        assert f"<Message>{message}</Message>".encode() in body


def test_wrong_secret_is_refused_and_header_v2_works(server, doc):
    bucket, key = doc
    url = v2_client(server, secret_key="not-the-secret").generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=60)
    status, body = curl(url)
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body
    # SigV2 in the Authorization header ("AWS key:signature") is accepted, and
    # checked: a wrong secret is SignatureDoesNotMatch there too.
    assert v2_client(server).get_object(Bucket=bucket, Key=key)["Body"].read() == b"shared text"
    with pytest.raises(botocore.exceptions.ClientError) as info:
        v2_client(server, secret_key="not-the-secret").get_object(Bucket=bucket, Key=key)
    assert info.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.mark.parametrize("expires_in,message", [
    (0, "Request has expired"),  # Expires is the first second the URL is refused
    (-7, "Request has expired"),
    (609901, "Expires must be less than a week (in seconds) that is 604800"),
])
def test_expiry_out_of_range_is_refused_even_on_a_public_object(server, doc, expires_in, message):
    """A URL that is refused is not served as an anonymous request instead."""
    bucket, key = doc
    s3 = server.client()
    s3.put_object_acl(Bucket=bucket, Key=key, ACL="public-read")
    assert curl(f"{server.endpoint}/{bucket}/{urllib.parse.quote(key)}")[0] == 200
    url = v2_client(server).generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in)
    status, body = curl(url)
    assert status == 403, body
    assert b"<Code>AccessDenied</Code>" in body and f"<Message>{message}</Message>".encode() in body
