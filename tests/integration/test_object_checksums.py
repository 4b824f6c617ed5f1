"""A single-part object's additional checksum in the answers AWS gives it: PutObject's
x-amz-checksum-type, CopyObject's CopyObjectResult (ChecksumType and
Checksum<ALGORITHM>), and CopyObject's x-amz-checksum-algorithm, a checksum of the
copy's bytes computed by the gateway (also from a multipart source, whose
COMPOSITE checksum is not one of its bytes). And each algorithm's checksum sent
in an aws-chunked trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER), by PutObject and
by UploadPart."""

import os
import xml.etree.ElementTree as ET

import pytest

from fsgate_server import quote_key
from test_multipart_checksums import (MiB, S3NS, checksum, complete, composite, create, rand_parts,
                                      upload_id_of, upload_with)

ALGORITHMS = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"]


def copy(server, bucket, key, source, headers=None):
    return server.raw("PUT", f"/{bucket}/{quote_key(key)}",
                      headers={"x-amz-copy-source": f"/{bucket}/{quote_key(source)}", **(headers or {})})


def result_fields(resp):
    """The CopyObjectResult's elements but LastModified, in order."""
    assert resp.status == 200, resp
    root = ET.fromstring(resp.body)
    assert root.tag == S3NS + "CopyObjectResult"
    return [(e.tag[len(S3NS):], e.text) for e in root if e.tag != S3NS + "LastModified"]


def stored_checksums(server, bucket, key):
    head = server.raw("HEAD", f"/{bucket}/{quote_key(key)}", headers={"x-amz-checksum-mode": "ENABLED"})
    assert head.status == 200, head
    return {k.lower(): v for k, v in head.headers.items() if k.lower().startswith("x-amz-checksum-")}


def test_put_object_answers_its_checksum_type(any_bucket):
    srv, s3, bucket = any_bucket
    put = s3.put_object(Bucket=bucket, Key="summed", Body=b"hello", ChecksumAlgorithm="CRC32C")
    headers = put["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-checksum-crc32c"] == checksum("CRC32C", b"hello")
    assert headers["x-amz-checksum-type"] == "FULL_OBJECT"
    plain = s3.put_object(Bucket=bucket, Key="plain", Body=b"hello")
    assert not any(h.startswith("x-amz-checksum") for h in plain["ResponseMetadata"]["HTTPHeaders"])


def test_copy_object_result_carries_the_copied_checksum(any_bucket):
    srv, s3, bucket = any_bucket
    data = b"copied with its checksum"
    s3.put_object(Bucket=bucket, Key="src", Body=data, ChecksumAlgorithm="SHA1")
    etag = s3.head_object(Bucket=bucket, Key="src")["ETag"]
    assert result_fields(copy(srv, bucket, "dst", "src")) == [
        ("ETag", etag), ("ChecksumType", "FULL_OBJECT"), ("ChecksumSHA1", checksum("SHA1", data))]
    assert stored_checksums(srv, bucket, "dst") == {
        "x-amz-checksum-sha1": checksum("SHA1", data), "x-amz-checksum-type": "FULL_OBJECT"}
    # Without a checksum at the source, none in the result.
    s3.put_object(Bucket=bucket, Key="bare", Body=data)
    assert result_fields(copy(srv, bucket, "dst2", "bare")) == [("ETag", etag)]


