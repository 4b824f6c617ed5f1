"""Bucket owners: every bucket is its creator's, other users are denied, an admin is not.

One gateway with the environment's user (the main user) and, from a
--credentials file, alice, bob and an admin. Every refusal is checked for
its S3 code and status and for having changed nothing. A second gateway runs
with --region eu-west-1 for the per-bucket region.
"""

import json
import os
import uuid

import pytest

from fsgate_server import FsgateServer, expect_error

ALICE = {"name": "alice", "access_key": "AKIAALICE00000000001", "secret_key": "alice-secret-0001"}
BOB = {"name": "bob", "access_key": "AKIABOB0000000000001", "secret_key": "bob-secret-0001"}
ADMIN = {"name": "root", "access_key": "AKIAROOT000000000001", "secret_key": "root-secret-0001",
         "admin": True}
MAIN_USER = "admin"  # the user of FSGATE_ACCESS_KEY/FSGATE_SECRET_KEY
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"


def new_name(tag="own"):
    return f"{tag}-{uuid.uuid4().hex[:12]}"


def as_user(srv, user):
    return srv.client(access_key=user["access_key"], secret_key=user["secret_key"])


def names(client):
    return {b["Name"] for b in client.list_buckets()["Buckets"]}


def record_of(srv, bucket):
    with open(os.path.join(srv.root, ".fsgate", "buckets", bucket)) as f:
        return json.loads(f.read())


def expect_denied(fn, **kwargs):
    err = expect_error(fn, "AccessDenied", 403, **kwargs)
    assert err["Error"]["Message"] == "Access Denied", err
    assert err["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-id"), err


@pytest.fixture(scope="module")
def srv():
    with FsgateServer(users=[ALICE, BOB, ADMIN]) as s:
        yield s


@pytest.fixture
def alice(srv):
    return as_user(srv, ALICE)


@pytest.fixture
def bob(srv):
    return as_user(srv, BOB)


@pytest.fixture
def admin(srv):
    return as_user(srv, ADMIN)


@pytest.fixture
def alices(srv, alice):
    """Alice's bucket with an object and a multipart upload holding one part."""
    bucket = new_name("alice")
    alice.create_bucket(Bucket=bucket)
    alice.put_object(Bucket=bucket, Key="doc", Body=b"alice's data")
    upload = alice.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    alice.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"part one")
    return bucket, upload


def state_of(srv, client, bucket, upload):
    """What a refused request must leave as it was: objects, uploads, parts, the POSIX view."""
    srv.wait_drained()
    objects = {o["Key"]: o["ETag"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])}
    uploads = [(u["Key"], u["UploadId"]) for u in client.list_multipart_uploads(Bucket=bucket)["Uploads"]]
    parts = [(p["PartNumber"], p["ETag"])
             for p in client.list_parts(Bucket=bucket, Key="mp", UploadId=upload)["Parts"]]
    return objects, uploads, parts, srv.posix_view(bucket), record_of(srv, bucket)


def test_list_buckets_lists_the_callers_own(srv, alice, bob, admin):
    a, b = new_name("alice"), new_name("bob")
    alice.create_bucket(Bucket=a)
    bob.create_bucket(Bucket=b)
    listed = alice.list_buckets()
    assert listed["Owner"] == {"ID": "alice", "DisplayName": "alice"}
    assert a in names(alice) and b not in names(alice)
    assert b in names(bob) and a not in names(bob)
    assert bob.list_buckets()["Owner"] == {"ID": "bob", "DisplayName": "bob"}
    assert a not in names(srv.client()) and b not in names(srv.client())
    # The admin sees every bucket.
    assert {a, b} <= names(admin)
    assert record_of(srv, a)["owner"] == "alice" and record_of(srv, b)["owner"] == "bob"


