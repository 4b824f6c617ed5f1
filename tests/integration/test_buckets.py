"""Bucket APIs through the real gateway, and their POSIX view (a bucket is ROOT/<bucket>)."""

import os
import time
import uuid

import pytest

from fsgate_server import expect_error

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"


def new_name(tag="b"):
    return f"{tag}-{uuid.uuid4().hex[:12]}"


def bucket_names(s3):
    return sorted(b["Name"] for b in s3.list_buckets()["Buckets"])


def test_create_list_delete(server, s3):
    names = [new_name() for _ in range(3)]
    before = set(bucket_names(s3))
    for n in names:
        resp = s3.create_bucket(Bucket=n)
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert resp["ResponseMetadata"]["HTTPHeaders"].get("location") in (f"/{n}", None)
    listed = s3.list_buckets()
    assert set(b["Name"] for b in listed["Buckets"]) == before | set(names)
    assert listed["Owner"]["ID"], "ListBuckets must name an owner"
    for b in listed["Buckets"]:
        assert b["CreationDate"].year >= 2020
    # ListBuckets is sorted by name, as S3 sorts it.
    all_names = [b["Name"] for b in listed["Buckets"]]
    assert all_names == sorted(all_names)
    for n in names:
        assert os.path.isdir(os.path.join(server.root, n)), "a bucket is a directory under ROOT"
        assert s3.delete_bucket(Bucket=n)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert set(bucket_names(s3)) == before
    for n in names:
        assert not os.path.exists(os.path.join(server.root, n))


def test_internal_directory_is_never_a_bucket(server, s3):
    assert os.path.isdir(os.path.join(server.root, ".fsgate"))
    assert ".fsgate" not in bucket_names(s3)
    resp = server.raw("GET", "/.fsgate")
    assert 400 <= resp.status < 500, resp
    resp = server.raw("GET", "/.fsgate/journal")
    assert 400 <= resp.status < 500, resp
    resp = server.raw("PUT", "/.fsgate/x", body=b"x")
    assert 400 <= resp.status < 500, resp


def test_create_bucket_with_configuration(server, s3):
    n = new_name()
    body = f'<CreateBucketConfiguration xmlns="{S3_NS}"></CreateBucketConfiguration>'.encode()
    resp = server.raw("PUT", f"/{n}", body=body, headers={"Content-Type": "application/xml"})
    assert resp.status == 200, resp
    s3.head_bucket(Bucket=n)
    s3.delete_bucket(Bucket=n)


def test_create_bucket_with_location_constraint_of_the_region(server, s3):
    # boto3 itself sends this for clients of other regions; for us-east-1 a gateway
    # must at least not fail with a 5xx nor create a half bucket.
    n = new_name()
    body = (f'<CreateBucketConfiguration xmlns="{S3_NS}">'
            f'<LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>').encode()
    resp = server.raw("PUT", f"/{n}", body=body)
    assert resp.status in (200, 400), resp
    if resp.status == 200:
        s3.head_bucket(Bucket=n)
        s3.delete_bucket(Bucket=n)
    else:
        assert resp.error_code() == "InvalidLocationConstraint", resp
        assert n not in bucket_names(s3)


def test_create_bucket_malformed_configuration(server, s3):
    n = new_name()
    resp = server.raw("PUT", f"/{n}", body=b"<CreateBucketConfiguration><Loc")
    assert resp.status == 400 and resp.error_code() == "MalformedXML", resp
    assert n not in bucket_names(s3)
    assert not os.path.exists(os.path.join(server.root, n))


@pytest.mark.parametrize("name", [
    "ab",                       # too short
    "a" * 64,                   # too long
    "UpperCase",                # capitals
    "under_score",              # underscore
    "-leading-hyphen",
    "trailing-hyphen-",
    "double..dot",
    ".leading-dot",
    "192.168.5.4",              # formatted as an IP address
    "xn--punycode-prefix",
    "bucket-s3alias",
    "sp%20ace",
])
def test_invalid_bucket_name(server, s3, name):
    before = set(os.listdir(server.root))
    resp = server.raw("PUT", f"/{name}")
    assert resp.status == 400, resp
    assert resp.error_code() == "InvalidBucketName", resp
    assert set(os.listdir(server.root)) == before, "a refused CreateBucket must change nothing"


