"""ACLs: canned ACLs and grant headers on writes, Put/Get{Bucket,Object}Acl, and what they allow.

One gateway with the environment's user and, from a --credentials file, alice
(who owns the buckets) and bob. Anonymous callers are a botocore UNSIGNED
client and plain curl; s3cmd sets ACLs as its users do. Every refusal is
checked for its S3 code and status, and for having changed nothing.
"""

import subprocess
import uuid

import botocore
import pytest

from fsgate_server import expect_error

# The same gateway and callers as the bucket policy tests: alice, bob, anonymous.
from test_bucket_policy import ALICE, alice, anon, bob, curl, expect_denied, srv  # noqa: F401

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


@pytest.fixture
def bucket(alice):
    name = f"acl-{uuid.uuid4().hex[:12]}"
    alice.create_bucket(Bucket=name)
    alice.put_object(Bucket=name, Key="doc", Body=b"alice's data")
    return name


def grants(acl):
    """{(grantee, permission)}: a user's ID or a group's URI."""
    return {(g["Grantee"].get("ID") or g["Grantee"]["URI"], g["Permission"]) for g in acl["Grants"]}


def test_default_acls_are_private_to_the_owner(alice, bob, anon, bucket):
    alice.put_bucket_acl(Bucket=bucket, ACL="private")  # the default, said again
    alice.put_object_acl(Bucket=bucket, Key="doc", ACL="private")
    for acl in (alice.get_bucket_acl(Bucket=bucket), alice.get_object_acl(Bucket=bucket, Key="doc")):
        assert acl["Owner"]["ID"] == "alice"
        assert grants(acl) == {("alice", "FULL_CONTROL")}
    expect_denied(bob.get_object, Bucket=bucket, Key="doc")
    expect_denied(anon.get_object, Bucket=bucket, Key="doc")
    expect_denied(bob.list_objects_v2, Bucket=bucket)
    expect_denied(bob.get_object_acl, Bucket=bucket, Key="doc")


def test_public_read_object_is_readable_by_anyone_and_nothing_else(srv, alice, bob, anon, bucket):
    alice.put_object(Bucket=bucket, Key="pub", Body=b"for everyone", ACL="public-read")
    acl = alice.get_object_acl(Bucket=bucket, Key="pub")
    assert grants(acl) == {("alice", "FULL_CONTROL"), (ALL_USERS, "READ")}
    assert anon.get_object(Bucket=bucket, Key="pub")["Body"].read() == b"for everyone"
    assert bob.head_object(Bucket=bucket, Key="pub")["ContentLength"] == 12
    assert curl(srv, "GET", f"/{bucket}/pub") == (200, b"for everyone")
    # READ on the object is no READ_ACP, no WRITE, and says nothing of its neighbours.
    expect_denied(anon.get_object_acl, Bucket=bucket, Key="pub")
    expect_denied(bob.put_object_acl, Bucket=bucket, Key="pub", ACL="private")
    expect_denied(bob.put_object, Bucket=bucket, Key="pub", Body=b"overwritten")
    expect_denied(anon.get_object, Bucket=bucket, Key="doc")
    expect_denied(anon.list_objects_v2, Bucket=bucket)
    assert alice.get_object(Bucket=bucket, Key="pub")["Body"].read() == b"for everyone"
    # Made private again, it is alice's alone.
    alice.put_object_acl(Bucket=bucket, Key="pub", ACL="private")
    expect_denied(anon.get_object, Bucket=bucket, Key="pub")
    assert curl(srv, "GET", f"/{bucket}/pub")[0] == 403


def test_authenticated_read_is_for_signed_callers_only(alice, bob, anon, bucket):
    alice.put_object(Bucket=bucket, Key="members", Body=b"m", ACL="authenticated-read")
    assert bob.get_object(Bucket=bucket, Key="members")["Body"].read() == b"m"
    expect_denied(anon.get_object, Bucket=bucket, Key="members")