def test_another_user_is_denied_every_bucket_and_object_api(srv, alice, bob, alices):
    bucket, upload = alices
    before = state_of(srv, alice, bucket, upload)
    bobs = new_name("bob")
    bob.create_bucket(Bucket=bobs)
    bob.put_object(Bucket=bobs, Key="mine", Body=b"bob's data")
    bobs_upload = bob.create_multipart_upload(Bucket=bobs, Key="mp")["UploadId"]

    expect_denied(bob.list_objects, Bucket=bucket)
    expect_denied(bob.list_objects_v2, Bucket=bucket, FetchOwner=True)
    expect_denied(bob.list_object_versions, Bucket=bucket)
    expect_denied(bob.list_multipart_uploads, Bucket=bucket)
    expect_denied(bob.get_bucket_location, Bucket=bucket)
    expect_denied(bob.get_bucket_versioning, Bucket=bucket)
    expect_denied(bob.get_bucket_acl, Bucket=bucket)
    expect_denied(bob.get_bucket_policy, Bucket=bucket)
    expect_denied(bob.get_bucket_tagging, Bucket=bucket)
    expect_denied(bob.get_object, Bucket=bucket, Key="doc")
    expect_denied(bob.get_object_acl, Bucket=bucket, Key="doc")
    expect_denied(bob.get_object_tagging, Bucket=bucket, Key="doc")
    expect_denied(bob.put_object, Bucket=bucket, Key="doc", Body=b"overwritten")
    expect_denied(bob.put_object, Bucket=bucket, Key="new", Body=b"planted")
    expect_denied(bob.delete_object, Bucket=bucket, Key="doc")
    expect_denied(bob.delete_objects, Bucket=bucket, Delete={"Objects": [{"Key": "doc"}]})
    # CopyObject: alice's bucket as the source, and as the destination.
    expect_denied(bob.copy_object, Bucket=bobs, Key="stolen", CopySource={"Bucket": bucket, "Key": "doc"})
    expect_denied(bob.copy_object, Bucket=bucket, Key="doc", CopySource={"Bucket": bobs, "Key": "mine"})
    expect_denied(bob.create_multipart_upload, Bucket=bucket, Key="mp2")
    expect_denied(bob.upload_part, Bucket=bucket, Key="mp", UploadId=upload, PartNumber=2, Body=b"x")
    expect_denied(bob.list_parts, Bucket=bucket, Key="mp", UploadId=upload)
    expect_denied(bob.complete_multipart_upload, Bucket=bucket, Key="mp", UploadId=upload,
                  MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": before[2][0][1]}]})
    expect_denied(bob.abort_multipart_upload, Bucket=bucket, Key="mp", UploadId=upload)
    # UploadPartCopy into bob's own upload, from alice's object.
    expect_denied(bob.upload_part_copy, Bucket=bobs, Key="mp", UploadId=bobs_upload, PartNumber=1,
                  CopySource={"Bucket": bucket, "Key": "doc"})
    expect_denied(bob.delete_bucket, Bucket=bucket)
    # HEAD answers carry no body: botocore reports the status as the code.
    expect_error(bob.head_bucket, "403", 403, Bucket=bucket)
    expect_error(bob.head_object, "403", 403, Bucket=bucket, Key="doc")
    raw = srv.raw("HEAD", f"/{bucket}", access_key=BOB["access_key"], secret_key=BOB["secret_key"])
    assert raw.status == 403 and raw.body == b"", raw

    assert state_of(srv, alice, bucket, upload) == before
    assert alice.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"alice's data"
    assert "Contents" not in bob.list_objects_v2(Bucket=bobs, Prefix="stolen")
    assert bob.list_parts(Bucket=bobs, Key="mp", UploadId=bobs_upload).get("Parts", []) == []


def test_unknown_bucket_is_no_such_bucket_for_everyone(srv, bob):
    # Denial is about buckets that exist; a missing one is NoSuchBucket whoever asks.
    missing = new_name("missing")
    expect_error(bob.list_objects_v2, "NoSuchBucket", 404, Bucket=missing)
    expect_error(bob.get_object, "NoSuchBucket", 404, Bucket=missing, Key="k")


def test_create_bucket_of_a_taken_name(srv, alice, bob, admin, alices):
    bucket, upload = alices
    before = state_of(srv, alice, bucket, upload)
    expect_error(bob.create_bucket, "BucketAlreadyExists", 409, Bucket=bucket)
    expect_error(admin.create_bucket, "BucketAlreadyExists", 409, Bucket=bucket)
    # Re-creating your own bucket in us-east-1 is AWS's legacy 200, and changes nothing.
    resp = alice.create_bucket(Bucket=bucket)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert state_of(srv, alice, bucket, upload) == before
    expect_denied(bob.list_objects_v2, Bucket=bucket)


def test_owner_fields_name_the_bucket_owner(srv, alice, admin, alices):
    bucket, upload = alices
    owner = {"ID": "alice", "DisplayName": "alice"}
    # Asked by alice and by the admin: the owner is alice either way.
    for client in (alice, admin):
        assert client.list_objects_v2(Bucket=bucket, FetchOwner=True)["Contents"][0]["Owner"] == owner
        assert "Owner" not in client.list_objects_v2(Bucket=bucket)["Contents"][0]
        assert client.list_objects(Bucket=bucket)["Contents"][0]["Owner"] == owner
        assert client.list_object_versions(Bucket=bucket)["Versions"][0]["Owner"] == owner
        uploads = client.list_multipart_uploads(Bucket=bucket)["Uploads"]
        assert [(u["Owner"], u["Initiator"]) for u in uploads] == [(owner, owner)]
        parts = client.list_parts(Bucket=bucket, Key="mp", UploadId=upload)
        assert parts["Owner"] == owner and parts["Initiator"] == owner
        for acl in (client.get_bucket_acl(Bucket=bucket), client.get_object_acl(Bucket=bucket, Key="doc")):
            assert acl["Owner"] == owner
            assert [g["Grantee"]["ID"] for g in acl["Grants"]] == ["alice"]


def test_admin_may_do_everything(srv, alice, bob, admin, alices):
    bucket, upload = alices
    assert admin.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"alice's data"
    admin.put_object(Bucket=bucket, Key="by-admin", Body=b"hello")
    assert alice.get_object(Bucket=bucket, Key="by-admin")["Body"].read() == b"hello"
    admin.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "doc"})
    admin.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload)
    assert alice.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    admin.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in ("doc", "by-admin", "copy")]})
    admin.head_bucket(Bucket=bucket)
    admin.delete_bucket(Bucket=bucket)
    expect_error(alice.head_bucket, "404", 404, Bucket=bucket)
    # The admin's own bucket is the admin's: alice and bob are denied it.
    mine = new_name("root")
    admin.create_bucket(Bucket=mine)
    assert record_of(srv, mine)["owner"] == "root"
    expect_denied(alice.list_objects_v2, Bucket=mine)
    expect_denied(bob.put_object, Bucket=mine, Key="k", Body=b"x")
    assert mine not in names(alice)


