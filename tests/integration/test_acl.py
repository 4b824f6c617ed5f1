"""ACLs: canned ACLs and grant headers on writes, Put/Get{Bucket,Object}Acl, and what they allow.

One gateway with the environment's user and, from a --credentials file, alice
(who owns the buckets) and bob. Anonymous callers are a botocore UNSIGNED
client and plain curl; s3cmd sets ACLs as its users do. Every refusal is
checked for its S3 code and status, and for having changed nothing.
"""

import json
import os
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


# ----------------------------------------------------------------------------------------
# Public access block


def block(alice, bucket, **flags):
    config = {name: flags.get(name, False) for name in
              ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}
    alice.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=config)
    assert alice.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == config


def public_read_policy(bucket):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"}]})


def test_public_access_block_is_kept_managed_and_deleted(srv, alice, bob, bucket):
    expect_error(alice.get_public_access_block, "NoSuchPublicAccessBlockConfiguration", 404, Bucket=bucket)
    block(alice, bucket, BlockPublicAcls=True, RestrictPublicBuckets=True)
    expect_denied(bob.get_public_access_block, Bucket=bucket)
    expect_denied(bob.delete_public_access_block, Bucket=bucket)
    resp = srv.raw("PUT", f"/{bucket}", query={"publicAccessBlock": ""},
                   body=b"<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls>"
                        b"</PublicAccessBlockConfiguration>",
                   access_key=ALICE["access_key"], secret_key=ALICE["secret_key"])
    assert (resp.status, resp.error_code()) == (400, "MalformedXML"), resp
    assert alice.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]["BlockPublicAcls"]
    alice.delete_public_access_block(Bucket=bucket)
    expect_error(alice.get_public_access_block, "NoSuchPublicAccessBlockConfiguration", 404, Bucket=bucket)


def test_block_public_acls_refuses_public_acls_only(alice, anon, bucket):
    block(alice, bucket, BlockPublicAcls=True)
    for call, kwargs in ((alice.put_object, {"Key": "p", "Body": b"x", "ACL": "public-read"}),
                         (alice.put_object, {"Key": "p", "Body": b"x", "GrantRead": f'uri="{ALL_USERS}"'}),
                         (alice.put_object_acl, {"Key": "doc", "ACL": "authenticated-read"}),
                         (alice.put_bucket_acl, {"ACL": "public-read-write"}),
                         (alice.create_multipart_upload, {"Key": "mp", "ACL": "public-read"}),
                         (alice.copy_object, {"Key": "c", "ACL": "public-read",
                                              "CopySource": {"Bucket": bucket, "Key": "doc"}})):
        expect_denied(call, Bucket=bucket, **kwargs)
    expect_error(alice.head_object, "404", 404, Bucket=bucket, Key="p")
    assert alice.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    alice.put_object(Bucket=bucket, Key="shared", Body=b"x", GrantRead='id="bob"')  # not public


def test_ignore_public_acls_keeps_them_but_ignores_them(alice, bob, anon, bucket):
    alice.put_object(Bucket=bucket, Key="pub", Body=b"public", ACL="public-read")
    alice.put_object(Bucket=bucket, Key="for-bob", Body=b"bob", GrantRead='id="bob"')
    block(alice, bucket, IgnorePublicAcls=True)
    expect_denied(anon.get_object, Bucket=bucket, Key="pub")
    assert bob.get_object(Bucket=bucket, Key="for-bob")["Body"].read() == b"bob"  # a user's grant counts
    assert (ALL_USERS, "READ") in grants(alice.get_object_acl(Bucket=bucket, Key="pub"))
    alice.delete_public_access_block(Bucket=bucket)
    assert anon.get_object(Bucket=bucket, Key="pub")["Body"].read() == b"public"


def test_block_and_restrict_public_policy(alice, bob, anon, bucket):
    block(alice, bucket, BlockPublicPolicy=True)
    expect_denied(alice.put_bucket_policy, Bucket=bucket, Policy=public_read_policy(bucket))
    expect_error(alice.get_bucket_policy, "NoSuchBucketPolicy", 404, Bucket=bucket)
    # A policy for a named user is not public: it goes in.
    alice.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/bob"}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    assert bob.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"alice's data"

    block(alice, bucket, RestrictPublicBuckets=True)
    alice.put_bucket_policy(Bucket=bucket, Policy=public_read_policy(bucket))
    expect_denied(anon.get_object, Bucket=bucket, Key="doc")
    assert bob.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"alice's data"
    alice.delete_public_access_block(Bucket=bucket)
    assert anon.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"alice's data"


# ----------------------------------------------------------------------------------------
# Ownership controls


def ownership(alice, bucket, value):
    alice.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": value}]})
    got = alice.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert got == [{"ObjectOwnership": value}]


