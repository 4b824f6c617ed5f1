"""S3 Object Lock through the real gateway: Put/GetObjectLockConfiguration,
retention and legal hold per version (headers on PUT/Copy/CreateMultipartUpload,
Put/GetObjectRetention, Put/GetObjectLegalHold, GET/HEAD headers), the default
retention of a bucket rule, DELETE and DeleteObjects of a locked version
(AccessDenied; GOVERNANCE bypass for a caller allowed it), and the errors AWS
gives, which change nothing. Writes run with async and with sync dirops."""

import datetime
import json
import os
import uuid

import pytest

from fsgate_server import FsgateServer, expect_error
from test_post_object import post

BOB = {"name": "bob", "access_key": "AKIABOB0000000000077", "secret_key": "bob-secret-0077"}
FUTURE = datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)
GOVERNANCE = {"Mode": "GOVERNANCE", "RetainUntilDate": FUTURE}


@pytest.fixture(scope="module", params=["async", "sync"])
def srv(request):
    with FsgateServer(dirops=request.param, users=[BOB]) as s:
        yield s


@pytest.fixture
def s3(srv):
    return srv.client()


def locked_bucket(s3):
    name = f"lock-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def rule(mode="GOVERNANCE", **period):
    return {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": mode, **period}}}


def test_lock_configuration_and_its_errors(srv, s3):
    bucket = locked_bucket(s3)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled"}
    for bad, code in [(rule(Days=1, Years=1), "MalformedXML"), (rule(Days=0), "InvalidRetentionPeriod"),
                      (rule(Years=-1), "InvalidRetentionPeriod"), (rule("governance", Days=1), "MalformedXML"),
                      (dict(rule(Days=1), ObjectLockEnabled="Disabled"), "MalformedXML")]:
        expect_error(s3.put_object_lock_configuration, code, 400, Bucket=bucket,
                     ObjectLockConfiguration=bad)
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=rule("COMPLIANCE", Years=2))
    expect_error(s3.put_bucket_versioning, "InvalidBucketState", 409, Bucket=bucket,
                 VersioningConfiguration={"Status": "Suspended"})
    srv.restart(kill=True)
    s3 = srv.client()
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"] == rule(
        "COMPLIANCE", Years=2)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"

    plain = f"plain-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=plain)
    expect_error(s3.get_object_lock_configuration, "ObjectLockConfigurationNotFoundError", 404,
                 Bucket=plain)
    expect_error(s3.put_object_lock_configuration, "InvalidBucketState", 409, Bucket=plain,
                 ObjectLockConfiguration=rule(Days=1))
    s3.put_bucket_versioning(Bucket=plain, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(Bucket=plain, ObjectLockConfiguration=rule(Days=1))
    assert s3.get_object_lock_configuration(Bucket=plain)["ObjectLockConfiguration"] == rule(Days=1)


def test_object_requests_need_a_locked_bucket(s3):
    plain = f"plain-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=plain)
    s3.put_object(Bucket=plain, Key="k", Body=b"x")
    for call, kw in [(s3.put_object_retention, {"Retention": GOVERNANCE}),
                     (s3.get_object_retention, {}),
                     (s3.put_object_legal_hold, {"LegalHold": {"Status": "ON"}}),
                     (s3.get_object_legal_hold, {})]:
        err = expect_error(call, "InvalidRequest", 400, Bucket=plain, Key="k", **kw)
        assert err["Error"]["Message"] == "Bucket is missing Object Lock Configuration"
    expect_error(s3.put_object, "InvalidRequest", 400, Bucket=plain, Key="k2", Body=b"x",
                 ObjectLockLegalHoldStatus="ON")
    assert "Contents" not in s3.list_objects_v2(Bucket=plain, Prefix="k2")


def test_retention_and_legal_hold_keep_a_version(srv, s3):
    bucket = locked_bucket(s3)
    v1 = s3.put_object(Bucket=bucket, Key="dir/k", Body=b"one", ObjectLockMode="GOVERNANCE",
                       ObjectLockRetainUntilDate=FUTURE, ObjectLockLegalHoldStatus="ON")["VersionId"]
    head = s3.head_object(Bucket=bucket, Key="dir/k")
    assert (head["ObjectLockMode"], head["ObjectLockRetainUntilDate"],
            head["ObjectLockLegalHoldStatus"]) == ("GOVERNANCE", FUTURE, "ON")
    assert s3.get_object_retention(Bucket=bucket, Key="dir/k")["Retention"] == GOVERNANCE
    assert s3.get_object_legal_hold(Bucket=bucket, Key="dir/k")["LegalHold"] == {"Status": "ON"}
    # A newer version moves v1 into the history; its lock goes with it.
    v2 = s3.put_object(Bucket=bucket, Key="dir/k", Body=b"two")["VersionId"]
    assert "ObjectLockMode" not in s3.head_object(Bucket=bucket, Key="dir/k")
    # The legal hold keeps v1 even with the bypass.
    expect_error(s3.delete_object, "AccessDenied", 403, Bucket=bucket, Key="dir/k", VersionId=v1,
                 BypassGovernanceRetention=True)
    s3.put_object_legal_hold(Bucket=bucket, Key="dir/k", VersionId=v1, LegalHold={"Status": "OFF"})
    assert s3.get_object_legal_hold(Bucket=bucket, Key="dir/k", VersionId=v1)["LegalHold"] == {
        "Status": "OFF"}
    # GOVERNANCE keeps it from a plain DELETE and from DeleteObjects...
    expect_error(s3.delete_object, "AccessDenied", 403, Bucket=bucket, Key="dir/k", VersionId=v1)
    marker = s3.delete_object(Bucket=bucket, Key="dir/k")  # a delete marker is allowed
    assert marker["DeleteMarker"] is True
    resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "dir/k", "VersionId": v1},
                                                                {"Key": "dir/k", "VersionId": v2}]})
    assert [(e["Key"], e["VersionId"], e["Code"]) for e in resp["Errors"]] == [("dir/k", v1, "AccessDenied")]
    assert [d["VersionId"] for d in resp["Deleted"]] == [v2]
    srv.restart(kill=True)
    s3 = srv.client()
    assert s3.get_object_retention(Bucket=bucket, Key="dir/k", VersionId=v1)["Retention"] == GOVERNANCE
    expect_error(s3.delete_object, "AccessDenied", 403, Bucket=bucket, Key="dir/k", VersionId=v1)
    # ...until the owner bypasses it.
    resp = s3.delete_objects(Bucket=bucket, BypassGovernanceRetention=True,
                             Delete={"Objects": [{"Key": "dir/k", "VersionId": v1}]})
    assert "Errors" not in resp and [d["VersionId"] for d in resp["Deleted"]] == [v1]
    versions = s3.list_object_versions(Bucket=bucket)
    assert "Versions" not in versions and len(versions["DeleteMarkers"]) == 1


