"""Abandoned multipart uploads expire (--multipart-expiry), and each bucket's uploads are its own.

An expired upload behaves exactly like an aborted one: NoSuchUpload afterwards,
its parts gone from disk, counted by fsgate_multipart_expired_total and logged.
"""

import json
import os
import re
import subprocess
import time

import pytest

from fsgate_server import FsgateServer, expect_error, fsgate_bin

EXPIRY_SECONDS = 2  # scanned every 0.2 s
NO_SUCH_UPLOAD = ("The specified upload does not exist. The upload ID may be invalid, or the "
                  "upload may have been aborted or completed.")


@pytest.fixture(scope="module")
def expiring():
    with FsgateServer(extra_args=["--multipart-expiry", str(EXPIRY_SECONDS)]) as srv:
        yield srv


def upload_dir(server, bucket, upload_id):
    return os.path.join(server.root, ".fsgate", "multipart", bucket, upload_id)


def files_under(path):
    return [os.path.join(d, f) for d, _, files in os.walk(path) for f in files]


def wait_until(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_expired_upload_behaves_as_aborted(expiring):
    s3 = expiring.client()
    bucket = "expiry-abandoned"
    s3.create_bucket(Bucket=bucket)
    expired_before = expiring.metric_sum("fsgate_multipart_expired_total")
    started = time.monotonic()
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="big/file")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="big/file", UploadId=upload_id, PartNumber=1,
                          Body=b"abandoned part")["ETag"]
    assert files_under(upload_dir(expiring, bucket, upload_id)), "the part is on disk"
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [upload_id]

    assert wait_until(lambda: not s3.list_multipart_uploads(Bucket=bucket).get("Uploads"),
                      timeout=EXPIRY_SECONDS + 10), "the upload never expired"
    assert time.monotonic() - started > EXPIRY_SECONDS - 0.1, "expired before its time"

    for call, kwargs in [
        (s3.upload_part, dict(PartNumber=2, Body=b"late")),
        (s3.list_parts, {}),
        (s3.complete_multipart_upload,
         dict(MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})),
        (s3.abort_multipart_upload, {}),
    ]:
        err = expect_error(call, "NoSuchUpload", 404, Bucket=bucket, Key="big/file",
                           UploadId=upload_id, **kwargs)
        assert err["Error"]["Message"] == NO_SUCH_UPLOAD
        assert err["ResponseMetadata"]["RequestId"]
    expect_error(s3.head_object, "404", 404, Bucket=bucket, Key="big/file")
    # The parts are gone from disk, as after an abort.
    assert not os.path.exists(upload_dir(expiring, bucket, upload_id))
    assert files_under(os.path.join(expiring.root, ".fsgate", "multipart", bucket)) == []
    assert expiring.metric_sum("fsgate_multipart_expired_total") - expired_before == 1
    with open(expiring.log_path, errors="replace") as f:
        log = f.read()
    assert re.search(rf"multipart upload expired.*bucket={bucket} .*upload_id={upload_id}", log), log[-3000:]


def test_upload_completed_in_time_is_kept(expiring):
    s3 = expiring.client()
    bucket = "expiry-completed"
    s3.create_bucket(Bucket=bucket)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"kept")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    time.sleep(EXPIRY_SECONDS + 0.5)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"kept"


