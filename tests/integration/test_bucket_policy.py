"""Bucket policies: Put/Get/DeleteBucketPolicy, GetBucketPolicyStatus, and what they allow.

One gateway with the environment's user and, from a --credentials file, alice
(who owns the buckets) and bob. Anonymous callers are a botocore UNSIGNED
client and plain curl. Every refusal is checked for its S3 code and status.
"""

import json
import subprocess
import uuid

import botocore
import pytest

from fsgate_server import FsgateServer, expect_error

ALICE = {"name": "alice", "access_key": "AKIAALICE00000000001", "secret_key": "alice-secret-0001"}
BOB = {"name": "bob", "access_key": "AKIABOB0000000000001", "secret_key": "bob-secret-0001"}


@pytest.fixture(scope="module")
def srv():
    with FsgateServer(users=[ALICE, BOB]) as s:
        yield s


@pytest.fixture
def alice(srv):
    return srv.client(access_key=ALICE["access_key"], secret_key=ALICE["secret_key"])


@pytest.fixture
def bob(srv):
    return srv.client(access_key=BOB["access_key"], secret_key=BOB["secret_key"])


@pytest.fixture
def anon(srv):
    return srv.client(signature_version=botocore.UNSIGNED)


@pytest.fixture
def bucket(alice):
    name = f"pol-{uuid.uuid4().hex[:12]}"
    alice.create_bucket(Bucket=name)
    alice.put_object(Bucket=name, Key="pub/doc", Body=b"public data")
    return name


def policy(bucket, *statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def public_read(bucket):
    return policy(bucket,
                  {"Sid": "Read", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                   "Resource": f"arn:aws:s3:::{bucket}/*"},
                  {"Sid": "List", "Effect": "Allow", "Principal": {"AWS": "*"},
                   "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"})


def expect_denied(fn, **kwargs):
    err = expect_error(fn, "AccessDenied", 403, **kwargs)
    assert err["Error"]["Message"] == "Access Denied", err


def curl(srv, method, path):
    """(status, body) of a plain, unsigned curl request."""
    out = subprocess.run(["curl", "-s", "-X", method, "-o", "-", "-w", "\n%{http_code}",
                          f"{srv.endpoint}{path}"], capture_output=True, check=True, timeout=30)
    body, _, status = out.stdout.rpartition(b"\n")
    return int(status), body


def test_policy_is_kept_and_managed_by_the_owner_only(srv, alice, bob, bucket):
    expect_error(alice.get_bucket_policy, "NoSuchBucketPolicy", 404, Bucket=bucket)
    expect_error(alice.get_bucket_policy_status, "NoSuchBucketPolicy", 404, Bucket=bucket)
    text = public_read(bucket)
    alice.put_bucket_policy(Bucket=bucket, Policy=text)
    assert json.loads(alice.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(text)
    # Another user may not read, replace or remove it, even with a policy that lets it read.
    expect_denied(bob.get_bucket_policy, Bucket=bucket)
    expect_denied(bob.put_bucket_policy, Bucket=bucket, Policy=text)
    expect_denied(bob.delete_bucket_policy, Bucket=bucket)
    # Kept with the bucket across a crash.
    srv.restart(kill=True)
    alice = srv.client(access_key=ALICE["access_key"], secret_key=ALICE["secret_key"])
    assert json.loads(alice.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(text)
    alice.delete_bucket_policy(Bucket=bucket)
    expect_error(alice.get_bucket_policy, "NoSuchBucketPolicy", 404, Bucket=bucket)


def test_public_read_lets_anyone_read_and_list_but_not_write(srv, alice, anon, bob, bucket):
    # Private until the policy says otherwise.
    expect_denied(anon.get_object, Bucket=bucket, Key="pub/doc")
    assert curl(srv, "GET", f"/{bucket}/pub/doc")[0] == 403
    alice.put_bucket_policy(Bucket=bucket, Policy=public_read(bucket))
    assert anon.get_object(Bucket=bucket, Key="pub/doc")["Body"].read() == b"public data"
    assert anon.head_object(Bucket=bucket, Key="pub/doc")["ContentLength"] == 11
    assert [o["Key"] for o in anon.list_objects_v2(Bucket=bucket)["Contents"]] == ["pub/doc"]
    assert curl(srv, "GET", f"/{bucket}/pub/doc") == (200, b"public data")
    assert bob.get_object(Bucket=bucket, Key="pub/doc")["Body"].read() == b"public data"
    # Writes stay the owner's.
    expect_denied(anon.put_object, Bucket=bucket, Key="anon", Body=b"x")
    expect_denied(anon.delete_object, Bucket=bucket, Key="pub/doc")
    expect_denied(bob.put_object, Bucket=bucket, Key="bob", Body=b"x")
    assert curl(srv, "PUT", f"/{bucket}/anon")[0] == 403
    assert [o["Key"] for o in alice.list_objects_v2(Bucket=bucket)["Contents"]] == ["pub/doc"]


def test_explicit_deny_wins_even_over_the_owner(alice, bob, bucket):
    alice.put_bucket_policy(Bucket=bucket, Policy=policy(
        bucket,
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/bob"},
         "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
         "Resource": f"arn:aws:s3:::{bucket}/*"},
        {"Effect": "Deny", "Principal": {"AWS": ["arn:aws:iam:::user/bob", "alice"]},
         "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{bucket}/*"}))
    bob.put_object(Bucket=bucket, Key="bobs", Body=b"from bob")
    assert bob.get_object(Bucket=bucket, Key="bobs")["Body"].read() == b"from bob"
    expect_denied(bob.delete_object, Bucket=bucket, Key="bobs")
    expect_denied(alice.delete_object, Bucket=bucket, Key="bobs")
    # DeleteObjects answers the denial per key, as AWS does, and deletes nothing.
    for client in (bob, alice):
        res = client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "bobs"}]})
        assert [(e["Key"], e["Code"]) for e in res["Errors"]] == [("bobs", "AccessDenied")], res
    assert bob.get_object(Bucket=bucket, Key="bobs")["Body"].read() == b"from bob"
    # The owner may still read, replace and remove the policy that denies it.
    assert alice.get_bucket_policy(Bucket=bucket)["Policy"]
    alice.delete_bucket_policy(Bucket=bucket)
    alice.delete_object(Bucket=bucket, Key="bobs")
    expect_denied(bob.get_object, Bucket=bucket, Key="pub/doc")


