"""SigV2 in the Authorization header ("AWS AccessKeyId:Signature"), as boto3 with
signature_version='s3' and s3cmd --signature-v2 sign: every kind of request
works, and the refusals carry AWS's codes and change nothing."""

import base64
import email.utils
import hashlib
import hmac
import time

import botocore.exceptions
import pytest

from fsgate_server import FsgateServer, expect_error
from test_clients import s3cmd


def v2(server, **kwargs):
    return server.client(signature_version="s3", **kwargs)


def v2_signed(server, method, path, headers, secret_key=None, access_key=None):
    """`headers` plus an Authorization of the V2 string to sign (path-style `path`)."""
    amz = sorted((k.lower(), v) for k, v in headers.items() if k.lower().startswith("x-amz-"))
    lower = {k.lower(): v for k, v in headers.items()}
    date = "" if "x-amz-date" in lower else lower.get("date", "")
    text = "\n".join([method, lower.get("content-md5", ""), lower.get("content-type", ""), date])
    text += "\n" + "".join(f"{k}:{v}\n" for k, v in amz) + path
    key = (secret_key or server.secret_key).encode()
    signature = base64.b64encode(hmac.new(key, text.encode(), hashlib.sha1).digest()).decode()
    return dict(headers, Authorization=f"AWS {access_key or server.access_key}:{signature}")


def http_date(offset=0):
    return email.utils.formatdate(time.time() + offset, usegmt=True)


def test_boto3_v2_put_get_head_list_copy_delete(server, bucket):
    client = v2(server)
    client.put_object(Bucket=bucket, Key="d/a b+c.txt", Body=b"v2 body", ContentType="text/x-v2",
                      Metadata={"who": "v2"})
    got = client.get_object(Bucket=bucket, Key="d/a b+c.txt")
    assert got["Body"].read() == b"v2 body" and got["ContentType"] == "text/x-v2"
    assert got["Metadata"] == {"who": "v2"}
    head = client.head_object(Bucket=bucket, Key="d/a b+c.txt")
    assert head["ContentLength"] == 7
    # Sub-resources are signed in the resource (botocore also repeats an
    # operation's fixed query there: "/b/k?tagging?tagging").
    client.put_object_tagging(Bucket=bucket, Key="d/a b+c.txt",
                              Tagging={"TagSet": [{"Key": "t", "Value": "1"}]})
    assert client.get_object_tagging(Bucket=bucket, Key="d/a b+c.txt")["TagSet"] == [
        {"Key": "t", "Value": "1"}]
    assert client.get_object_acl(Bucket=bucket, Key="d/a b+c.txt")["Grants"]
    client.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "d/a b+c.txt"})
    listed = client.list_objects(Bucket=bucket, Prefix="d/", Delimiter="/")
    assert [o["Key"] for o in listed["Contents"]] == ["d/a b+c.txt"]
    listed = client.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["copy", "d/a b+c.txt"]
    client.delete_object(Bucket=bucket, Key="copy")
    # DeleteObjects: ?delete signed, its body's Content-MD5 checked.
    client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d/a b+c.txt"}]})
    assert server.client().list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_boto3_v2_multipart_and_bucket_ops(server):
    client = v2(server)
    client.create_bucket(Bucket="v2-mpu")
    upload = client.create_multipart_upload(Bucket="v2-mpu", Key="big")["UploadId"]
    parts = []
    for number, data in ((1, b"a" * (5 << 20)), (2, b"tail")):
        etag = client.upload_part(Bucket="v2-mpu", Key="big", UploadId=upload, PartNumber=number,
                                  Body=data)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    assert len(client.list_parts(Bucket="v2-mpu", Key="big", UploadId=upload)["Parts"]) == 2
    client.complete_multipart_upload(Bucket="v2-mpu", Key="big", UploadId=upload,
                                     MultipartUpload={"Parts": parts})
    body = server.client().get_object(Bucket="v2-mpu", Key="big")["Body"].read()
    assert body == b"a" * (5 << 20) + b"tail"
    client.delete_object(Bucket="v2-mpu", Key="big")
    client.delete_bucket(Bucket="v2-mpu")
    assert "v2-mpu" not in [b["Name"] for b in client.list_buckets()["Buckets"]]


def test_payload_is_unsigned_but_content_md5_is_checked(server, bucket):
    body = b"checked by md5"
    good = base64.b64encode(hashlib.md5(body).digest()).decode()
    v2(server).put_object(Bucket=bucket, Key="m", Body=body, ContentMD5=good)
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    expect_error(v2(server).put_object, "BadDigest", 400, Bucket=bucket, Key="m", Body=b"changed",
                 ContentMD5=wrong)
    assert server.client().get_object(Bucket=bucket, Key="m")["Body"].read() == body


