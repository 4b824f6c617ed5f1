"""POST object: browser form uploads (multipart/form-data) made with boto3's
generate_presigned_post and sent by curl -F, as a browser sends a form.

Success answers (204 by default, 200, 201 with the PostResponse XML, 303 to
success_action_redirect), what the form sets on the object (Content-Type,
x-amz-meta-*, tagging, ${filename}), the policy's refusals with AWS's codes
and messages, anonymous uploads decided by the bucket policy, and a 20 MiB
upload that streams: the gateway's peak RSS grows by a few MiB, not by the
file.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import time
import zlib

import pytest

from fsgate_server import etag_of
from test_presigned_v2 import v2_client


def post(url, fields, file_path=None, file_field="file", extra=()):
    """(status, {lower-case header: value}, body) of `curl -F` posting `fields` then the file."""
    cmd = ["curl", "-s", "-i"]
    for name, value in fields.items():
        cmd += ["--form-string", f"{name}={value}"]
    if file_path is not None:
        cmd += ["-F", f"{file_field}=@{file_path}"]
    for name, value in extra:
        cmd += ["--form-string", f"{name}={value}"]
    out = subprocess.run(cmd + [url], capture_output=True, check=True, timeout=120).stdout
    head, _, body = out.partition(b"\r\n\r\n")
    while head.startswith(b"HTTP/1.1 100"):
        head, _, body = body.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body.decode(errors="replace")


def error_of(body):
    code = re.search(r"<Code>([^<]*)</Code>", body)
    message = re.search(r"<Message>([^<]*)</Message>", body)
    return (code.group(1) if code else None, message.group(1) if message else None)


@pytest.fixture
def upload_file(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8 not really a jpeg " * 100)
    return path


def presign(s3, bucket, key, fields=None, conditions=None, expires=300):
    return s3.generate_presigned_post(bucket, key, Fields=fields, Conditions=conditions,
                                      ExpiresIn=expires)


def test_presigned_post_default_204(s3, bucket, upload_file):
    form = presign(s3, bucket, "up/photo.jpg")
    status, headers, body = post(form["url"], form["fields"], upload_file)
    assert status == 204, body
    data = upload_file.read_bytes()
    assert headers["etag"] == etag_of(data)
    assert s3.get_object(Bucket=bucket, Key="up/photo.jpg")["Body"].read() == data


def test_sigv2_signed_form(server, s3, bucket, upload_file):
    form = v2_client(server).generate_presigned_post(bucket, "v2.jpg", ExpiresIn=60)
    assert "AWSAccessKeyId" in form["fields"] and "signature" in form["fields"]
    status, _, body = post(form["url"], form["fields"], upload_file)
    assert status == 204, body
    assert s3.get_object(Bucket=bucket, Key="v2.jpg")["Body"].read() == upload_file.read_bytes()
    form["fields"]["signature"] = "AAAA"
    status, _, body = post(form["url"], form["fields"], upload_file)
    assert status == 403 and error_of(body)[0] == "SignatureDoesNotMatch"


def test_success_action_status_201_and_200(server, s3, bucket, upload_file):
    form = presign(s3, bucket, "a.jpg", fields={"success_action_status": "201"},
                   conditions=[{"success_action_status": "201"}])
    status, headers, body = post(form["url"], form["fields"], upload_file)
    assert status == 201, body
    assert "<PostResponse>" in body
    assert f"<Location>{server.endpoint}/{bucket}/a.jpg</Location>" in body
    assert headers["location"] == f"{server.endpoint}/{bucket}/a.jpg"
    assert f"<Bucket>{bucket}</Bucket>" in body and "<Key>a.jpg</Key>" in body
    assert f"<ETag>{etag_of(upload_file.read_bytes())}</ETag>" in body.replace("&quot;", '"')
    form = presign(s3, bucket, "b.jpg", fields={"success_action_status": "200"},
                   conditions=[{"success_action_status": "200"}])
    status, _, body = post(form["url"], form["fields"], upload_file)
    assert (status, body) == (200, "")


def test_success_action_redirect_303(s3, bucket, upload_file):
    target = "http://app.example.com/done?x=1"
    form = presign(s3, bucket, "r.jpg", fields={"success_action_redirect": target},
                   conditions=[{"success_action_redirect": target}])
    status, headers, _ = post(form["url"], form["fields"], upload_file)
    assert status == 303
    etag = etag_of(upload_file.read_bytes()).strip('"')
    assert headers["location"] == f"{target}&bucket={bucket}&key=r.jpg&etag=%22{etag}%22"


def test_a_redirect_back_to_the_public_bucket_is_followed_to_its_listing(s3, bucket, upload_file):
    """A browser follows the 303 with a GET of the bucket carrying bucket, key
    and etag: a listing, as in AWS (the parameters mean nothing to S3)."""
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    target = form_url = presign(s3, bucket, "back.jpg")["url"]
    form = presign(s3, bucket, "back.jpg", fields={"success_action_redirect": target},
                   conditions=[{"success_action_redirect": target}])
    out = subprocess.run(["curl", "-s", "-L", "-o", "-", "-w", "\n%{http_code} %{url_effective}"]
                         + [a for name, value in form["fields"].items()
                            for a in ("--form-string", f"{name}={value}")]
                         + ["-F", f"file=@{upload_file}", form_url],
                         capture_output=True, check=True, timeout=60).stdout.decode()
    body, _, last = out.rpartition("\n")
    status, url = last.split(" ", 1)
    etag = etag_of(upload_file.read_bytes()).strip('"')
    assert url == f"{target}?bucket={bucket}&key=back.jpg&etag=%22{etag}%22"
    assert status == "200", body
    assert "<ListBucketResult" in body and "<Key>back.jpg</Key>" in body, body


def test_form_sets_metadata_tags_and_filename(s3, bucket, upload_file):
    tagging = "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>"
    fields = {"Content-Type": "image/jpeg", "x-amz-meta-owner": "Ann", "tagging": tagging,
              "acl": "private"}
    conditions = [["starts-with", "$Content-Type", "image/"], {"x-amz-meta-owner": "Ann"},
                  {"tagging": tagging}, {"acl": "private"}]
    form = presign(s3, bucket, "user/${filename}", fields=fields, conditions=conditions)
    form["fields"]["key"] = "user/${filename}"
    status, _, body = post(form["url"], form["fields"], upload_file)
    assert status == 204, body
    head = s3.head_object(Bucket=bucket, Key="user/photo.jpg")
    assert head["ContentType"] == "image/jpeg"
    assert head["Metadata"] == {"owner": "Ann"}
    tags = s3.get_object_tagging(Bucket=bucket, Key="user/photo.jpg")["TagSet"]
    assert tags == [{"Key": "k", "Value": "v"}]


def test_checksum_field(s3, bucket, upload_file):
    data = upload_file.read_bytes()
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    form = presign(s3, bucket, "summed.jpg", fields={"x-amz-checksum-crc32": crc},
                   conditions=[{"x-amz-checksum-crc32": crc}])
    status, _, body = post(form["url"], form["fields"], upload_file)
    assert status == 204, body
    head = s3.head_object(Bucket=bucket, Key="summed.jpg", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == crc
    wrong = base64.b64encode(b"\0\0\0\0").decode()
    form = presign(s3, bucket, "wrong.jpg", fields={"x-amz-checksum-crc32": wrong},
                   conditions=[{"x-amz-checksum-crc32": wrong}])
    status, _, body = post(form["url"], form["fields"], upload_file)
    assert status == 400 and error_of(body) == (
        "BadDigest", "The CRC32 you specified did not match the calculated checksum.")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["summed.jpg"]


def test_fields_after_the_file_are_ignored(s3, bucket, upload_file):
    form = presign(s3, bucket, "late.jpg")
    status, _, body = post(form["url"], form["fields"], upload_file,
                           extra=[("x-amz-meta-late", "1")])
    assert status == 204, body
    assert s3.head_object(Bucket=bucket, Key="late.jpg")["Metadata"] == {}


@pytest.mark.parametrize("change,status,code,message", [
    (lambda f: f.update(key="other.jpg"), 403, "AccessDenied",
     'Invalid according to Policy: Policy Condition failed: ["eq", "$key", "k.jpg"]'),
    (lambda f: f.update({"x-amz-meta-extra": "1"}), 403, "AccessDenied",
     "Invalid according to Policy: Extra input fields: x-amz-meta-extra"),
    (lambda f: f.update({"x-amz-signature": "0" * 64}), 403, "SignatureDoesNotMatch", None),
    (lambda f: f.pop("key"), 400, "InvalidArgument",
     "Bucket POST must contain a field named 'key'.  If it is specified, please check the "
     "order of the fields."),
    (lambda f: f.pop("x-amz-credential"), 400, "InvalidArgument",
     "Bucket POST must contain a field named 'x-amz-credential'.  If it is specified, please "
     "check the order of the fields."),
])
def test_policy_violations(s3, bucket, upload_file, change, status, code, message):
    form = presign(s3, bucket, "k.jpg")
    change(form["fields"])
    got, _, body = post(form["url"], form["fields"], upload_file)
    assert got == status, body
    assert error_of(body)[0] == code
    if message:
        assert error_of(body)[1] == message
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def sign_policy(server, fields, policy_json):
    """Replaces the form's policy by `policy_json`, signed as boto3 signs one."""
    policy = base64.b64encode(policy_json.encode()).decode()
    date = fields["x-amz-credential"].split("/")[1]
    key = ("AWS4" + server.secret_key).encode()
    for part in (date, "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    fields["policy"] = policy
    fields["x-amz-signature"] = hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize("document,message", [
    ("not json", "Invalid Policy: Invalid JSON."),
    ('{"conditions": []}', "Invalid Policy: Policy missing expiration."),
    ('{"expiration": "2099-01-01T00:00:00Z"}', "Invalid Policy: Policy missing conditions."),
    ('{"expiration": "2099-01-01T00:00:00Z", "conditions": [["content-length-range", 5, 1]]}',
     "Invalid Policy: Invalid content-length-range."),
])
def test_invalid_policy_documents(server, s3, bucket, upload_file, document, message):
    form = presign(s3, bucket, "k.jpg")
    sign_policy(server, form["fields"], document)
    status, _, body = post(form["url"], form["fields"], upload_file)
    assert status == 400, body
    assert error_of(body) == ("InvalidPolicyDocument", message)


def test_expired_policy(s3, bucket, upload_file):
    form = presign(s3, bucket, "late.jpg", expires=1)
    time.sleep(2.1)
    status, _, body = post(form["url"], form["fields"], upload_file)
    assert status == 403
    assert error_of(body) == ("AccessDenied", "Invalid according to Policy: Policy expired.")


def test_content_length_range(s3, bucket, tmp_path):
    form = presign(s3, bucket, "sized", conditions=[["content-length-range", 10, 100]])
    small, big, fine = tmp_path / "small", tmp_path / "big", tmp_path / "fine"
    small.write_bytes(b"x" * 9)
    big.write_bytes(b"x" * 101)
    fine.write_bytes(b"x" * 100)
    status, _, body = post(form["url"], form["fields"], small)
    assert status == 400 and error_of(body)[0] == "EntityTooSmall"
    assert "<MinSizeAllowed>10</MinSizeAllowed>" in body
    status, _, body = post(form["url"], form["fields"], big)
    assert status == 400 and error_of(body)[0] == "EntityTooLarge"
    assert "<MaxSizeAllowed>100</MaxSizeAllowed>" in body
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    status, _, body = post(form["url"], form["fields"], fine)
    assert status == 204, body


def test_anonymous_post_needs_a_bucket_policy(server, s3, bucket, upload_file):
    url = f"{server.endpoint}/{bucket}"
    status, _, body = post(url, {"key": "anon.txt"}, upload_file)
    assert status == 403 and error_of(body)[0] == "AccessDenied"
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
                       "Resource": f"arn:aws:s3:::{bucket}/drop/*"}]}))
    status, _, body = post(url, {"key": "drop/anon.txt"}, upload_file)
    assert status == 204, body
    status, _, body = post(url, {"key": "elsewhere.txt"}, upload_file)
    assert status == 403