def test_lock_is_in_the_plain_files_record(srv, s3):
    bucket = locked_bucket(s3)
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", ObjectLockMode="COMPLIANCE",
                  ObjectLockRetainUntilDate=FUTURE)
    srv.wait_drained()
    path = os.path.join(srv.root, bucket, "k")
    with open(path, "rb") as f:
        assert f.read() == b"data"
    record = os.getxattr(path, "user.fsgate.m")
    assert record[0] == 6 and b"COMPLIANCE" in record


def test_compliance_only_lengthens_governance_needs_the_bypass(s3):
    bucket = locked_bucket(s3)
    later = FUTURE + datetime.timedelta(days=1)
    s3.put_object(Bucket=bucket, Key="c", Body=b"c", ObjectLockMode="COMPLIANCE",
                  ObjectLockRetainUntilDate=FUTURE)
    for retention in [{"Mode": "GOVERNANCE", "RetainUntilDate": later},
                      {"Mode": "COMPLIANCE", "RetainUntilDate": FUTURE - datetime.timedelta(days=1)}]:
        expect_error(s3.put_object_retention, "AccessDenied", 403, Bucket=bucket, Key="c",
                     Retention=retention, BypassGovernanceRetention=True)
    s3.put_object_retention(Bucket=bucket, Key="c", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later})
    assert s3.get_object_retention(Bucket=bucket, Key="c")["Retention"]["RetainUntilDate"] == later
    vid = s3.head_object(Bucket=bucket, Key="c")["VersionId"]
    expect_error(s3.delete_object, "AccessDenied", 403, Bucket=bucket, Key="c", VersionId=vid,
                 BypassGovernanceRetention=True)

    s3.put_object(Bucket=bucket, Key="g", Body=b"g", ObjectLockMode="GOVERNANCE",
                  ObjectLockRetainUntilDate=later)
    shorter = {"Mode": "GOVERNANCE", "RetainUntilDate": FUTURE}
    expect_error(s3.put_object_retention, "AccessDenied", 403, Bucket=bucket, Key="g", Retention=shorter)
    s3.put_object_retention(Bucket=bucket, Key="g", Retention=shorter, BypassGovernanceRetention=True)
    assert s3.get_object_retention(Bucket=bucket, Key="g")["Retention"] == shorter


