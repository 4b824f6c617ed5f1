"""Object and bucket tagging through the real gateway: Put/Get/DeleteObjectTagging,
x-amz-tagging on PutObject, CopyObject and CreateMultipartUpload, x-amz-tagging-count,
Put/Get/DeleteBucketTagging, and AWS's limits and errors."""

import json
import os
import xml.etree.ElementTree as ET

from fsgate_server import expect_error
from test_clients import aws

S3NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def tagset(pairs):
    return {"TagSet": [{"Key": k, "Value": v} for k, v in pairs]}


def tags_of(s3, bucket, key):
    return [(t["Key"], t["Value"]) for t in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]]


def test_object_tagging_round_trip_keeps_data_etag_and_time(any_bucket):
    srv, s3, bucket = any_bucket
    s3.put_object(Bucket=bucket, Key="doc", Body=b"hello")
    before = s3.head_object(Bucket=bucket, Key="doc")
    assert "x-amz-tagging-count" not in before["ResponseMetadata"]["HTTPHeaders"]
    assert s3.get_object_tagging(Bucket=bucket, Key="doc")["TagSet"] == []

    resp = s3.put_object_tagging(Bucket=bucket, Key="doc",
                                 Tagging=tagset([("team", "blue"), ("Cost Center", "a+b=c @x:/y_.-"),
                                                 ("empty", "")]))
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert tags_of(s3, bucket, "doc") == [("Cost Center", "a+b=c @x:/y_.-"), ("empty", ""),
                                          ("team", "blue")]
    got = s3.get_object(Bucket=bucket, Key="doc")
    assert got["Body"].read() == b"hello"
    assert got["TagCount"] == 3
    assert got["ETag"] == before["ETag"] and got["LastModified"] == before["LastModified"]
    assert s3.head_object(Bucket=bucket, Key="doc")["ResponseMetadata"]["HTTPHeaders"][
        "x-amz-tagging-count"] == "3"

    # Replaced whole, not merged.
    s3.put_object_tagging(Bucket=bucket, Key="doc", Tagging=tagset([("only", "one")]))
    assert tags_of(s3, bucket, "doc") == [("only", "one")]

    resp = s3.delete_object_tagging(Bucket=bucket, Key="doc")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_object_tagging(Bucket=bucket, Key="doc")["TagSet"] == []
    assert "TagCount" not in s3.get_object(Bucket=bucket, Key="doc")
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"hello"

    # A PUT over the key starts with the tags it carries, none here.
    s3.put_object_tagging(Bucket=bucket, Key="doc", Tagging=tagset([("a", "1")]))
    s3.put_object(Bucket=bucket, Key="doc", Body=b"v2")
    assert s3.get_object_tagging(Bucket=bucket, Key="doc")["TagSet"] == []


def test_tagging_right_after_an_async_put_and_after_restart(any_bucket):
    srv, s3, bucket = any_bucket
    # Tagged at once after the answer: the pending create lands first.
    for i in range(20):
        s3.put_object(Bucket=bucket, Key=f"k/{i}", Body=b"x" * i)
        s3.put_object_tagging(Bucket=bucket, Key=f"k/{i}", Tagging=tagset([("n", str(i))]))
    for i in range(20):
        assert tags_of(s3, bucket, f"k/{i}") == [("n", str(i))]
        assert s3.get_object(Bucket=bucket, Key=f"k/{i}")["Body"].read() == b"x" * i
    srv.restart(kill=True)
    s3 = srv.client()
    for i in range(20):
        assert tags_of(s3, bucket, f"k/{i}") == [("n", str(i))]


def test_directory_object_tags(any_bucket):
    _, s3, bucket = any_bucket
    s3.put_object(Bucket=bucket, Key="dir/", Body=b"")
    s3.put_object_tagging(Bucket=bucket, Key="dir/", Tagging=tagset([("kind", "folder")]))
    assert tags_of(s3, bucket, "dir/") == [("kind", "folder")]


def test_put_object_with_tagging_header_is_atomic_with_the_data(any_bucket):
    srv, s3, bucket = any_bucket
    s3.put_object(Bucket=bucket, Key="t", Body=b"data", Tagging="b=2&a=1&c%20d=e%2Bf&plain")
    assert tags_of(s3, bucket, "t") == [("a", "1"), ("b", "2"), ("c d", "e+f"), ("plain", "")]
    assert s3.head_object(Bucket=bucket, Key="t")["ResponseMetadata"]["HTTPHeaders"][
        "x-amz-tagging-count"] == "4"
    srv.restart(kill=True)
    assert tags_of(srv.client(), bucket, "t") == [("a", "1"), ("b", "2"), ("c d", "e+f"),
                                                  ("plain", "")]