def test_acl_field_is_applied_as_x_amz_acl(server, s3, bucket, upload_file):
    def upload(key, acl):
        form = presign(s3, bucket, key, fields={"acl": acl}, conditions=[{"acl": acl}])
        return post(form["url"], form["fields"], upload_file)

    status, _, body = upload("public.jpg", "public-read")
    assert status == 204, body
    grants = s3.get_object_acl(Bucket=bucket, Key="public.jpg")["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
            "Permission": "READ"} in grants
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                          f"{server.endpoint}/{bucket}/public.jpg"],
                         capture_output=True, check=True, timeout=30).stdout
    assert out == b"200"
    status, _, body = upload("bad.jpg", "no-such-acl")
    assert status == 400 and error_of(body)[0] == "InvalidArgument"
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False})
    status, _, body = upload("blocked.jpg", "public-read")
    assert status == 403 and error_of(body)[0] == "AccessDenied", body
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    status, _, body = upload("enforced.jpg", "public-read")
    assert status == 400 and error_of(body)[0] == "AccessControlListNotSupported", body
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["public.jpg"]


def test_policy_sees_the_forms_tags(server, s3, bucket, upload_file):
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
                       "Resource": f"arn:aws:s3:::{bucket}/drop/*",
                       "Condition": {"StringEquals": {"s3:RequestObjectTag/team": "blue team"}}}]}))
    url = f"{server.endpoint}/{bucket}"

    def tagging(team):
        return ("<Tagging><TagSet><Tag><Key>team</Key><Value>" + team +
                "</Value></Tag></TagSet></Tagging>")

    status, _, body = post(url, {"key": "drop/red", "tagging": tagging("red")}, upload_file)
    assert status == 403 and error_of(body)[0] == "AccessDenied", body
    status, _, body = post(url, {"key": "drop/none"}, upload_file)
    assert status == 403 and error_of(body)[0] == "AccessDenied", body
    status, _, body = post(url, {"key": "drop/blue", "tagging": tagging("blue team")}, upload_file)
    assert status == 204, body
    assert s3.get_object_tagging(Bucket=bucket, Key="drop/blue")["TagSet"] == [
        {"Key": "team", "Value": "blue team"}]