def test_delete_objects_is_authorized_key_by_key(alice, bob, bucket):
    alice.put_object(Bucket=bucket, Key="tmp/x", Body=b"scratch")
    alice.put_bucket_policy(Bucket=bucket, Policy=policy(
        bucket, {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/bob"},
                 "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{bucket}/tmp/*"}))
    res = bob.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "pub/doc"}, {"Key": "tmp/x"}]})
    assert [d["Key"] for d in res["Deleted"]] == ["tmp/x"], res
    assert [(e["Key"], e["Code"]) for e in res["Errors"]] == [("pub/doc", "AccessDenied")], res
    assert [o["Key"] for o in alice.list_objects_v2(Bucket=bucket)["Contents"]] == ["pub/doc"]


def test_a_version_is_authorized_as_its_own_action(alice, bob, bucket):
    alice.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = alice.put_object(Bucket=bucket, Key="pub/doc", Body=b"one")["VersionId"]
    alice.put_object(Bucket=bucket, Key="pub/doc", Body=b"two")
    alice.put_bucket_policy(Bucket=bucket, Policy=policy(
        bucket, {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/bob"},
                 "Action": ["s3:GetObject", "s3:DeleteObject"], "Resource": f"arn:aws:s3:::{bucket}/*"}))
    assert bob.get_object(Bucket=bucket, Key="pub/doc")["Body"].read() == b"two"
    expect_error(bob.get_object, "AccessDenied", 403, Bucket=bucket, Key="pub/doc", VersionId=v1)
    expect_error(bob.delete_object, "AccessDenied", 403, Bucket=bucket, Key="pub/doc", VersionId=v1)
    res = bob.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "pub/doc", "VersionId": v1}]})
    assert [(e["Key"], e["Code"]) for e in res["Errors"]] == [("pub/doc", "AccessDenied")], res
    alice.put_bucket_policy(Bucket=bucket, Policy=policy(
        bucket, {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/bob"},
                 "Action": ["s3:GetObjectVersion"], "Resource": f"arn:aws:s3:::{bucket}/*"}))
    assert bob.get_object(Bucket=bucket, Key="pub/doc", VersionId=v1)["Body"].read() == b"one"