def test_ownership_controls_are_kept_and_deleted(srv, alice, bob, bucket):
    expect_error(alice.get_bucket_ownership_controls, "OwnershipControlsNotFoundError", 404, Bucket=bucket)
    ownership(alice, bucket, "BucketOwnerPreferred")
    expect_denied(bob.get_bucket_ownership_controls, Bucket=bucket)
    for value in (b"Nobody", b""):
        resp = srv.raw("PUT", f"/{bucket}", query={"ownershipControls": ""},
                       body=b"<OwnershipControls><Rule><ObjectOwnership>" + value +
                            b"</ObjectOwnership></Rule></OwnershipControls>",
                       access_key=ALICE["access_key"], secret_key=ALICE["secret_key"])
        assert (resp.status, resp.error_code()) == (400, "MalformedXML"), resp
    alice.delete_bucket_ownership_controls(Bucket=bucket)
    expect_error(alice.get_bucket_ownership_controls, "OwnershipControlsNotFoundError", 404, Bucket=bucket)


def test_bucket_owner_enforced_disables_acls(alice, bob, anon, bucket):
    alice.put_bucket_acl(Bucket=bucket, ACL="public-read")
    expect_error(alice.put_bucket_ownership_controls, "InvalidBucketAclWithObjectOwnership", 400,
                 Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    alice.put_bucket_acl(Bucket=bucket, ACL="private")
    alice.put_object(Bucket=bucket, Key="pub", Body=b"was public", ACL="public-read")
    ownership(alice, bucket, "BucketOwnerEnforced")
    # Stored ACLs count for nothing (and read as the owner's alone); setting one is
    # refused with AWS's words.
    expect_denied(anon.get_object, Bucket=bucket, Key="pub")
    assert grants(alice.get_object_acl(Bucket=bucket, Key="pub")) == {("alice", "FULL_CONTROL")}
    for call, kwargs in ((alice.put_object, {"Key": "n", "Body": b"x", "ACL": "public-read"}),
                         (alice.put_object, {"Key": "n", "Body": b"x", "ACL": "private"}),
                         (alice.put_object_acl, {"Key": "doc", "ACL": "public-read"}),
                         (alice.put_bucket_acl, {"ACL": "authenticated-read"})):
        err = expect_error(call, "AccessControlListNotSupported", 400, Bucket=bucket, **kwargs)
        assert err["Error"]["Message"] == "The bucket does not allow ACLs"
    expect_error(alice.head_object, "404", 404, Bucket=bucket, Key="n")
    alice.put_object(Bucket=bucket, Key="n", Body=b"x", ACL="bucket-owner-full-control")
    # A writer's object is the bucket owner's: bob writes through a policy, alice owns it.
    alice.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "bob"}, "Action": ["s3:PutObject", "s3:GetObject"],
         "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    bob.put_object(Bucket=bucket, Key="by-bob", Body=b"bob's")
    acl = alice.get_object_acl(Bucket=bucket, Key="by-bob")
    assert acl["Owner"]["ID"] == "alice" and grants(acl) == {("alice", "FULL_CONTROL")}
    # Back to ObjectWriter, the stored public ACL applies again.
    ownership(alice, bucket, "ObjectWriter")
    assert anon.get_object(Bucket=bucket, Key="pub")["Body"].read() == b"was public"


def test_bucket_owner_preferred_takes_objects_sent_with_full_control(alice, bob, bucket):
    ownership(alice, bucket, "BucketOwnerPreferred")
    alice.put_bucket_acl(Bucket=bucket, GrantWrite='id="bob"', GrantFullControl='id="alice"')
    bob.put_object(Bucket=bucket, Key="given", Body=b"x", ACL="bucket-owner-full-control")
    assert alice.get_object_acl(Bucket=bucket, Key="given")["Owner"]["ID"] == "alice"
    bob.put_object(Bucket=bucket, Key="kept", Body=b"x")
    assert alice.get_object_acl(Bucket=bucket, Key="kept")["Owner"]["ID"] == "bob"


def test_listings_show_each_objects_owner(alice, bob, bucket):
    alice.put_bucket_acl(Bucket=bucket, GrantWrite='id="bob"', GrantFullControl='id="alice"')
    bob.put_object(Bucket=bucket, Key="by-bob", Body=b"x")
    alice.put_object(Bucket=bucket, Key="pub", Body=b"y", ACL="public-read")

    def owners():
        v1 = {o["Key"]: o["Owner"]["ID"] for o in alice.list_objects(Bucket=bucket)["Contents"]}
        v2 = {o["Key"]: o["Owner"]["ID"] for o in
              alice.list_objects_v2(Bucket=bucket, FetchOwner=True)["Contents"]}
        versions = {o["Key"]: o["Owner"]["ID"] for o in
                    alice.list_object_versions(Bucket=bucket)["Versions"]}
        assert v1 == v2 == versions
        return v1

    # Twice: the second listing's ETags (and owners) come from the listing cache.
    for _ in range(2):
        assert owners() == {"by-bob": "bob", "doc": "alice", "pub": "alice"}
    alice.put_object_acl(Bucket=bucket, Key="by-bob", ACL="bucket-owner-full-control")
    assert owners()["by-bob"] == "bob"
    alice.put_bucket_acl(Bucket=bucket, ACL="private")
    ownership(alice, bucket, "BucketOwnerEnforced")
    assert owners() == {"by-bob": "alice", "doc": "alice", "pub": "alice"}


