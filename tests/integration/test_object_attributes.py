"""GetObjectAttributes through the real gateway: ETag, Checksum, ObjectParts (paged),
StorageClass and ObjectSize of single-part and multipart objects, with boto3 and
aws-cli, and AWS's errors."""

import json
import xml.etree.ElementTree as ET

from fsgate_server import expect_error
from test_clients import aws
from test_multipart_checksums import MiB, S3NS, checksum, complete, composite, rand_parts, upload_with

ALL = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]


def test_single_part_object(any_bucket):
    srv, s3, bucket = any_bucket
    put = s3.put_object(Bucket=bucket, Key="one", Body=b"hello", ChecksumAlgorithm="CRC32")
    got = s3.get_object_attributes(Bucket=bucket, Key="one", ObjectAttributes=ALL)
    assert got["ETag"] == put["ETag"].strip('"')  # unquoted, as AWS answers it
    assert got["Checksum"] == {"ChecksumCRC32": checksum("CRC32", b"hello")}
    assert got["StorageClass"] == "STANDARD"
    assert got["ObjectSize"] == 5
    assert "ObjectParts" not in got
    head = s3.head_object(Bucket=bucket, Key="one")
    assert got["LastModified"] == head["LastModified"]
    r = srv.raw("GET", f"/{bucket}/one", query={"attributes": ""},
                headers={"x-amz-object-attributes": "ObjectSize, ETag"})
    assert r.status == 200
    root = ET.fromstring(r.body)
    assert root.tag == S3NS + "GetObjectAttributesResponse"
    assert [c.tag for c in root] == [S3NS + "ETag", S3NS + "ObjectSize"]
    # Without a checksum: none in the answer.
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    got = s3.get_object_attributes(Bucket=bucket, Key="plain", ObjectAttributes=ALL)
    assert "Checksum" not in got and got["ObjectSize"] == 1


def test_multipart_object_parts_paged(any_bucket):
    srv, s3, bucket = any_bucket
    parts = rand_parts([5 * MiB, 5 * MiB, 5 * MiB, 17], 11)
    upload_id, listed = upload_with(srv, bucket, "mp", "CRC32C", None, parts)
    r = complete(srv, bucket, "mp", upload_id, listed)
    assert r.status == 200, r
    got = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=ALL)
    assert got["ObjectSize"] == sum(map(len, parts))
    assert got["Checksum"]["ChecksumCRC32C"] == composite("CRC32C", parts)
    op = got["ObjectParts"]
    assert op["TotalPartsCount"] == 4
    assert op["IsTruncated"] is False
    assert [(p["PartNumber"], p["Size"], p["ChecksumCRC32C"]) for p in op["Parts"]] == [
        (n, len(d), checksum("CRC32C", d)) for n, d in enumerate(parts, 1)]
    # Paged: two at a time.
    page = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"],
                                    MaxParts=2)["ObjectParts"]
    assert [p["PartNumber"] for p in page["Parts"]] == [1, 2]
    assert page["IsTruncated"] is True and page["NextPartNumberMarker"] == 2 and page["MaxParts"] == 2
    page = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"],
                                    MaxParts=2, PartNumberMarker=2)["ObjectParts"]
    assert [p["PartNumber"] for p in page["Parts"]] == [3, 4]
    assert page["IsTruncated"] is False and page["PartNumberMarker"] == 2
    page = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"],
                                    PartNumberMarker=4)["ObjectParts"]
    assert "Parts" not in page and page["TotalPartsCount"] == 4
    # Survives a kill -9 (the part checksums ride the journal and the xattr).
    srv.restart(kill=True)
    again = srv.client().get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=ALL)
    assert again["ObjectParts"]["Parts"] == op["Parts"]


def test_multipart_without_checksum_lists_sizes(server, s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="nosum")
    data = [b"a" * (5 * MiB), b"bc"]
    done = []
    for n, d in enumerate(data, 1):
        p = s3.upload_part(Bucket=bucket, Key="nosum", UploadId=up["UploadId"], PartNumber=n, Body=d)
        done.append({"PartNumber": n, "ETag": p["ETag"]})
    s3.complete_multipart_upload(Bucket=bucket, Key="nosum", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": done})
    got = s3.get_object_attributes(Bucket=bucket, Key="nosum", ObjectAttributes=ALL)
    assert "Checksum" not in got
    assert [(p["PartNumber"], p["Size"]) for p in got["ObjectParts"]["Parts"]] == [(1, 5 * MiB), (2, 2)]


def test_errors(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"")
    for value in [None, "", "ETag,Colour"]:
        headers = {} if value is None else {"x-amz-object-attributes": value}
        r = server.raw("GET", f"/{bucket}/o", query={"attributes": ""}, headers=headers)
        assert (r.status, r.error_code()) == (400, "InvalidArgument"), value
    r = server.raw("GET", f"/{bucket}/o", query={"attributes": ""},
                   headers={"x-amz-object-attributes": "ETag", "x-amz-max-parts": "-1"})
    assert (r.status, r.error_code()) == (400, "InvalidArgument")
    expect_error(s3.get_object_attributes, "NoSuchKey", 404, Bucket=bucket, Key="missing",
                 ObjectAttributes=["ETag"])
    expect_error(s3.get_object_attributes, "NoSuchBucket", 404, Bucket=bucket + "-none", Key="o",
                 ObjectAttributes=["ETag"])


def test_aws_cli_get_object_attributes(server, bucket, tmp_path):
    server.client().put_object(Bucket=bucket, Key="cli", Body=b"12345")
    out = aws(server, tmp_path, "s3api", "get-object-attributes", "--bucket", bucket, "--key", "cli",
              "--object-attributes", "ObjectSize", "StorageClass").stdout
    got = json.loads(out)
    assert got["ObjectSize"] == 5 and got["StorageClass"] == "STANDARD"
