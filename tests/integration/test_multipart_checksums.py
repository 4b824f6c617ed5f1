"""Multipart uploads with an additional checksum through the real gateway:
x-amz-checksum-algorithm and x-amz-checksum-type on CreateMultipartUpload, each
part's checksum verified (or computed) and listed, CompleteMultipartUpload
checking the listed part checksums and answering the object's — COMPOSITE
("<base64>-N") or FULL_OBJECT (the CRC of the whole object, combined from the
part CRCs) — and GET/HEAD with checksum mode, of the object and of a part."""

import base64
import hashlib
import random
import xml.etree.ElementTree as ET
import zlib

import awscrt.checksums
import pytest

from fsgate_server import expect_error, quote_key

MiB = 1024 * 1024
S3NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def _crc64nvme_table():
    poly = 0x9A6C9329AC4BC9B5
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC64_TABLE = _crc64nvme_table()


def crc64nvme(data):
    crc = 0xFFFFFFFFFFFFFFFF
    table = _CRC64_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFFFFFFFFFF


def raw_digest(algorithm, data):
    if algorithm == "CRC32":
        return zlib.crc32(data).to_bytes(4, "big")
    if algorithm == "CRC32C":
        return awscrt.checksums.crc32c(data).to_bytes(4, "big")
    if algorithm == "CRC64NVME":
        return crc64nvme(data).to_bytes(8, "big")
    return hashlib.new(algorithm.lower(), data).digest()


def b64(raw):
    return base64.b64encode(raw).decode()


def checksum(algorithm, data):
    return b64(raw_digest(algorithm, data))


def composite(algorithm, parts):
    return b64(raw_digest(algorithm, b"".join(raw_digest(algorithm, p) for p in parts))) + f"-{len(parts)}"


def rand_parts(sizes, seed):
    rng = random.Random(seed)
    return [rng.randbytes(n) for n in sizes]


def create(server, bucket, key, algorithm=None, ctype=None):
    """CreateMultipartUpload by raw request (boto3 here predates x-amz-checksum-type)."""
    headers = {}
    if algorithm:
        headers["x-amz-checksum-algorithm"] = algorithm
    if ctype:
        headers["x-amz-checksum-type"] = ctype
    return server.raw("POST", f"/{bucket}/{quote_key(key)}", query={"uploads": ""}, headers=headers)


def upload_id_of(resp):
    assert resp.status == 200, resp
    return ET.fromstring(resp.body).find(S3NS + "UploadId").text


def put_part(server, bucket, key, upload_id, number, data, headers=None):
    return server.raw("PUT", f"/{bucket}/{quote_key(key)}",
                      query={"partNumber": str(number), "uploadId": upload_id},
                      headers=headers or {}, body=data)


def complete_body(parts):
    """parts: (number, etag, {algorithm: value})."""
    xml = "<CompleteMultipartUpload>"
    for number, etag, sums in parts:
        xml += f"<Part><PartNumber>{number}</PartNumber><ETag>{etag}</ETag>"
        for alg, value in sums.items():
            xml += f"<Checksum{alg}>{value}</Checksum{alg}>"
        xml += "</Part>"
    return (xml + "</CompleteMultipartUpload>").encode()


def complete(server, bucket, key, upload_id, parts, headers=None):
    return server.raw("POST", f"/{bucket}/{quote_key(key)}", query={"uploadId": upload_id},
                      body=complete_body(parts), headers=headers)


def upload_with(server, bucket, key, algorithm, ctype, parts, send_sums=True):
    """Create, upload each part with its checksum header; returns (upload_id, [(n, etag, sums)])."""
    r = create(server, bucket, key, algorithm, ctype)
    upload_id = upload_id_of(r)
    listed = []
    for n, data in enumerate(parts, 1):
        value = checksum(algorithm, data)
        headers = {f"x-amz-checksum-{algorithm.lower()}": value} if send_sums else {}
        p = put_part(server, bucket, key, upload_id, n, data, headers)
        assert p.status == 200, p
        assert p.headers[f"x-amz-checksum-{algorithm.lower()}"] == value
        listed.append((n, p.headers["ETag"], {algorithm: value}))
    return upload_id, listed