def test_create_bucket_with_object_ownership(alice):
    name = f"acl-{uuid.uuid4().hex[:12]}"
    alice.create_bucket(Bucket=name, ObjectOwnership="BucketOwnerEnforced")
    got = alice.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
    assert got == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    expect_error(alice.create_bucket, "InvalidArgument", 400, Bucket=name + "x", ObjectOwnership="Mine")
    expect_error(alice.create_bucket, "InvalidBucketAclWithObjectOwnership", 400, Bucket=name + "x",
                 ObjectOwnership="BucketOwnerEnforced", ACL="public-read")
    expect_error(alice.head_bucket, "404", 404, Bucket=name + "x")


# ----------------------------------------------------------------------------------------
# Policy conditions that go with ACLs and time


def test_policy_requires_bucket_owner_full_control_from_writers(alice, bob, bucket):
    alice.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "bob"}, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]}))
    expect_denied(bob.put_object, Bucket=bucket, Key="plain", Body=b"x")
    expect_denied(bob.put_object, Bucket=bucket, Key="plain", Body=b"x", ACL="public-read")
    bob.put_object(Bucket=bucket, Key="given", Body=b"x", ACL="bucket-owner-full-control")
    acl = alice.get_object_acl(Bucket=bucket, Key="given")
    assert acl["Owner"]["ID"] == "bob"
    assert grants(acl) == {("bob", "FULL_CONTROL"), ("alice", "FULL_CONTROL")}