def test_malformed_forms(server, bucket, upload_file):
    url = f"{server.endpoint}/{bucket}"
    status, _, body = post(url, {"key": "x"})  # no file part
    assert status == 400 and error_of(body) == (
        "InvalidArgument", "POST requires exactly one file upload per request.")
    out = subprocess.run(["curl", "-s", "-H", "Content-Type: multipart/form-data; boundary=zz",
                          "--data-binary", "--zz\r\nnot a part", url],
                         capture_output=True, check=True, timeout=30).stdout.decode()
    assert error_of(out)[0] == "MalformedPOSTRequest"


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_large_upload_streams(server, s3, bucket, tmp_path):
    path = tmp_path / "big.bin"
    data = os.urandom(1 << 20) * 20  # 20 MiB
    path.write_bytes(data)
    # Warm the server's buffers with a small upload first.
    form = presign(s3, bucket, "warm")
    small = tmp_path / "small.bin"
    small.write_bytes(b"w" * 300_000)
    assert post(form["url"], form["fields"], small)[0] == 204
    before = peak_rss_kib(server.proc.pid)
    form = presign(s3, bucket, "big.bin")
    status, headers, body = post(form["url"], form["fields"], path)
    assert status == 204, body
    grown = peak_rss_kib(server.proc.pid) - before
    assert grown < 6 * 1024, f"peak RSS grew by {grown} KiB for a 20 MiB upload"
    assert headers["etag"] == etag_of(data)
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == len(data)