def test_composite_crc32_with_boto3(any_bucket):
    srv, s3, bucket = any_bucket
    parts = rand_parts([5 * MiB, 1000], 1)
    up = s3.create_multipart_upload(Bucket=bucket, Key="c32", ChecksumAlgorithm="CRC32")
    headers = up["ResponseMetadata"]["HTTPHeaders"]
    assert up["ChecksumAlgorithm"] == "CRC32"
    assert headers["x-amz-checksum-type"] == "COMPOSITE"
    done = []
    for n, data in enumerate(parts, 1):
        p = s3.upload_part(Bucket=bucket, Key="c32", UploadId=up["UploadId"], PartNumber=n,
                           Body=data, ChecksumAlgorithm="CRC32")
        assert p["ChecksumCRC32"] == checksum("CRC32", data)
        done.append({"PartNumber": n, "ETag": p["ETag"], "ChecksumCRC32": p["ChecksumCRC32"]})
    listed = s3.list_parts(Bucket=bucket, Key="c32", UploadId=up["UploadId"])
    assert [p["ChecksumCRC32"] for p in listed["Parts"]] == [checksum("CRC32", d) for d in parts]
    assert listed["ChecksumAlgorithm"] == "CRC32"
    r = srv.raw("GET", f"/{bucket}/c32", query={"uploadId": up["UploadId"]})
    assert ET.fromstring(r.body).find(S3NS + "ChecksumType").text == "COMPOSITE"

    resp = s3.complete_multipart_upload(Bucket=bucket, Key="c32", UploadId=up["UploadId"],
                                        MultipartUpload={"Parts": done})
    want = composite("CRC32", parts)
    assert resp["ChecksumCRC32"] == want

    head = s3.head_object(Bucket=bucket, Key="c32", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == want
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-checksum-type"] == "COMPOSITE"
    assert "ChecksumCRC32" not in s3.head_object(Bucket=bucket, Key="c32")
    # A part comes with its own checksum, which botocore checks against the body.
    for n, data in enumerate(parts, 1):
        got = s3.get_object(Bucket=bucket, Key="c32", PartNumber=n, ChecksumMode="ENABLED")
        assert got["ChecksumCRC32"] == checksum("CRC32", data)
        assert got["Body"].read() == data
    srv.restart(kill=True)
    s3 = srv.client()
    assert s3.head_object(Bucket=bucket, Key="c32", ChecksumMode="ENABLED")["ChecksumCRC32"] == want


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME"])
def test_full_object_crc_is_the_crc_of_the_whole_object(any_bucket, algorithm):
    srv, s3, bucket = any_bucket
    parts = rand_parts([5 * MiB, 5 * MiB + 7, 12345], sum(map(ord, algorithm)))
    ctype = None if algorithm == "CRC64NVME" else "FULL_OBJECT"  # CRC64NVME's default
    r = create(srv, bucket, "full", algorithm, ctype)
    assert r.headers["x-amz-checksum-algorithm"] == algorithm
    assert r.headers["x-amz-checksum-type"] == "FULL_OBJECT"
    upload_id = upload_id_of(r)
    listed = []
    for n, data in enumerate(parts, 1):
        p = put_part(srv, bucket, "full", upload_id, n, data,
                     {f"x-amz-checksum-{algorithm.lower()}": checksum(algorithm, data)})
        assert p.status == 200, p
        listed.append((n, p.headers["ETag"], {}))  # part checksums are optional for FULL_OBJECT
    r = complete(srv, bucket, "full", upload_id, listed)
    assert r.status == 200, r
    whole = b"".join(parts)
    want = checksum(algorithm, whole)
    doc = ET.fromstring(r.body)
    assert doc.find(S3NS + f"Checksum{algorithm}").text == want
    assert doc.find(S3NS + "ChecksumType").text == "FULL_OBJECT"
    got = srv.raw("GET", f"/{bucket}/full", headers={"x-amz-checksum-mode": "ENABLED"})
    assert got.status == 200 and got.body == whole
    assert got.headers[f"x-amz-checksum-{algorithm.lower()}"] == want
    assert got.headers["x-amz-checksum-type"] == "FULL_OBJECT"
    if algorithm == "CRC32":  # botocore validates the body against it
        assert s3.get_object(Bucket=bucket, Key="full", ChecksumMode="ENABLED")["Body"].read() == whole


def test_sha256_composite_and_parts_without_checksum_headers(server, s3, bucket):
    parts = rand_parts([5 * MiB, 10], 3)
    # The parts carry no checksum: the gateway computes them.
    upload_id, listed = upload_with(server, bucket, "sha", "SHA256", None, parts, send_sums=False)
    got = s3.list_parts(Bucket=bucket, Key="sha", UploadId=upload_id)["Parts"]
    assert [p["ChecksumSHA256"] for p in got] == [checksum("SHA256", d) for d in parts]
    r = complete(server, bucket, "sha", upload_id, listed)
    assert r.status == 200, r
    assert ET.fromstring(r.body).find(S3NS + "ChecksumSHA256").text == composite("SHA256", parts)


def test_create_refusals(server, bucket):
    cases = [
        (None, "COMPOSITE",
         "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."),
        ("CRC64NVME", "COMPOSITE",
         "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm."),
        ("SHA256", "FULL_OBJECT",
         "The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm."),
        ("SHA1", "FULL_OBJECT",
         "The FULL_OBJECT checksum type cannot be used with the sha1 checksum algorithm."),
        ("CRC32", "PARTIAL", "Value for x-amz-checksum-type header is invalid."),
        ("MD5", None, "Checksum algorithm provided is unsupported. Please try again with any of "
                      "the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"),
    ]
    for algorithm, ctype, message in cases:
        r = create(server, bucket, "refused", algorithm, ctype)
        assert (r.status, r.error_code()) == (400, "InvalidRequest"), (algorithm, ctype)
        assert r.error_field("Message") == message
    r = create(server, bucket, "ok", "SHA1", None)
    assert r.status == 200 and r.headers["x-amz-checksum-type"] == "COMPOSITE"


def test_part_and_completion_refusals(server, s3, bucket):
    parts = rand_parts([5 * MiB, 100], 4)
    upload_id, listed = upload_with(server, bucket, "bad", "CRC32", None, parts)
    # A wrong value, another algorithm.
    r = put_part(server, bucket, "bad", upload_id, 3, b"abc",
                 {"x-amz-checksum-crc32": checksum("CRC32", b"abd")})
    assert (r.status, r.error_code()) == (400, "BadDigest")
    r = put_part(server, bucket, "bad", upload_id, 3, b"abc",
                 {"x-amz-checksum-crc32c": checksum("CRC32C", b"abc")})
    assert (r.status, r.error_code()) == (400, "InvalidRequest")
    assert r.error_field("Message") == (
        "Checksum Type mismatch occurred, expected checksum Type: crc32, actual checksum Type: crc32c")
    # COMPOSITE needs every part's checksum at completion.
    r = complete(server, bucket, "bad", upload_id, [listed[0], (2, listed[1][1], {})])
    assert (r.status, r.error_code()) == (400, "InvalidRequest")
    assert r.error_field("Message") == (
        "The upload was created using a crc32 checksum. The complete request must include the "
        "checksum for each part. It was missing for part 2 in the request.")
    r = complete(server, bucket, "bad", upload_id,
                 [listed[0], (2, listed[1][1], {"CRC32": checksum("CRC32", b"other")})])
    assert (r.status, r.error_code()) == (400, "InvalidPart")
    # Nothing was published; the upload is still there and completes.
    expect_error(s3.head_object, "404", 404, Bucket=bucket, Key="bad")
    r = complete(server, bucket, "bad", upload_id, listed)
    assert r.status == 200, r


def test_upload_part_copy_gets_its_checksum(server, s3, bucket):
    src = rand_parts([5 * MiB], 5)[0]
    s3.put_object(Bucket=bucket, Key="src", Body=src)
    r = create(server, bucket, "copied", "CRC32C", None)
    upload_id = upload_id_of(r)
    part = s3.upload_part_copy(Bucket=bucket, Key="copied", UploadId=upload_id, PartNumber=1,
                               CopySource={"Bucket": bucket, "Key": "src"})
    assert part["CopyPartResult"]["ChecksumCRC32C"] == checksum("CRC32C", src)
    r = complete(server, bucket, "copied", upload_id,
                 [(1, part["CopyPartResult"]["ETag"], {"CRC32C": checksum("CRC32C", src)})])
    assert r.status == 200, r
    assert ET.fromstring(r.body).find(S3NS + "ChecksumCRC32C").text == composite("CRC32C", [src])


def test_completion_claims_of_the_whole_object(server, s3, bucket):
    """What newer SDKs send with a FULL_OBJECT completion: the object's checksum
    in x-amz-checksum-<alg>, its type and size. Checked before anything is published."""
    parts = rand_parts([5 * MiB, 333], 6)
    whole = b"".join(parts)
    upload_id, listed = upload_with(server, bucket, "claims", "CRC32", "FULL_OBJECT", parts)
    refusals = [
        ({"x-amz-checksum-crc32": checksum("CRC32", b"not it")}, "BadDigest",
         "The CRC32 you specified did not match the calculated checksum."),
        ({"x-amz-checksum-crc32c": checksum("CRC32C", whole)}, "InvalidRequest",
         "Checksum Type mismatch occurred, expected checksum Type: crc32, actual checksum Type: crc32c"),
        ({"x-amz-checksum-type": "COMPOSITE"}, "InvalidRequest",
         "The upload was created using the FULL_OBJECT checksum mode. The complete request must "
         "use the same checksum mode."),
        ({"x-amz-mp-object-size": str(len(whole) + 1)}, "InvalidRequest",
         f"The provided 'x-amz-mp-object-size' header value {len(whole) + 1} does not match what "
         f"was computed: {len(whole)}"),
    ]
    for headers, code, message in refusals:
        r = complete(server, bucket, "claims", upload_id, listed, headers)
        assert (r.status, r.error_code(), r.error_field("Message")) == (400, code, message), headers
    expect_error(s3.head_object, "404", 404, Bucket=bucket, Key="claims")
    r = complete(server, bucket, "claims", upload_id, listed,
                 {"x-amz-checksum-crc32": checksum("CRC32", whole), "x-amz-checksum-type": "FULL_OBJECT",
                  "x-amz-mp-object-size": str(len(whole))})
    assert r.status == 200, r
    assert ET.fromstring(r.body).find(S3NS + "ChecksumCRC32").text == checksum("CRC32", whole)