def test_copy_object_with_a_checksum_algorithm(any_bucket):
    srv, s3, bucket = any_bucket
    data = b"a copy gets the checksum it asks for"
    s3.put_object(Bucket=bucket, Key="src", Body=data, ChecksumAlgorithm="CRC32")
    for algorithm in ("SHA256", "CRC64NVME", "CRC32"):
        r = copy(srv, bucket, f"to-{algorithm}", "src", {"x-amz-checksum-algorithm": algorithm})
        want = checksum(algorithm, data)
        assert result_fields(r)[1:] == [("ChecksumType", "FULL_OBJECT"), (f"Checksum{algorithm}", want)]
        assert stored_checksums(srv, bucket, f"to-{algorithm}") == {
            f"x-amz-checksum-{algorithm.lower()}": want, "x-amz-checksum-type": "FULL_OBJECT"}
        got = s3.get_object(Bucket=bucket, Key=f"to-{algorithm}")["Body"].read()
        assert got == data
    # A bare source too, and with the metadata replaced.
    s3.put_object(Bucket=bucket, Key="bare", Body=data)
    r = copy(srv, bucket, "bare-sum", "bare", {"x-amz-checksum-algorithm": "crc32c",
                                               "x-amz-metadata-directive": "REPLACE"})
    assert result_fields(r)[1:] == [("ChecksumType", "FULL_OBJECT"), ("ChecksumCRC32C", checksum("CRC32C", data))]
    # An unknown algorithm is refused, and nothing is written.
    r = copy(srv, bucket, "refused", "src", {"x-amz-checksum-algorithm": "MD5"})
    assert (r.status, r.error_code()) == (400, "InvalidRequest")
    assert r.error_field("Message") == ("Checksum algorithm provided is unsupported. Please try again "
                                        "with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
    assert srv.raw("HEAD", f"/{bucket}/refused").status == 404


def test_copy_of_a_composite_multipart_object_gets_a_checksum_of_its_bytes(server, s3, bucket):
    parts = rand_parts([5 * MiB, 4321], 21)
    upload_id, listed = upload_with(server, bucket, "mp", "CRC32", None, parts)
    assert complete(server, bucket, "mp", upload_id, listed).status == 200
    # The COMPOSITE value describes the parts, not the bytes: a plain copy has none.
    assert [f for f, _ in result_fields(copy(server, bucket, "plain", "mp"))] == ["ETag"]
    r = copy(server, bucket, "summed", "mp", {"x-amz-checksum-algorithm": "CRC32"})
    assert result_fields(r)[1:] == [("ChecksumType", "FULL_OBJECT"),
                                    ("ChecksumCRC32", checksum("CRC32", b"".join(parts)))]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_checksum_trailers_of_every_algorithm(server, s3, bucket, algorithm):
    data = os.urandom(70_000)
    want = checksum(algorithm, data)
    r = server.put_unsigned_trailer(f"/{bucket}/put", data, want, chunk_size=30_000, algorithm=algorithm)
    assert r.status == 200, r
    assert r.headers[f"x-amz-checksum-{algorithm.lower()}"] == want
    assert stored_checksums(server, bucket, "put") == {
        f"x-amz-checksum-{algorithm.lower()}": want, "x-amz-checksum-type": "FULL_OBJECT"}
    r = server.put_unsigned_trailer(f"/{bucket}/bad", data, checksum(algorithm, b"other"),
                                    algorithm=algorithm)
    assert (r.status, r.error_code()) == (400, "BadDigest"), r
    assert server.raw("HEAD", f"/{bucket}/bad").status == 404

    # UploadPart: each part's checksum in its trailer, listed, and the object's at completion.
    parts = [data[:40_000] * 132, data[40_000:]]  # over 5 MiB, then the rest
    upload_id = upload_id_of(create(server, bucket, "mp", algorithm))
    listed = []
    for n, part in enumerate(parts, 1):
        r = server.put_unsigned_trailer(f"/{bucket}/mp", part, checksum(algorithm, part),
                                        algorithm=algorithm,
                                        query={"partNumber": str(n), "uploadId": upload_id})
        assert r.status == 200, r
        listed.append((n, r.headers["ETag"], {algorithm: checksum(algorithm, part)}))
    # Raw: Debian's botocore predates CRC64NVME.
    got = ET.fromstring(server.raw("GET", f"/{bucket}/mp", query={"uploadId": upload_id}).body)
    assert [p.findtext(S3NS + f"Checksum{algorithm}") for p in got.iter(S3NS + "Part")] == [
        checksum(algorithm, p) for p in parts]
    r = server.put_unsigned_trailer(f"/{bucket}/mp", parts[1], checksum(algorithm, b"other"),
                                    algorithm=algorithm, query={"partNumber": "3", "uploadId": upload_id})
    assert (r.status, r.error_code()) == (400, "BadDigest"), r
    r = complete(server, bucket, "mp", upload_id, listed)
    assert r.status == 200, r
    doc = ET.fromstring(r.body)
    if doc.findtext(S3NS + "ChecksumType") == "FULL_OBJECT":
        assert doc.findtext(S3NS + f"Checksum{algorithm}") == checksum(algorithm, b"".join(parts))
    else:
        assert doc.findtext(S3NS + f"Checksum{algorithm}") == composite(algorithm, parts)