def test_policy_date_window_and_set_qualifiers(alice, bob, anon, bucket):
    def allow_get(condition):
        alice.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": f"arn:aws:s3:::{bucket}/*", "Condition": condition}]}))

    allow_get({"DateGreaterThan": {"aws:CurrentTime": "2000-01-01T00:00:00Z"},
               "DateLessThan": {"aws:CurrentTime": "2999-01-01T00:00:00Z"}})
    assert anon.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"alice's data"
    allow_get({"DateLessThan": {"aws:CurrentTime": "2000-01-01"}})  # expired
    expect_denied(anon.get_object, Bucket=bucket, Key="doc")
    allow_get({"NumericGreaterThan": {"aws:EpochTime": "946684800"}})
    assert anon.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"alice's data"
    allow_get({"ForAnyValue:StringEquals": {"aws:username": ["carol", "bob"]}})
    assert bob.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"alice's data"
    expect_denied(anon.get_object, Bucket=bucket, Key="doc")
    err = expect_error(alice.put_bucket_policy, "MalformedPolicy", 400, Bucket=bucket, Policy=json.dumps(
        {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{bucket}/*",
                        "Condition": {"ForSomeValues:StringEquals": {"aws:username": "bob"}}}]}))
    assert err["Error"]["Message"] == "Invalid Condition type : ForSomeValues:StringEquals"


def test_group_grants_are_listed_before_user_grants(alice, bucket):
    """Grants have no meaning by order; fsgate lists the groups' first, then the
    users', as Ceph RGW does and its s3-tests compare."""
    alice.put_object(Bucket=bucket, Key="doc", Body=b"x", ACL="public-read-write")
    kinds = [g["Grantee"]["Type"] for g in alice.get_object_acl(Bucket=bucket, Key="doc")["Grants"]]
    assert kinds == ["Group", "Group", "CanonicalUser"]
    acl = alice.get_bucket_acl(Bucket=bucket)
    acl["Grants"].append({"Grantee": {"Type": "Group",
                                      "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                          "Permission": "READ"})
    alice.put_bucket_acl(Bucket=bucket, AccessControlPolicy={"Grants": acl["Grants"],
                                                             "Owner": acl["Owner"]})
    got = alice.get_bucket_acl(Bucket=bucket)["Grants"]
    assert [(g["Grantee"]["Type"], g["Permission"]) for g in got] == \
        [("Group", "READ"), ("CanonicalUser", "FULL_CONTROL")]


def who(element):
    return element["ID"], element["DisplayName"]


def test_multipart_uploads_show_their_initiator_and_owner(srv, alice, bob, anon, bucket):
    """Each upload names who began it (Initiator) and who will own its object
    (Owner): bob, for bob's upload into alice's public-read-write bucket."""
    alice.put_bucket_acl(Bucket=bucket, ACL="public-read-write")
    mine = alice.create_multipart_upload(Bucket=bucket, Key="a-alice")["UploadId"]
    his = bob.create_multipart_upload(Bucket=bucket, Key="b-bob")["UploadId"]
    for caller in (alice, bob, anon):  # READ on the bucket lists its uploads
        uploads = caller.list_multipart_uploads(Bucket=bucket)["Uploads"]
        assert [(u["Key"], u["UploadId"], who(u["Initiator"]), who(u["Owner"])) for u in uploads] == [
            ("a-alice", mine, ("alice", "alice"), ("alice", "alice")),
            ("b-bob", his, ("bob", "bob"), ("bob", "bob"))]
    parts = bob.list_parts(Bucket=bucket, Key="b-bob", UploadId=his)
    assert who(parts["Initiator"]) == ("bob", "bob") and who(parts["Owner"]) == ("bob", "bob")
    parts = alice.list_parts(Bucket=bucket, Key="b-bob", UploadId=his)  # the bucket's owner may
    assert who(parts["Initiator"]) == ("bob", "bob")
    # Only the bucket's owner and the initiator may list an upload's parts or abort it.
    expect_denied(bob.list_parts, Bucket=bucket, Key="a-alice", UploadId=mine)
    expect_denied(bob.abort_multipart_upload, Bucket=bucket, Key="a-alice", UploadId=mine)
    expect_denied(anon.abort_multipart_upload, Bucket=bucket, Key="b-bob", UploadId=his)
    bob.abort_multipart_upload(Bucket=bucket, Key="b-bob", UploadId=his)
    alice.abort_multipart_upload(Bucket=bucket, Key="a-alice", UploadId=mine)
    assert "Uploads" not in alice.list_multipart_uploads(Bucket=bucket)


def test_initiator_writes_into_a_bucket_whose_policy_lets_it(srv, alice, bob, bucket):
    """With s3:PutObject from the bucket policy (no ACL), bob uploads, lists his
    parts, completes and aborts his own uploads; a Deny of
    s3:AbortMultipartUpload takes the initiator's default away."""
    def allow_put(*extra):
        alice.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/bob"]},
             "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*"}, *extra]}))
    allow_put()
    upload = bob.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    etag = bob.upload_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=1, Body=b"bob's part")["ETag"]
    parts = bob.list_parts(Bucket=bucket, Key="big", UploadId=upload)
    assert [p["ETag"] for p in parts["Parts"]] == [etag] and who(parts["Owner"]) == ("bob", "bob")
    expect_denied(bob.list_multipart_uploads, Bucket=bucket)  # s3:ListBucketMultipartUploads: not his
    bob.complete_multipart_upload(Bucket=bucket, Key="big", UploadId=upload,
                                  MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert alice.get_object(Bucket=bucket, Key="big")["Body"].read() == b"bob's part"
    assert alice.get_object_acl(Bucket=bucket, Key="big")["Owner"]["ID"] == "bob"

    doomed = bob.create_multipart_upload(Bucket=bucket, Key="doomed")["UploadId"]
    allow_put({"Effect": "Deny", "Principal": "*", "Action": "s3:AbortMultipartUpload",
               "Resource": f"arn:aws:s3:::{bucket}/*"})
    expect_denied(bob.abort_multipart_upload, Bucket=bucket, Key="doomed", UploadId=doomed)
    allow_put()
    bob.abort_multipart_upload(Bucket=bucket, Key="doomed", UploadId=doomed)
    # Gone, it has no initiator: bob may not learn of it; its bucket's owner is told.
    expect_denied(bob.abort_multipart_upload, Bucket=bucket, Key="doomed", UploadId=doomed)
    expect_error(alice.abort_multipart_upload, "NoSuchUpload", 404, Bucket=bucket, Key="doomed",
                 UploadId=doomed)


def test_upload_without_a_recorded_initiator_shows_the_bucket_owner(srv, alice, bob, bucket):
    """An upload an older fsgate began has no initiator in its record: it lists
    with the bucket's owner, and only that owner may abort it."""
    alice.put_bucket_acl(Bucket=bucket, ACL="public-read-write")
    upload = bob.create_multipart_upload(Bucket=bucket, Key="old")["UploadId"]
    path = os.path.join(srv.root, ".fsgate", "multipart", bucket, upload, "upload")
    with open(path) as f:
        record = json.load(f)
    assert record.pop("initiator") == "bob"
    with open(path, "w") as f:
        json.dump(record, f)
    [listed] = alice.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert who(listed["Initiator"]) == ("alice", "alice") and who(listed["Owner"]) == ("bob", "bob")
    expect_denied(bob.abort_multipart_upload, Bucket=bucket, Key="old", UploadId=upload)
    alice.abort_multipart_upload(Bucket=bucket, Key="old", UploadId=upload)