def test_bucket_acl_read_lists_and_write_writes(alice, bob, anon, bucket):
    alice.put_bucket_acl(Bucket=bucket, ACL="public-read")
    assert grants(alice.get_bucket_acl(Bucket=bucket)) == {("alice", "FULL_CONTROL"), (ALL_USERS, "READ")}
    assert [o["Key"] for o in anon.list_objects_v2(Bucket=bucket)["Contents"]] == ["doc"]
    anon.head_bucket(Bucket=bucket)
    # Listing is no reading: the object's own ACL decides that.
    expect_denied(anon.get_object, Bucket=bucket, Key="doc")
    # A missing key is NoSuchKey to a caller who may list, AccessDenied to one who may not.
    expect_error(anon.get_object, "NoSuchKey", 404, Bucket=bucket, Key="nothing")
    expect_denied(bob.put_object, Bucket=bucket, Key="by-bob", Body=b"x")

    # WRITE to bob by a grant header: bob writes, and owns what he writes.
    alice.put_bucket_acl(Bucket=bucket, GrantWrite='id="bob"', GrantFullControl='id="alice"')
    assert grants(alice.get_bucket_acl(Bucket=bucket)) == {("alice", "FULL_CONTROL"), ("bob", "WRITE")}
    expect_denied(bob.list_objects_v2, Bucket=bucket)
    bob.put_object(Bucket=bucket, Key="by-bob", Body=b"bob's")
    acl = bob.get_object_acl(Bucket=bucket, Key="by-bob")
    assert acl["Owner"]["ID"] == "bob" and grants(acl) == {("bob", "FULL_CONTROL")}
    assert bob.get_object(Bucket=bucket, Key="by-bob")["Body"].read() == b"bob's"
    # The bucket's owner keeps every right in its bucket.
    assert alice.get_object(Bucket=bucket, Key="by-bob")["Body"].read() == b"bob's"
    bob.delete_object(Bucket=bucket, Key="doc")
    expect_error(alice.head_object, "404", 404, Bucket=bucket, Key="doc")
    expect_denied(anon.put_object, Bucket=bucket, Key="anon", Body=b"x")
    expect_denied(bob.get_bucket_acl, Bucket=bucket)


def test_public_read_write_bucket_takes_anonymous_writes(alice, anon, bucket):
    alice.put_bucket_acl(Bucket=bucket, ACL="public-read-write")
    anon.put_object(Bucket=bucket, Key="dropped", Body=b"anonymous")
    # An anonymous writer's object is the bucket owner's.
    assert alice.get_object_acl(Bucket=bucket, Key="dropped")["Owner"]["ID"] == "alice"
    assert alice.get_object(Bucket=bucket, Key="dropped")["Body"].read() == b"anonymous"