def test_listing_reads_only_its_bucket(server):
    """Default expiry (7 days): nothing expires; each bucket lists only its own uploads."""
    s3 = server.client()
    s3.create_bucket(Bucket="mpu-busy")
    s3.create_bucket(Bucket="mpu-quiet")
    busy = {}
    for key in ["a/1", "a/2", "a/2", "b", "c/x/y"]:
        busy.setdefault(key, []).append(
            s3.create_multipart_upload(Bucket="mpu-busy", Key=key)["UploadId"])
    quiet_id = s3.create_multipart_upload(Bucket="mpu-quiet", Key="a/1")["UploadId"]

    quiet = s3.list_multipart_uploads(Bucket="mpu-quiet")
    assert [(u["Key"], u["UploadId"]) for u in quiet["Uploads"]] == [("a/1", quiet_id)]
    listed = s3.list_multipart_uploads(Bucket="mpu-busy")["Uploads"]
    assert [u["Key"] for u in listed] == ["a/1", "a/2", "a/2", "b", "c/x/y"]
    assert [u["UploadId"] for u in listed[1:3]] == busy["a/2"], "same key: oldest first"
    # Each bucket's uploads live under its own directory.
    top = os.path.join(server.root, ".fsgate", "multipart")
    assert sorted(os.listdir(os.path.join(top, "mpu-quiet"))) == [quiet_id]
    assert sorted(os.listdir(os.path.join(top, "mpu-busy"))) == sorted(sum(busy.values(), []))

    # prefix, delimiter, key-marker/upload-id-marker and max-uploads still hold.
    folded = s3.list_multipart_uploads(Bucket="mpu-busy", Delimiter="/")
    assert [u["Key"] for u in folded["Uploads"]] == ["b"]
    assert [p["Prefix"] for p in folded["CommonPrefixes"]] == ["a/", "c/"]
    prefixed = s3.list_multipart_uploads(Bucket="mpu-busy", Prefix="a/")
    assert [u["Key"] for u in prefixed["Uploads"]] == ["a/1", "a/2", "a/2"]
    page = s3.list_multipart_uploads(Bucket="mpu-busy", MaxUploads=2)
    assert page["IsTruncated"] and [u["Key"] for u in page["Uploads"]] == ["a/1", "a/2"]
    assert (page["NextKeyMarker"], page["NextUploadIdMarker"]) == ("a/2", busy["a/2"][0])
    rest = s3.list_multipart_uploads(Bucket="mpu-busy", KeyMarker="a/2")
    assert [u["Key"] for u in rest["Uploads"]] == ["b", "c/x/y"] and not rest["IsTruncated"]

    # Deleting a bucket with uploads in progress discards them, as AWS does;
    # the other bucket's uploads stay.
    s3.delete_bucket(Bucket="mpu-quiet")
    assert not os.path.exists(os.path.join(top, "mpu-quiet"))
    s3.create_bucket(Bucket="mpu-quiet")
    assert not s3.list_multipart_uploads(Bucket="mpu-quiet").get("Uploads")
    assert len(s3.list_multipart_uploads(Bucket="mpu-busy")["Uploads"]) == 5
    assert server.metric_sum("fsgate_multipart_expired_total") == 0


def test_paging_through_uploads_of_one_key(server, bucket):
    """One key's uploads are ordered by initiation time and the upload-id-marker compares ids
    as strings: a page of one at a time must still list each upload once, in order."""
    s3 = server.client()
    same = [s3.create_multipart_upload(Bucket=bucket, Key="same")["UploadId"] for _ in range(6)]
    paged, marker = [], {}
    while True:
        page = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=1, **marker)
        paged += [u["UploadId"] for u in page.get("Uploads", [])]
        if not page["IsTruncated"]:
            break
        marker = dict(KeyMarker=page["NextKeyMarker"], UploadIdMarker=page["NextUploadIdMarker"])
    assert paged == same


def test_expiry_flag_and_config_key(tmp_path):
    for bad in ["3w", "-1", "1.5h", "soon"]:
        res = subprocess.run([fsgate_bin(), "serve", "--root", str(tmp_path), "--multipart-expiry", bad],
                             capture_output=True, text=True, timeout=30)
        assert res.returncode == 2, (bad, res.returncode, res.stderr)
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and "--multipart-expiry" in lines[0], (bad, res.stderr)
    config = tmp_path / "fsgate.json"
    config.write_text(json.dumps({"multipart_expiry_seconds": 0}))
    with FsgateServer(extra_args=["--config", str(config)]) as srv:
        with open(srv.log_path, errors="replace") as f:
            assert "multipart-expiry=off" in f.read()
    with FsgateServer(extra_args=["--multipart-expiry", "12h"]) as srv:
        with open(srv.log_path, errors="replace") as f:
            assert "multipart-expiry=43200s" in f.read()