def test_copy_object_tagging_directive(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"abc", Tagging="k=v")
    s3.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "src"})
    assert tags_of(s3, bucket, "copied") == [("k", "v")]
    s3.copy_object(Bucket=bucket, Key="replaced", CopySource={"Bucket": bucket, "Key": "src"},
                   TaggingDirective="REPLACE", Tagging="x=y")
    assert tags_of(s3, bucket, "replaced") == [("x", "y")]
    s3.copy_object(Bucket=bucket, Key="cleared", CopySource={"Bucket": bucket, "Key": "src"},
                   TaggingDirective="REPLACE")
    assert tags_of(s3, bucket, "cleared") == []
    r = server.raw("PUT", f"/{bucket}/bad", headers={"x-amz-copy-source": f"/{bucket}/src",
                                                     "x-amz-tagging-directive": "MERGE"})
    assert (r.status, r.error_code()) == (400, "InvalidArgument")


def test_multipart_tags_apply_at_completion(any_bucket):
    _, s3, bucket = any_bucket
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", Tagging="stage=done&owner=ops")
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"z")
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert tags_of(s3, bucket, "mp") == [("owner", "ops"), ("stage", "done")]


def test_object_tag_limits_and_errors(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"")
    ten = [(f"k{i}", "v") for i in range(10)]
    s3.put_object_tagging(Bucket=bucket, Key="o", Tagging=tagset(ten))
    err = expect_error(s3.put_object_tagging, "BadRequest", 400, Bucket=bucket, Key="o",
                       Tagging=tagset(ten + [("k10", "v")]))
    assert err["Error"]["Message"] == "Object tags cannot be greater than 10"
    # 128 and 256 UTF-16 units fit; one more does not. U+1F600 is two units.
    s3.put_object_tagging(Bucket=bucket, Key="o", Tagging=tagset([("k" * 128, "v" * 256)]))
    s3.put_object_tagging(Bucket=bucket, Key="o",
                          Tagging=tagset([("\U0001F600" * 64, "é" * 256)]))
    assert tags_of(s3, bucket, "o") == [("\U0001F600" * 64, "é" * 256)]
    cases = [
        (("k" * 129, "v"), "The TagKey you have provided is too long, max 128"),
        (("\U0001F600" * 64 + "k", "v"), "The TagKey you have provided is too long, max 128"),
        (("k", "v" * 257), "The TagValue you have provided is too long, max 256"),
        (("bad*key", "v"), "The TagKey you have provided is invalid"),
        (("k", "bad<value>"), "The TagValue you have provided is invalid"),
        (("aws:reserved", "v"), "Your TagKey cannot be prefixed with aws:"),
    ]
    for pair, message in cases:
        err = expect_error(s3.put_object_tagging, "InvalidTag", 400, Bucket=bucket, Key="o",
                           Tagging=tagset([pair]))
        assert err["Error"]["Message"] == message, pair
    err = expect_error(s3.put_object_tagging, "InvalidTag", 400, Bucket=bucket, Key="o",
                       Tagging=tagset([("dup", "1"), ("dup", "2")]))
    assert err["Error"]["Message"] == "Cannot provide multiple Tags with the same key"
    # Nothing of the refused sets was kept.
    assert tags_of(s3, bucket, "o") == [("\U0001F600" * 64, "é" * 256)]

    r = server.raw("PUT", f"/{bucket}/o", query={"tagging": ""},
                   body=b"<Tagging><TagSet><Tag><Key></Key><Value>v</Value></Tag></TagSet></Tagging>")
    assert (r.status, r.error_code()) == (400, "InvalidTag")
    for body in [b"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>",
                 b"<Tagging></Tagging>", b"<Tagging><TagSet>", b"<Other/>"]:
        r = server.raw("PUT", f"/{bucket}/o", query={"tagging": ""}, body=body)
        assert (r.status, r.error_code()) == (400, "MalformedXML"), body

    expect_error(s3.put_object_tagging, "NoSuchKey", 404, Bucket=bucket, Key="missing",
                 Tagging=tagset([("a", "b")]))
    expect_error(s3.get_object_tagging, "NoSuchKey", 404, Bucket=bucket, Key="missing")
    expect_error(s3.delete_object_tagging, "NoSuchKey", 404, Bucket=bucket, Key="missing")
    expect_error(s3.get_object_tagging, "InvalidArgument", 400, Bucket=bucket, Key="o",
                 VersionId="3HL4kqtJlcpXroDTDmjVBH40Nrjfkd")
    assert s3.get_object_tagging(Bucket=bucket, Key="o", VersionId="null")["TagSet"]