def test_wrong_secret_and_unknown_key_change_nothing(server, bucket):
    bad = v2(server, secret_key="not-the-secret")
    expect_error(bad.put_object, "SignatureDoesNotMatch", 403, Bucket=bucket, Key="x", Body=b"x")
    expect_error(v2(server, access_key="AKIANOSUCHKEY0000000").put_object, "InvalidAccessKeyId",
                 403, Bucket=bucket, Key="x", Body=b"x")
    assert server.client().list_objects_v2(Bucket=bucket)["KeyCount"] == 0


@pytest.mark.parametrize("headers,status,code,message", [
    ({"Date": http_date(-20 * 60)}, 403, "RequestTimeTooSkewed",
     "The difference between the request time and the current time is too large."),
    ({"Date": http_date(), "x-amz-date": http_date(20 * 60)}, 403, "RequestTimeTooSkewed", None),
    ({}, 403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"),
    ({"Date": http_date(), "x-amz-date": "Bad Date"}, 403, "AccessDenied",
     "AWS authentication requires a valid Date or x-amz-date header"),
])
def test_time_refusals(server, bucket, headers, status, code, message):
    signed = v2_signed(server, "PUT", f"/{bucket}/t", headers)
    resp = server.raw("PUT", f"/{bucket}/t", headers=signed, body=b"t", sign=False)
    assert resp.status == status and resp.error_code() == code, resp
    if message:
        assert f"<Message>{message}</Message>".encode() in resp.body
    assert server.client().list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_signed_by_hand_with_amz_date_and_malformed_header(server, bucket):
    headers = v2_signed(server, "PUT", f"/{bucket}/h",
                        {"x-amz-date": http_date(), "x-amz-meta-k": "v", "Content-Type": "a/b"})
    resp = server.raw("PUT", f"/{bucket}/h", headers=headers, body=b"h", sign=False)
    assert resp.status == 200, resp
    assert server.client().head_object(Bucket=bucket, Key="h")["Metadata"] == {"k": "v"}
    resp = server.raw("PUT", f"/{bucket}/h2", headers={"Date": http_date(), "Authorization": "AWS HAHAHA"},
                      body=b"h", sign=False)
    assert resp.status == 400 and resp.error_code() == "InvalidArgument", resp


def test_virtual_hosted_signs_bucket_and_key():
    with FsgateServer(extra_args=["--domain", "s3.fsgate.test"]) as srv:
        srv.client().create_bucket(Bucket="vhost2")
        host = f"vhost2.s3.fsgate.test:{srv.port}"
        headers = v2_signed(srv, "PUT", "/vhost2/dir/k", {"Host": host, "Date": http_date()})
        resp = srv.raw("PUT", "/dir/k", headers=headers, body=b"vh", sign=False)
        assert resp.status == 200, resp
        headers = v2_signed(srv, "GET", "/vhost2/dir/k", {"Host": host, "Date": http_date()})
        resp = srv.raw("GET", "/dir/k", headers=headers, sign=False)
        assert resp.status == 200 and resp.body == b"vh", resp
        # Signed without the bucket, as if path-style: refused.
        headers = v2_signed(srv, "GET", "/dir/k", {"Host": host, "Date": http_date()})
        resp = srv.raw("GET", "/dir/k", headers=headers, sign=False)
        assert resp.status == 403 and resp.error_code() == "SignatureDoesNotMatch", resp


def test_s3cmd_signature_v2(server, tmp_path):
    bucket = "s3cmd-v2"
    s3cmd(server, tmp_path, "--signature-v2", "mb", f"s3://{bucket}")
    src = tmp_path / "src.bin"
    src.write_bytes(b"s3cmd v2 data")
    s3cmd(server, tmp_path, "--signature-v2", "put", str(src), f"s3://{bucket}/d/src.bin")
    out = s3cmd(server, tmp_path, "--signature-v2", "ls", f"s3://{bucket}/d/").stdout
    assert f"s3://{bucket}/d/src.bin" in out
    dst = tmp_path / "dst.bin"
    s3cmd(server, tmp_path, "--signature-v2", "get", f"s3://{bucket}/d/src.bin", str(dst))
    assert dst.read_bytes() == b"s3cmd v2 data"
    s3cmd(server, tmp_path, "--signature-v2", "del", f"s3://{bucket}/d/src.bin")
    s3cmd(server, tmp_path, "--signature-v2", "rb", f"s3://{bucket}")
    with pytest.raises(botocore.exceptions.ClientError):
        server.client().head_bucket(Bucket=bucket)