def test_source_ip_condition(alice, anon, bucket):
    def allow_from(cidr):
        alice.put_bucket_policy(Bucket=bucket, Policy=policy(
            bucket, {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                     "Resource": f"arn:aws:s3:::{bucket}/pub/*",
                     "Condition": {"IpAddress": {"aws:SourceIp": cidr}}}))

    allow_from("127.0.0.1/32")
    assert anon.get_object(Bucket=bucket, Key="pub/doc")["Body"].read() == b"public data"
    assert alice.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False
    allow_from("10.0.0.0/8")
    expect_denied(anon.get_object, Bucket=bucket, Key="pub/doc")


def test_policy_variables_give_each_user_a_home(alice, bob, anon, bucket):
    alice.put_bucket_policy(Bucket=bucket, Policy=policy(
        bucket,
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/bob"},
         "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": f"arn:aws:s3:::{bucket}/home/${{aws:username}}/*"},
        {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket",
         "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"StringLike": {"s3:prefix": "home/${aws:userid}/*"}}}))
    bob.put_object(Bucket=bucket, Key="home/bob/notes", Body=b"bob's")
    assert bob.get_object(Bucket=bucket, Key="home/bob/notes")["Body"].read() == b"bob's"
    expect_denied(bob.put_object, Bucket=bucket, Key="home/alice/notes", Body=b"x")
    expect_denied(bob.put_object, Bucket=bucket, Key="home/${aws:username}/notes", Body=b"x")
    listed = bob.list_objects_v2(Bucket=bucket, Prefix="home/bob/")["Contents"]
    assert [o["Key"] for o in listed] == ["home/bob/notes"]
    expect_denied(bob.list_objects_v2, Bucket=bucket, Prefix="home/alice/")
    # Anonymous has no username: no home of its own; its aws:userid is "anonymous".
    expect_denied(anon.get_object, Bucket=bucket, Key="home/bob/notes")
    assert "Contents" not in anon.list_objects_v2(Bucket=bucket, Prefix="home/anonymous/")
    expect_denied(anon.list_objects_v2, Bucket=bucket, Prefix="home/bob/")


def test_object_tag_conditions(alice, bob, bucket):
    alice.put_bucket_policy(Bucket=bucket, Policy=policy(
        bucket,
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/bob"},
         "Action": ["s3:GetObject", "s3:GetObjectTagging"], "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"StringEquals": {"s3:ExistingObjectTag/share": "bob"}}},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/bob"},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/in/*",
         "Condition": {"StringEquals": {"s3:RequestObjectTag/team": "blue"}}}))
    alice.put_object(Bucket=bucket, Key="for-bob", Body=b"yours", Tagging="share=bob")
    alice.put_object(Bucket=bucket, Key="for-carol", Body=b"hers", Tagging="share=carol")
    assert bob.get_object(Bucket=bucket, Key="for-bob")["Body"].read() == b"yours"
    assert bob.get_object_tagging(Bucket=bucket, Key="for-bob")["TagSet"] == [
        {"Key": "share", "Value": "bob"}]
    expect_denied(bob.get_object, Bucket=bucket, Key="for-carol")
    expect_denied(bob.get_object, Bucket=bucket, Key="pub/doc")  # no tags at all
    alice.put_object_tagging(Bucket=bucket, Key="for-carol",
                             Tagging={"TagSet": [{"Key": "share", "Value": "bob"}]})
    assert bob.get_object(Bucket=bucket, Key="for-carol")["Body"].read() == b"hers"
    bob.put_object(Bucket=bucket, Key="in/a", Body=b"a", Tagging="team=blue&x=1")
    expect_denied(bob.put_object, Bucket=bucket, Key="in/b", Body=b"b", Tagging="team=red")
    expect_denied(bob.put_object, Bucket=bucket, Key="in/c", Body=b"c")
    keys = [o["Key"] for o in alice.list_objects_v2(Bucket=bucket, Prefix="in/")["Contents"]]
    assert keys == ["in/a"]


def test_policy_status_is_public_for_an_unconditional_allow_to_anyone(alice, bucket):
    alice.put_bucket_policy(Bucket=bucket, Policy=public_read(bucket))
    assert alice.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    alice.put_bucket_policy(Bucket=bucket, Policy=policy(
        bucket, {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/bob"},
                 "Action": "s3:*", "Resource": f"arn:aws:s3:::{bucket}/*"}))
    assert alice.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False


@pytest.mark.parametrize("document, message", [
    ("not json", "Policies must be valid JSON and the first byte must be '{'"),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{b}/*"}]},
     "Missing required field Principal"),
    ({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ec2:RunInstances",
                     "Resource": "arn:aws:s3:::{b}/*"}]}, "Policy has invalid action"),
    ({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                     "Resource": "arn:aws:s3:::some-other-bucket/*"}]}, "Policy has invalid resource"),
    ({"Statement": [{"Sid": "x" * 21000, "Effect": "Allow", "Principal": "*",
                     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{b}/*"}]},
     "Policy exceeds the maximum allowed document size."),
])
def test_malformed_policies_are_refused_with_s3s_message(alice, bucket, document, message):
    text = document if isinstance(document, str) else json.dumps(document).replace("{b}", bucket)
    err = expect_error(alice.put_bucket_policy, "MalformedPolicy", 400, Bucket=bucket, Policy=text)
    assert err["Error"]["Message"] == message, err
    expect_error(alice.get_bucket_policy, "NoSuchBucketPolicy", 404, Bucket=bucket)


def test_a_missing_key_is_404_to_whoever_may_list_the_prefix_naming_it(alice, bob, bucket):
    """Without s3:GetObject, a missing key is NoSuchKey to a caller who may
    list a prefix that would show it (s3:prefix judged as the key), and
    AccessDenied otherwise; an existing one stays AccessDenied."""
    alice.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, {
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:ListBucket",
        "Resource": f"arn:aws:s3:::{bucket}", "Condition": {"StringLike": {"s3:prefix": "pub/*"}}}))
    expect_error(bob.head_object, "404", 404, Bucket=bucket, Key="pub/missing")
    expect_error(bob.get_object, "NoSuchKey", 404, Bucket=bucket, Key="pub/missing")
    expect_error(bob.head_object, "403", 403, Bucket=bucket, Key="priv/missing")
    expect_denied(bob.get_object, Bucket=bucket, Key="priv/missing")
    expect_denied(bob.get_object, Bucket=bucket, Key="pub/doc")


def test_conditions_on_the_copy_source_grants_and_referer(alice, bob, bucket):
    """s3:x-amz-copy-source (bucket/key, decoded), s3:x-amz-grant-full-control
    and aws:Referer are condition keys, as in AWS."""
    alice.put_object(Bucket=bucket, Key="priv/doc", Body=b"private")
    src = f"{bucket}-src"
    alice.create_bucket(Bucket=src)
    alice.put_object(Bucket=src, Key="pub/a b", Body=b"copied")
    alice.put_object(Bucket=src, Key="priv/x", Body=b"no")
    alice.put_bucket_policy(Bucket=src, Policy=policy(src, {
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{src}/*"}))
    alice.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, {
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/copies/*",
        "Condition": {"StringLike": {"s3:x-amz-copy-source": f"{src}/pub/*"}}}, {
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/granted/*",
        "Condition": {"StringEquals": {"s3:x-amz-grant-full-control": "id=alice"}}}, {
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/priv/*",
        "Condition": {"StringLike": {"aws:Referer": "http://www.example.com/*"}}}))
    bob.copy_object(Bucket=bucket, Key="copies/1", CopySource={"Bucket": src, "Key": "pub/a b"})
    assert alice.get_object(Bucket=bucket, Key="copies/1")["Body"].read() == b"copied"
    expect_denied(bob.copy_object, Bucket=bucket, Key="copies/2",
                  CopySource={"Bucket": src, "Key": "priv/x"})
    expect_denied(bob.put_object, Bucket=bucket, Key="copies/3", Body=b"not a copy")
    bob.put_object(Bucket=bucket, Key="granted/1", Body=b"g", GrantFullControl="id=alice")
    expect_denied(bob.put_object, Bucket=bucket, Key="granted/2", Body=b"g",
                  GrantFullControl="id=bob")
    with_referer = lambda value: lambda request, **_: request.headers.__setitem__("Referer", value)
    bob.meta.events.register("before-sign.s3.GetObject", with_referer("http://www.example.com/p"))
    assert bob.get_object(Bucket=bucket, Key="priv/doc")["Body"].read() == b"private"
    bob.meta.events.unregister("before-sign.s3.GetObject")