def test_tagging_header_errors(server, s3, bucket):
    err = expect_error(s3.put_object, "InvalidArgument", 400, Bucket=bucket, Key="h", Body=b"",
                       Tagging="a=1&a=2")
    assert "x-amz-tagging" in err["Error"]["Message"]
    expect_error(s3.put_object, "InvalidArgument", 400, Bucket=bucket, Key="h", Body=b"",
                 Tagging="TagSet=[{Key=string,Value=string}]")
    expect_error(s3.put_object, "InvalidTag", 400, Bucket=bucket, Key="h", Body=b"",
                 Tagging="TagSet%3D%5B%7BKey%3Dstring%7D%5D")
    expect_error(s3.put_object, "BadRequest", 400, Bucket=bucket, Key="h", Body=b"",
                 Tagging="&".join(f"k{i}=v" for i in range(11)))
    expect_error(s3.create_multipart_upload, "InvalidTag", 400, Bucket=bucket, Key="h",
                 Tagging="k=" + "v" * 257)
    # None of them stored anything.
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_bucket_tagging(server, s3, bucket):
    err = expect_error(s3.get_bucket_tagging, "NoSuchTagSet", 404, Bucket=bucket)
    assert err["Error"]["Message"] == "The TagSet does not exist"
    resp = s3.put_bucket_tagging(Bucket=bucket, Tagging=tagset([("env", "prod"), ("app", "web")]))
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [
        {"Key": "app", "Value": "web"}, {"Key": "env", "Value": "prod"}]
    fifty = [(f"k{i:02}", "v") for i in range(50)]
    s3.put_bucket_tagging(Bucket=bucket, Tagging=tagset(fifty))
    assert len(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]) == 50
    expect_error(s3.put_bucket_tagging, "InvalidTag", 400, Bucket=bucket,
                 Tagging=tagset(fifty + [("k50", "v")]))
    expect_error(s3.put_bucket_tagging, "InvalidTag", 400, Bucket=bucket,
                 Tagging=tagset([("a", "1"), ("a", "2")]))
    # Kept with the bucket across a restart.
    server.restart(kill=True)
    s3 = server.client()
    assert len(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]) == 50
    r = server.raw("GET", f"/{bucket}", query={"tagging": ""})
    assert r.status == 200
    root = ET.fromstring(r.body)
    assert root.tag == S3NS + "Tagging"
    assert root.find(f"{S3NS}TagSet/{S3NS}Tag/{S3NS}Key").text == "k00"
    resp = s3.delete_bucket_tagging(Bucket=bucket)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_error(s3.get_bucket_tagging, "NoSuchTagSet", 404, Bucket=bucket)
    expect_error(s3.get_bucket_tagging, "NoSuchBucket", 404, Bucket=bucket + "-none")


def test_aws_cli_object_tagging(server, bucket, tmp_path):
    server.client().put_object(Bucket=bucket, Key="cli", Body=b"1")
    aws(server, tmp_path, "s3api", "put-object-tagging", "--bucket", bucket, "--key", "cli",
        "--tagging", "TagSet=[{Key=color,Value=red}]")
    out = aws(server, tmp_path, "s3api", "get-object-tagging", "--bucket", bucket, "--key", "cli").stdout
    assert json.loads(out)["TagSet"] == [{"Key": "color", "Value": "red"}]


def test_tags_on_a_file_another_program_placed(server, s3, bucket):
    path = os.path.join(server.root, bucket, "foreign.txt")
    with open(path, "wb") as f:
        f.write(b"made by another program")
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    before = s3.head_object(Bucket=bucket, Key="foreign.txt")["ETag"]
    s3.put_object_tagging(Bucket=bucket, Key="foreign.txt", Tagging=tagset([("origin", "posix")]))
    assert s3.head_object(Bucket=bucket, Key="foreign.txt")["ETag"] == before
    assert tags_of(s3, bucket, "foreign.txt") == [("origin", "posix")]
    # The program changes the file: its ETag changes with it, as for any file fsgate did not write.
    with open(path, "wb") as f:
        f.write(b"changed by it")
    got = s3.get_object(Bucket=bucket, Key="foreign.txt")
    assert got["Body"].read() == b"changed by it"
    assert got["ETag"] != before
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["ETag"]) for o in listed] == [("foreign.txt", got["ETag"])]
