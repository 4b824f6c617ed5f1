"""Makes legacy-root-9c16464.tar.gz: a root of the single-gateway layout
(.fsgate/journal, .fsgate/staging) whose journal holds answered async ops the
applier never made, as a kill -9 leaves it.

    FSGATE_BIN=path/to/fsgate-9c16464 python3 tests/data/make_legacy_root.py   # built at 9c16464
    FSGATE_BIN=/work/baseline/fsgate-7e45d9c python3 tests/data/make_legacy_root.py --per-gateway 7e45d9c

--per-gateway REV: the binary keeps its engine state per gateway
(.fsgate/gw/<id>/{journal,staging}, store format 2, journal format 3); the
root is named legacy-root-REV, and the killed run also completes a multipart
upload (its create, with the part sizes format 3 added, is pending too).

A first run (applier at full speed, stopped with SIGTERM: everything applied)
writes the objects the second run overwrites and deletes; the second run slows
every rename and unlink by 3 s, answers a burst of PUTs, DELETEs and a
multipart upload's part, checks that ops are pending, and is killed with
SIGKILL. The empty delegated files no journal record names and the spare
journal segments are then removed, to keep the tarball small (a start adopts
or sweeps the one and makes the other again). What the client was answered goes to legacy-root-9c16464.json:
every key of the bucket with its bytes' MD5, or null when its last answer was
a DELETE, and the upload in progress.
"""

import argparse
import hashlib
import json
import re
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from fsgate_server import FsgateServer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BUCKET = "legacy"


def body(tag, size=None):
    data = f"{tag}\n".encode()
    if size:  # compressible, and beyond the 64 KiB inline limit: a staging file
        data = (data * (size // len(data) + 1))[:size]
    return data


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-gateway", metavar="REV",
                        help="a binary with engine state per gateway, built at REV")
    args = parser.parse_args()
    data_name = f"legacy-root-{args.per_gateway or '9c16464'}"
    root = tempfile.mkdtemp(prefix="legacy-root-")
    expected = {}
    multipart = {}

    def put(s3, key, data):
        t0 = time.monotonic()
        s3.put_object(Bucket=BUCKET, Key=key, Body=data)
        expected[key] = hashlib.md5(data).hexdigest()
        if os.environ.get("VERBOSE"): print(key, round(time.monotonic() - t0, 2))

    def delete(s3, key):
        s3.delete_object(Bucket=BUCKET, Key=key)
        expected[key] = None

    srv = FsgateServer(root=root)
    srv.start()
    s3 = srv.client()
    s3.create_bucket(Bucket=BUCKET)
    for i in range(5):
        put(s3, f"keep/k{i}", body(f"keep {i}"))
        put(s3, f"gone/k{i}", body(f"gone {i}"))
        put(s3, f"over{i}", body(f"over {i} v1"))
    put(s3, "keep/big", body("big v1", 200_000))
    srv.stop()

    srv = FsgateServer(root=root, extra_args=["--test-apply-delay-ms", "3000"])
    srv.start()
    s3 = srv.client()
    deadline = time.monotonic() + 30
    while srv.metric_sum("fsgate_delegated_inodes_available") < 1000:  # else creates go sync
        assert time.monotonic() < deadline, "the delegated inode pool never filled"
        time.sleep(0.1)
    # A PUT over a pending DELETE is answered once applied (3 s) (and, when the
    # fixtures were made, so was the first create in each directory): those
    # come first, the async burst last.
    put(s3, "pdp", body("pdp v1"))
    delete(s3, "pdp")
    put(s3, "pdp", body("pdp v2"))
    put(s3, "ghost", body("ghost"))
    delete(s3, "ghost")
    put(s3, "keep/k5", body("keep 5"))
    if args.per_gateway:  # answered at once: pending while the burst below is answered
        done = s3.create_multipart_upload(Bucket=BUCKET, Key="mpu-done")["UploadId"]
        parts = [body("part 1", 5 << 20), body("part 2")]
        etags = [s3.upload_part(Bucket=BUCKET, Key="mpu-done", UploadId=done, PartNumber=n + 1,
                                Body=data)["ETag"] for n, data in enumerate(parts)]
        s3.complete_multipart_upload(
            Bucket=BUCKET, Key="mpu-done", UploadId=done,
            MultipartUpload={"Parts": [{"PartNumber": n + 1, "ETag": e}
                                       for n, e in enumerate(etags)]})
        multipart["mpu-done"] = hashlib.md5(b"".join(parts)).hexdigest()
    for i in range(5):
        put(s3, f"over{i}", body(f"over {i} v2"))
    for i in range(6, 25):
        put(s3, f"keep/k{i}", body(f"keep {i}"))
    put(s3, "keep/big", body("big v2", 150_000))
    put(s3, "new-big", body("new big", 100_000))
    for i in range(5):
        delete(s3, f"gone/k{i}")
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="mpu")["UploadId"]
    part = body("part 1", 5 << 20)
    etag = s3.upload_part(Bucket=BUCKET, Key="mpu", UploadId=upload, PartNumber=1,
                          Body=part)["ETag"]
    pending = srv.metrics()
    srv.kill9()

    waiting = {dict(labels)["op"]: v for (name, labels), v in pending.items()
               if name == "fsgate_async_pending"}
    assert waiting.get("create", 0) >= 10 and waiting.get("unlink", 0) >= 3, waiting
    state = os.path.join(root, ".fsgate")
    if args.per_gateway:
        with open(os.path.join(state, "gateway-id")) as f:
            state = os.path.join(state, "gw", f.read().strip())
    journal = os.path.join(state, "journal")
    assert any(n.endswith(".log") for n in os.listdir(journal)), os.listdir(journal)
    print(f"killed with answered ops pending: {waiting}")

    # Kept small: the delegated inodes no intent names (empty files the pool
    # made ahead, 8,192 of them) and the pre-written spare segments go.
    named = set()
    for name in os.listdir(journal):
        if name.endswith(".spare"):
            os.unlink(os.path.join(journal, name))
        else:
            with open(os.path.join(journal, name), "rb") as f:
                named.update(m.decode() for m in re.findall(
                    rb"\.fsgate/(?:gw/[^/]+/)?staging/g\.[0-9a-f]{16}/[a-z]\.[0-9a-f]{24}",
                    f.read()))
    staging = os.path.join(state, "staging")
    for gen in os.listdir(staging):
        for file in os.listdir(os.path.join(staging, gen)):
            path = os.path.relpath(os.path.join(staging, gen, file), root)
            if path not in named and os.path.getsize(os.path.join(root, path)) == 0:
                os.unlink(os.path.join(root, path))
    print(f"{len(named)} staging files named by the journal")

    with open(os.path.join(HERE, data_name + ".json"), "w") as f:
        json.dump({"bucket": BUCKET, "objects": expected,
                   **({"multipart": multipart} if multipart else {}),
                   "upload": {"key": "mpu", "upload_id": upload, "part_etag": etag,
                              "part_md5": hashlib.md5(part).hexdigest()}},
                  f, indent=1, sort_keys=True)
        f.write("\n")
    subprocess.run(["tar", "-czf", os.path.join(HERE, data_name + ".tar.gz"), "--sort=name",
                    "--xattrs", "--xattrs-include=user.fsgate.*",
                    "--owner=0", "--group=0", "--numeric-owner", "-C", root, "."], check=True)
    srv.cleanup()
    print(os.path.getsize(os.path.join(HERE, data_name + ".tar.gz")), "bytes")


if __name__ == "__main__":
    main()