def test_anonymous_requests_are_still_denied(srv, alices):
    bucket, _ = alices
    for method, path in (("GET", f"/{bucket}"), ("GET", f"/{bucket}/doc"), ("PUT", f"/{bucket}/anon")):
        resp = srv.raw(method, path, sign=False, body=b"x" if method == "PUT" else b"")
        assert resp.status == 403 and resp.error_code() == "AccessDenied", resp
    assert srv.posix_view(bucket)[0] == {"doc": b"alice's data"}


def test_a_bucket_without_an_owner_record_is_the_main_users(srv, alice):
    # A directory made by another program, and a bucket record of an older
    # fsgate (its creation time alone): both go to the main user, recorded.
    made, old = new_name("made"), new_name("old")
    for b in (made, old):
        os.makedirs(os.path.join(srv.root, b))
        with open(os.path.join(srv.root, b, "file"), "wb") as f:
            f.write(b"from outside")
    with open(os.path.join(srv.root, ".fsgate", "buckets", old), "w") as f:
        f.write("1600000000000000000\n")
    expect_denied(alice.get_object, Bucket=made, Key="file")
    expect_denied(alice.list_objects_v2, Bucket=old)
    main = srv.client()
    assert {made, old} <= names(main)
    assert not {made, old} & names(alice)
    for b in (made, old):
        assert main.get_object(Bucket=b, Key="file")["Body"].read() == b"from outside"
        assert record_of(srv, b)["owner"] == MAIN_USER
    assert record_of(srv, old)["created_ns"] == 1600000000000000000
    created = {x["Name"]: x["CreationDate"] for x in main.list_buckets()["Buckets"]}
    assert created[old].year == 2020