def test_policy_judges_the_key_with_the_filename_in_it(s3, bucket, upload_file):
    """${filename} is replaced before the policy's conditions are checked: they
    judge the key the object gets, each ${filename} in it replaced."""
    form = presign(s3, bucket, "${filename}", conditions=[["starts-with", "$key", "photo"]])
    status, _, body = post(form["url"], form["fields"], upload_file)
    assert status == 204, body
    assert s3.get_object(Bucket=bucket, Key="photo.jpg")["Body"].read() == upload_file.read_bytes()
    form = presign(s3, bucket, "photo${filename}")  # boto3's condition: starts-with "photo"
    form["fields"]["key"] = "photo/${filename}/${filename}"
    status, _, body = post(form["url"], form["fields"], upload_file)
    assert status == 204, body
    assert s3.head_object(Bucket=bucket, Key="photo/photo.jpg/photo.jpg")["ContentLength"] == \
        upload_file.stat().st_size
    form = presign(s3, bucket, "other/${filename}", conditions=[["starts-with", "$key", "photo"]])
    status, _, body = post(form["url"], form["fields"], upload_file)
    assert status == 403 and error_of(body)[0] == "AccessDenied", body
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="other")


@pytest.mark.parametrize("target", ["not a url", "/relative/path", "done.html", "://nohost", "http://"])
def test_a_redirect_that_is_no_url_is_ignored(s3, bucket, upload_file, target):
    """S3 ignores a success_action_redirect it cannot interpret: the answer is
    the one success_action_status asks for."""
    form = presign(s3, bucket, "r.jpg", fields={"success_action_redirect": target},
                   conditions=[{"success_action_redirect": target}])
    status, headers, body = post(form["url"], form["fields"], upload_file)
    assert status == 204 and "bucket=" not in headers.get("location", ""), (status, headers, body)
    fields = {"success_action_redirect": target, "success_action_status": "201"}
    form = presign(s3, bucket, "s.jpg", fields=fields, conditions=[{k: v} for k, v in fields.items()])
    status, _, body = post(form["url"], form["fields"], upload_file)
    assert status == 201 and "<PostResponse>" in body, body
