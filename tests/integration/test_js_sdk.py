"""The AWS SDK for JavaScript v3 (npm's @aws-sdk/client-s3 and lib-storage,
tests/integration/js/) through the real gateway, with the SDK's defaults: CRC32
checksums on every upload, sent in aws-chunked trailers. lib-storage's Upload
of a 30 MiB stream (six 5 MiB parts, a COMPOSITE CRC32), GetObject with
ChecksumMode ENABLED (of the object, and of part 2, which the SDK validates), a
ranged GET, GetObjectAttributes, a PutObject read back validated, and ListBuckets
paged by the SDK (MaxBuckets, Prefix, ContinuationToken). The
script prints what it got; this checks it against its own computation."""

import base64
import hashlib
import json
import os
import subprocess
import zlib

import pytest

from test_multipart_checksums import MiB, checksum, composite

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")


@pytest.fixture(scope="module")
def sdk():
    """tests/integration/js with its npm packages (deploy/test.sh installs them;
    run alone, they are installed here from the lock file)."""
    if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "lib-storage")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True,
                       stdout=subprocess.DEVNULL, timeout=600)
    return JS_DIR


def the_object():
    """What the script uploads: 30 chunks of 1 MiB, chunk k a pseudo-random MiB
    rotated left by 7k bytes."""
    base = bytes(((i * 2654435761) & 0xFFFFFFFF) >> 24 for i in range(MiB))
    return base, b"".join(base[7 * k:] + base[:7 * k] for k in range(30))


def zlib_crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def test_lib_storage_upload_checksums_range_and_attributes(server, bucket, sdk):
    env = dict(os.environ, FSGATE_ENDPOINT=server.endpoint, FSGATE_ACCESS_KEY=server.access_key,
               FSGATE_SECRET_KEY=server.secret_key, FSGATE_BUCKET=bucket)
    run = subprocess.run(["node", "sdk_v3_check.mjs"], cwd=sdk, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-4000:]
    got = json.loads(run.stdout)
    base, whole = the_object()
    parts = [whole[i:i + 5 * MiB] for i in range(0, len(whole), 5 * MiB)]
    assert len(parts) == 6
    want_crc = composite("CRC32", parts)
    etag = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + "-6"

    assert got["upload"] == {"ETag": f'"{etag}"', "ChecksumCRC32": want_crc, "ChecksumType": "COMPOSITE"}
    assert got["get"] == {"size": len(whole), "sha256": sha256(whole), "ETag": f'"{etag}"',
                          "ChecksumCRC32": want_crc, "ChecksumType": "COMPOSITE"}
    start = got["range"]["start"]
    assert got["range"] == {"start": start, "sha256": sha256(whole[start:start + 100000]),
                            "ContentRange": f"bytes {start}-{start + 99999}/{len(whole)}"}
    assert got["part2"] == {"sha256": sha256(parts[1]), "PartsCount": 6,
                            "ChecksumCRC32": checksum("CRC32", parts[1]), "ChecksumType": "COMPOSITE"}
    attrs = got["attributes"]
    assert attrs == {
        "ETag": etag, "Checksum": {"ChecksumCRC32": want_crc, "ChecksumType": "COMPOSITE"},
        "StorageClass": "STANDARD", "ObjectSize": len(whole), "TotalPartsCount": 6,
        "IsTruncated": True, "NextPartNumberMarker": "4",
        "Parts": [{"PartNumber": n, "Size": 5 * MiB, "ChecksumCRC32": checksum("CRC32", p)}
                  for n, p in enumerate(parts[:4], 1)]}

    small_crc = checksum("CRC32", base[:100000])
    assert small_crc == zlib_crc32_b64(base[:100000])
    assert got["put"] == {"ChecksumCRC32": small_crc, "ChecksumType": "FULL_OBJECT"}
    assert got["small"] == {"ok": True, "ChecksumCRC32": small_crc, "ChecksumType": "FULL_OBJECT"}
    assert got["head"] == {"ChecksumCRC32": small_crc, "ChecksumType": "FULL_OBJECT"}
    prefix = f"{bucket}-lb-"
    assert got["listBuckets"] == [{"names": [prefix + "0", prefix + "1"], "Prefix": prefix},
                                  {"names": [prefix + "2"], "Prefix": prefix}]
    # The bytes are the plain file at the key's path.
    server.wait_drained()
    with open(os.path.join(server.root, bucket, "streamed"), "rb") as f:
        assert sha256(f.read()) == sha256(whole)