def test_ownership_survives_a_restart(srv, alices):
    bucket, upload = alices
    srv.restart()
    alice, bob = as_user(srv, ALICE), as_user(srv, BOB)
    expect_denied(bob.get_object, Bucket=bucket, Key="doc")
    expect_error(bob.create_bucket, "BucketAlreadyExists", 409, Bucket=bucket)
    assert bucket in names(alice) and bucket not in names(bob)
    assert alice.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"alice's data"
    assert alice.list_objects_v2(Bucket=bucket, FetchOwner=True)["Contents"][0]["Owner"]["ID"] == "alice"


def test_region_of_a_us_east_1_endpoint(srv, alice):
    bucket = new_name("use1")
    alice.create_bucket(Bucket=bucket)
    # us-east-1 is an empty LocationConstraint, as AWS answers it.
    resp = srv.raw("GET", f"/{bucket}", query={"location": ""},
                   access_key=ALICE["access_key"], secret_key=ALICE["secret_key"])
    assert resp.status == 200, resp
    assert b"<LocationConstraint" in resp.body and b"</LocationConstraint>" not in resp.body, resp
    assert alice.get_bucket_location(Bucket=bucket).get("LocationConstraint") is None
    head = alice.head_bucket(Bucket=bucket)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    # us-east-1 is never written as a constraint: AWS refuses it.
    other = new_name("euw1")
    expect_error(alice.create_bucket, "InvalidLocationConstraint", 400, Bucket=other,
                 CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    assert not os.path.exists(os.path.join(srv.root, other))
    # A constraint naming another region: refused, nothing made.
    err = expect_error(alice.create_bucket, "IllegalLocationConstraintException", 400, Bucket=other,
                       CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert err["Error"]["Message"] == ("The eu-west-1 location constraint is incompatible for the "
                                       "region specific endpoint this request was sent to.")
    assert not os.path.exists(os.path.join(srv.root, other))
    resp = srv.raw("PUT", f"/{other}", body=b"<CreateBucketConfiguration><LocationConstraint>eu",
                   access_key=ALICE["access_key"], secret_key=ALICE["secret_key"])
    assert resp.status == 400 and resp.error_code() == "MalformedXML", resp
    assert not os.path.exists(os.path.join(srv.root, other))


def test_region_of_an_eu_west_1_endpoint():
    with FsgateServer(users=[ALICE, BOB], region="eu-west-1") as euw:
        alice, bob = as_user(euw, ALICE), as_user(euw, BOB)
        plain, stated = new_name("plain"), new_name("stated")
        alice.create_bucket(Bucket=plain)
        alice.create_bucket(Bucket=stated, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        for b in (plain, stated):
            assert alice.get_bucket_location(Bucket=b)["LocationConstraint"] == "eu-west-1"
            head = alice.head_bucket(Bucket=b)
            assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "eu-west-1"
            assert record_of(euw, b) | {"created_ns": 0} == {
                "v": 1, "created_ns": 0, "owner": "alice", "region": "eu-west-1"}
        bad = new_name("usw2")
        err = expect_error(alice.create_bucket, "IllegalLocationConstraintException", 400, Bucket=bad,
                           CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        assert "us-west-2" in err["Error"]["Message"]
        assert not os.path.exists(os.path.join(euw.root, bad))
        # Outside us-east-1, re-creating your own bucket is BucketAlreadyOwnedByYou.
        expect_error(alice.create_bucket, "BucketAlreadyOwnedByYou", 409, Bucket=plain)
        expect_error(bob.create_bucket, "BucketAlreadyExists", 409, Bucket=plain)
        euw.restart()
        alice = as_user(euw, ALICE)
        assert alice.get_bucket_location(Bucket=stated)["LocationConstraint"] == "eu-west-1"
        alice.delete_bucket(Bucket=plain)
        alice.delete_bucket(Bucket=stated)
        assert not os.path.exists(os.path.join(euw.root, ".fsgate", "buckets", plain))