def test_recreating_your_own_bucket_in_us_east_1(server, s3, bucket):
    # AWS's legacy answer in us-east-1 is 200 (BucketAlreadyOwnedByYou elsewhere:
    # test_bucket_owners.py); the existing bucket and its objects are untouched.
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    assert s3.create_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


def test_head_bucket(server, s3, bucket):
    assert s3.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200
    # HEAD has no body: botocore reports the status as the code.
    expect_error(s3.head_bucket, "404", 404, Bucket=new_name("missing"))


def test_delete_bucket_errors(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="dir/obj", Body=b"x")
    err = expect_error(s3.delete_bucket, "BucketNotEmpty", 409, Bucket=bucket)
    assert err["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-id")
    assert os.path.isdir(os.path.join(server.root, bucket))
    s3.delete_object(Bucket=bucket, Key="dir/obj")
    # Delete-after-delete is immediate: the bucket is empty now, whatever the applier lag.
    assert s3.delete_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_error(s3.delete_bucket, "NoSuchBucket", 404, Bucket=bucket)
    expect_error(s3.head_bucket, "404", 404, Bucket=bucket)
    deadline = time.monotonic() + 10
    while os.path.exists(os.path.join(server.root, bucket)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not os.path.exists(os.path.join(server.root, bucket))


def test_delete_bucket_with_only_a_directory_object_is_not_empty(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="folder/", Body=b"")
    expect_error(s3.delete_bucket, "BucketNotEmpty", 409, Bucket=bucket)
    s3.delete_object(Bucket=bucket, Key="folder/")
    s3.delete_bucket(Bucket=bucket)


def test_no_such_bucket_everywhere(server, s3):
    missing = new_name("missing")
    expect_error(s3.list_objects_v2, "NoSuchBucket", 404, Bucket=missing)
    expect_error(s3.list_objects, "NoSuchBucket", 404, Bucket=missing)
    expect_error(s3.put_object, "NoSuchBucket", 404, Bucket=missing, Key="k", Body=b"x")
    expect_error(s3.get_object, "NoSuchBucket", 404, Bucket=missing, Key="k")
    expect_error(s3.get_bucket_location, "NoSuchBucket", 404, Bucket=missing)
    expect_error(s3.create_multipart_upload, "NoSuchBucket", 404, Bucket=missing, Key="k")
    assert not os.path.exists(os.path.join(server.root, missing))


def test_get_bucket_location(server, s3, bucket):
    resp = s3.get_bucket_location(Bucket=bucket)
    # S3 answers an empty LocationConstraint for us-east-1.
    assert resp.get("LocationConstraint") in (None, "", "us-east-1"), resp


def test_get_bucket_versioning_unversioned(server, s3, bucket):
    resp = s3.get_bucket_versioning(Bucket=bucket)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "Status" not in resp, "a never-versioned bucket has no Status"
    assert "MFADelete" not in resp


def test_list_object_versions_of_current_objects(server, s3, bucket):
    keys = {"a": b"1", "b/c": b"22", "d e": b"333"}
    for k, v in keys.items():
        s3.put_object(Bucket=bucket, Key=k, Body=v)
    s3.put_object(Bucket=bucket, Key="gone", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="gone")
    resp = s3.list_object_versions(Bucket=bucket)
    versions = resp.get("Versions", [])
    assert [v["Key"] for v in versions] == sorted(keys)
    for v in versions:
        assert v["VersionId"] == "null"
        assert v["IsLatest"] is True
        assert v["Size"] == len(keys[v["Key"]])
        assert v["ETag"].strip('"')
    assert not resp.get("DeleteMarkers")
    assert resp["IsTruncated"] is False
    # Prefix and delimiter apply as in ListObjects.
    resp = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [v["Key"] for v in resp.get("Versions", [])] == ["a", "d e"]
    assert [p["Prefix"] for p in resp.get("CommonPrefixes", [])] == ["b/"]


def test_bucket_named_metrics_is_an_ordinary_bucket(server, s3):
    # Metrics are on their own listener: a bucket may be called "metrics".
    s3.create_bucket(Bucket="metrics")
    try:
        s3.put_object(Bucket="metrics", Key="k", Body=b"v")
        assert s3.get_object(Bucket="metrics", Key="k")["Body"].read() == b"v"
        s3.delete_object(Bucket="metrics", Key="k")
    finally:
        s3.delete_bucket(Bucket="metrics")


def test_bucket_survives_restart(server, s3):
    n = new_name()
    s3.create_bucket(Bucket=n)
    s3.put_object(Bucket=n, Key="x/y", Body=b"data")
    server.restart()
    s3 = server.client()
    assert n in bucket_names(s3)
    assert s3.get_object(Bucket=n, Key="x/y")["Body"].read() == b"data"
    s3.delete_object(Bucket=n, Key="x/y")
    s3.delete_bucket(Bucket=n)
    assert n not in bucket_names(s3)


def test_list_buckets_pages_with_prefix_and_token(server, s3):
    # Debian's botocore predates ListBuckets paging: raw requests, parsed here.
    import xml.etree.ElementTree as ET
    ns = {"s3": S3_NS}
    prefix = new_name("pg") + "-"
    names = sorted(prefix + str(i) for i in range(5))
    for n in names:
        s3.create_bucket(Bucket=n)
    other = new_name("pz")
    s3.create_bucket(Bucket=other)
    try:
        seen, token, pages = [], None, 0
        while True:
            query = {"prefix": prefix, "max-buckets": "2"}
            if token:
                query["continuation-token"] = token
            r = server.raw("GET", "/", query=query)
            assert r.status == 200, r
            page = ET.fromstring(r.body)
            pages += 1
            assert page.findtext("s3:Prefix", namespaces=ns) == prefix
            buckets = page.findall("s3:Buckets/s3:Bucket", ns)
            assert len(buckets) <= 2
            for b in buckets:
                assert b.findtext("s3:BucketRegion", namespaces=ns) == "us-east-1"
            seen += [b.findtext("s3:Name", namespaces=ns) for b in buckets]
            token = page.findtext("s3:ContinuationToken", namespaces=ns)
            if not token:
                break
        assert seen == names, "pages must list every matching bucket once, in name order"
        assert pages == 3
        # Without paging parameters every bucket is listed in one answer, no token.
        whole = ET.fromstring(server.raw("GET", "/").body)
        assert whole.find("s3:ContinuationToken", ns) is None
        listed = {b.findtext("s3:Name", namespaces=ns) for b in whole.findall("s3:Buckets/s3:Bucket", ns)}
        assert set(names) | {other} <= listed
        r = server.raw("GET", "/", query={"prefix": prefix, "bucket-region": "eu-west-1"})
        assert ET.fromstring(r.body).findall("s3:Buckets/s3:Bucket", ns) == []
    finally:
        for n in names + [other]:
            s3.delete_bucket(Bucket=n)


@pytest.mark.parametrize("query,message", [
    ({"max-buckets": "0"}, "Argument max-buckets must be an integer between 1 and 10000."),
    ({"max-buckets": "10001"}, "Argument max-buckets must be an integer between 1 and 10000."),
    ({"max-buckets": "x"}, "Argument max-buckets must be an integer between 1 and 10000."),
    ({"continuation-token": "%%%"}, "The continuation token provided is incorrect"),
])
def test_list_buckets_bad_paging_arguments(server, query, message):
    r = server.raw("GET", "/", query=query)
    assert r.status == 400, r
    assert r.error_code() == "InvalidArgument"
    assert r.error_field("Message") == message
    assert r.error_field("RequestId")


def test_put_into_bucket_removed_by_rmdir_is_no_such_bucket(server, s3):
    # The gateway has stat'ed the bucket for earlier requests; a POSIX rmdir
    # behind its back still makes a PUT NoSuchBucket and changes nothing.
    name = new_name()
    s3.create_bucket(Bucket=name)
    s3.head_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="d/", Body=b"")
    s3.delete_object(Bucket=name, Key="d/")
    path = os.path.join(server.root, name)
    deadline = time.time() + 10
    while os.listdir(path) and time.time() < deadline:
        time.sleep(0.05)
    os.rmdir(path)
    for key in ("k", "d2/"):
        expect_error(s3.put_object, "NoSuchBucket", 404, Bucket=name, Key=key, Body=b"")
    assert not os.path.exists(path)