def test_default_retention_applies_to_put_copy_and_multipart(s3):
    bucket = locked_bucket(s3)
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=rule(Days=2))
    before = datetime.datetime.now(datetime.timezone.utc)
    s3.put_object(Bucket=bucket, Key="src", Body=b"s", ObjectLockMode="COMPLIANCE",
                  ObjectLockRetainUntilDate=FUTURE)
    s3.put_object(Bucket=bucket, Key="plain", Body=b"p")
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "src"})
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"m")
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]})
    after = datetime.datetime.now(datetime.timezone.utc)
    for key in ("plain", "copy", "mp"):  # a copy takes the default, never the source's lock
        retention = s3.get_object_retention(Bucket=bucket, Key=key)["Retention"]
        assert retention["Mode"] == "GOVERNANCE", key
        until = retention["RetainUntilDate"]
        assert (before + datetime.timedelta(days=2, seconds=-1) <= until
                <= after + datetime.timedelta(days=2)), (key, until)
    assert s3.get_object_retention(Bucket=bucket, Key="src")["Retention"]["Mode"] == "COMPLIANCE"


def test_default_retention_applies_to_a_browser_post(s3, tmp_path):
    bucket = locked_bucket(s3)
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=rule("COMPLIANCE", Years=1))
    upload = tmp_path / "upload.txt"
    upload.write_bytes(b"posted")
    form = s3.generate_presigned_post(bucket, "posted", ExpiresIn=300)
    status, _, body = post(form["url"], form["fields"], upload)
    assert status == 204, body
    retention = s3.get_object_retention(Bucket=bucket, Key="posted")["Retention"]
    assert retention["Mode"] == "COMPLIANCE"
    assert retention["RetainUntilDate"] > datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=364)


def test_bad_lock_input_is_refused_and_changes_nothing(s3):
    bucket = locked_bucket(s3)
    past = datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc)
    err = expect_error(s3.put_object, "InvalidArgument", 400, Bucket=bucket, Key="k", Body=b"x",
                       ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=past)
    assert err["Error"]["Message"] == "The retain until date must be in the future!"
    expect_error(s3.put_object, "InvalidArgument", 400, Bucket=bucket, Key="k", Body=b"x",
                 ObjectLockMode="GOVERNANCE")
    expect_error(s3.put_object, "InvalidArgument", 400, Bucket=bucket, Key="k", Body=b"x",
                 ObjectLockMode="governance", ObjectLockRetainUntilDate=FUTURE)
    assert "Versions" not in s3.list_object_versions(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    expect_error(s3.put_object_retention, "MalformedXML", 400, Bucket=bucket, Key="k",
                 Retention={"Mode": "abc", "RetainUntilDate": FUTURE})
    expect_error(s3.put_object_retention, "InvalidArgument", 400, Bucket=bucket, Key="k",
                 Retention={"Mode": "GOVERNANCE", "RetainUntilDate": past})
    expect_error(s3.put_object_legal_hold, "MalformedXML", 400, Bucket=bucket, Key="k",
                 LegalHold={"Status": "abc"})
    expect_error(s3.get_object_retention, "NoSuchObjectLockConfiguration", 404, Bucket=bucket, Key="k")
    assert s3.get_object_legal_hold(Bucket=bucket, Key="k")["LegalHold"] == {"Status": "OFF"}


def test_bypass_needs_the_permission(srv, s3):
    bucket = locked_bucket(s3)
    vid = s3.put_object(Bucket=bucket, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE",
                        ObjectLockRetainUntilDate=FUTURE)["VersionId"]
    bob = srv.client(access_key=BOB["access_key"], secret_key=BOB["secret_key"])

    def allow(*actions):
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/bob"}, "Action": list(actions),
             "Resource": f"arn:aws:s3:::{bucket}/*"}]}))

    allow("s3:PutObject", "s3:DeleteObjectVersion")
    # Setting a lock on a write needs the permission to set it.
    expect_error(bob.put_object, "AccessDenied", 403, Bucket=bucket, Key="b", Body=b"b",
                 ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=FUTURE)
    expect_error(bob.put_object, "AccessDenied", 403, Bucket=bucket, Key="b", Body=b"b",
                 ObjectLockLegalHoldStatus="ON")
    bob.put_object(Bucket=bucket, Key="b", Body=b"b")
    expect_error(bob.delete_object, "AccessDenied", 403, Bucket=bucket, Key="k", VersionId=vid,
                 BypassGovernanceRetention=True)
    assert s3.head_object(Bucket=bucket, Key="k", VersionId=vid)["ObjectLockMode"] == "GOVERNANCE"
    allow("s3:PutObject", "s3:PutObjectRetention", "s3:DeleteObjectVersion",
          "s3:BypassGovernanceRetention")
    bob.put_object(Bucket=bucket, Key="b", Body=b"b2", ObjectLockMode="GOVERNANCE",
                   ObjectLockRetainUntilDate=FUTURE)
    bob.delete_object(Bucket=bucket, Key="k", VersionId=vid, BypassGovernanceRetention=True)
    assert [v["Key"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]] == ["b", "b"]