def test_access_control_policy_body_sets_user_and_group_grants(alice, bob, anon, bucket):
    owner = {"ID": "alice", "DisplayName": "alice"}
    alice.put_object_acl(Bucket=bucket, Key="doc", AccessControlPolicy={
        "Owner": owner,
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": "alice"}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "CanonicalUser", "ID": "bob"}, "Permission": "READ_ACP"},
            {"Grantee": {"Type": "Group", "URI": AUTH_USERS}, "Permission": "READ"},
        ]})
    expected = {("alice", "FULL_CONTROL"), ("bob", "READ_ACP"), (AUTH_USERS, "READ")}
    assert grants(bob.get_object_acl(Bucket=bucket, Key="doc")) == expected
    assert bob.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"alice's data"
    expect_denied(anon.get_object, Bucket=bucket, Key="doc")
    expect_denied(bob.put_object_acl, Bucket=bucket, Key="doc", ACL="public-read")
    # The ACL goes with the object's metadata, not its data: tags and body stay.
    alice.put_object_tagging(Bucket=bucket, Key="doc", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    assert grants(alice.get_object_acl(Bucket=bucket, Key="doc")) == expected


def test_bad_acls_are_refused_with_awss_errors_and_change_nothing(srv, alice, bucket):
    before = alice.get_object_acl(Bucket=bucket, Key="doc")["Grants"]
    expect_error(alice.put_object_acl, "InvalidArgument", 400, Bucket=bucket, Key="doc", ACL="nonsense")
    expect_error(alice.put_object_acl, "InvalidArgument", 400, Bucket=bucket, Key="doc",
                 GrantRead='id="nobody-by-that-name"')
    expect_error(alice.put_object_acl, "UnresolvableGrantByEmailAddress", 400, Bucket=bucket, Key="doc",
                 GrantRead='emailAddress="bob@example.com"')
    expect_error(alice.put_object_acl, "InvalidArgument", 400, Bucket=bucket, Key="doc",
                 GrantRead='uri="http://acs.amazonaws.com/groups/global/Nobody"')
    expect_error(alice.put_object_acl, "InvalidRequest", 400, Bucket=bucket, Key="doc",
                 ACL="public-read", GrantRead='id="bob"')
    expect_error(alice.put_object, "InvalidRequest", 400, Bucket=bucket, Key="doc", Body=b"new",
                 ACL="public-read", GrantRead='id="bob"')
    expect_error(alice.put_bucket_acl, "InvalidArgument", 400, Bucket=bucket,
                 AccessControlPolicy={"Owner": {"ID": "alice"}, "Grants": [
                     {"Grantee": {"Type": "CanonicalUser", "ID": "nobody"}, "Permission": "READ"}]})
    for body in (b"<AccessControlPolicy><oops", b"<Other/>",
                 b"<AccessControlPolicy><AccessControlList><Grant><Permission>READ</Permission>"
                 b"</Grant></AccessControlList></AccessControlPolicy>",
                 b"<AccessControlPolicy><AccessControlList><Grant><Grantee "
                 b"xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\">"
                 b"<ID>bob</ID></Grantee><Permission>EVERYTHING</Permission></Grant>"
                 b"</AccessControlList></AccessControlPolicy>"):
        resp = srv.raw("PUT", f"/{bucket}/doc", query={"acl": ""}, body=body,
                       access_key=ALICE["access_key"], secret_key=ALICE["secret_key"])
        assert (resp.status, resp.error_code()) == (400, "MalformedACLError"), resp
    # A canned header and a body at once.
    body = (b"<AccessControlPolicy><AccessControlList></AccessControlList></AccessControlPolicy>")
    resp = srv.raw("PUT", f"/{bucket}", query={"acl": ""}, body=body, headers={"x-amz-acl": "private"},
                   access_key=ALICE["access_key"], secret_key=ALICE["secret_key"])
    assert (resp.status, resp.error_code()) == (400, "InvalidRequest"), resp
    assert alice.get_object_acl(Bucket=bucket, Key="doc")["Grants"] == before
    assert alice.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"alice's data"
    assert grants(alice.get_bucket_acl(Bucket=bucket)) == {("alice", "FULL_CONTROL")}


def test_canned_acls_on_create_bucket_copy_and_multipart(alice, bob, anon):
    name = f"acl-{uuid.uuid4().hex[:12]}"
    alice.create_bucket(Bucket=name, ACL="public-read")
    assert grants(alice.get_bucket_acl(Bucket=name)) == {("alice", "FULL_CONTROL"), (ALL_USERS, "READ")}
    assert anon.list_objects_v2(Bucket=name)["KeyCount"] == 0

    alice.put_object(Bucket=name, Key="src", Body=b"source", ACL="public-read")
    # A copy never takes its source's ACL: private unless the copy request says otherwise.
    alice.copy_object(Bucket=name, Key="copy", CopySource={"Bucket": name, "Key": "src"})
    expect_denied(anon.get_object, Bucket=name, Key="copy")
    alice.copy_object(Bucket=name, Key="copy2", CopySource={"Bucket": name, "Key": "src"},
                      GrantRead='id="bob"')
    assert bob.get_object(Bucket=name, Key="copy2")["Body"].read() == b"source"

    upload = alice.create_multipart_upload(Bucket=name, Key="mp", ACL="public-read")["UploadId"]
    etag = alice.upload_part(Bucket=name, Key="mp", UploadId=upload, PartNumber=1, Body=b"parts")["ETag"]
    # Not there before completion (and the bucket is listable: NoSuchKey).
    expect_error(anon.get_object, "NoSuchKey", 404, Bucket=name, Key="mp")
    alice.complete_multipart_upload(Bucket=name, Key="mp", UploadId=upload,
                                    MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert anon.get_object(Bucket=name, Key="mp")["Body"].read() == b"parts"


def test_acls_survive_kill_9(srv, alice, bucket):
    alice.put_bucket_acl(Bucket=bucket, ACL="public-read")
    alice.put_object(Bucket=bucket, Key="pub", Body=b"kept", ACL="public-read")
    srv.restart(kill=True)
    anon = srv.client(signature_version=botocore.UNSIGNED)
    assert anon.get_object(Bucket=bucket, Key="pub")["Body"].read() == b"kept"
    assert anon.list_objects_v2(Bucket=bucket)["KeyCount"] == 2


def s3cmd(srv, tmp_path, *args):
    cfg = tmp_path / "s3cfg"
    cfg.write_text(
        "[default]\n"
        f"access_key = {ALICE['access_key']}\n"
        f"secret_key = {ALICE['secret_key']}\n"
        f"host_base = 127.0.0.1:{srv.port}\n"
        f"host_bucket = 127.0.0.1:{srv.port}\n"
        "use_https = False\n"
        "signature_v2 = False\n"
        "bucket_location = us-east-1\n"
        "guess_mime_type = False\n")
    return subprocess.run(["/usr/bin/s3cmd", "-c", str(cfg), *args], capture_output=True,
                          text=True, check=True, timeout=60)


def test_s3cmd_acl_public_then_plain_curl(srv, tmp_path, bucket):
    assert curl(srv, "GET", f"/{bucket}/doc")[0] == 403
    s3cmd(srv, tmp_path, "setacl", "--acl-public", f"s3://{bucket}/doc")
    assert curl(srv, "GET", f"/{bucket}/doc") == (200, b"alice's data")
    local = tmp_path / "up.txt"
    local.write_bytes(b"uploaded public")
    out = s3cmd(srv, tmp_path, "put", "--acl-public", str(local), f"s3://{bucket}/up.txt")
    assert "Public URL" in out.stdout, out.stdout
    assert curl(srv, "GET", f"/{bucket}/up.txt") == (200, b"uploaded public")
    s3cmd(srv, tmp_path, "setacl", "--acl-private", f"s3://{bucket}/doc")
    assert curl(srv, "GET", f"/{bucket}/doc")[0] == 403
