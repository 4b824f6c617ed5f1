"""Multipart uploads through the real gateway, their errors, and that aborts leave no trace."""

import hashlib
import os
import random
import subprocess
import tempfile

from fsgate_server import etag_of, expect_error, multipart_etag

MiB = 1024 * 1024


def rand_bytes(n, seed):
    return random.Random(seed).randbytes(n)


def internal_files(server):
    """Every file under ROOT/.fsgate/multipart (parts of open uploads live there)."""
    top = os.path.join(server.root, ".fsgate", "multipart")
    out = set()
    for dirpath, _, files in os.walk(top):
        for f in files:
            out.add(os.path.relpath(os.path.join(dirpath, f), top))
    return out


def upload(s3, bucket, key, parts, numbers=None):
    up = s3.create_multipart_upload(Bucket=bucket, Key=key)
    upload_id = up["UploadId"]
    assert up["Bucket"] == bucket and up["Key"] == key and upload_id
    etags = []
    for i, data in enumerate(parts):
        n = numbers[i] if numbers else i + 1
        resp = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=n, Body=data)
        assert resp["ETag"] == etag_of(data)
        etags.append({"PartNumber": n, "ETag": resp["ETag"]})
    return upload_id, etags


def test_complete_etag_and_bytes(server, s3, bucket):
    before = internal_files(server)
    parts = [rand_bytes(5 * MiB, 1), rand_bytes(5 * MiB + 3, 2), rand_bytes(1000, 3)]
    upload_id, etags = upload(s3, bucket, "big/object", parts)
    resp = s3.complete_multipart_upload(Bucket=bucket, Key="big/object", UploadId=upload_id,
                                        MultipartUpload={"Parts": etags})
    want = multipart_etag(parts)
    assert resp["ETag"] == want
    assert resp["Key"] == "big/object" and resp["Bucket"] == bucket
    data = b"".join(parts)
    got = s3.get_object(Bucket=bucket, Key="big/object")
    assert got["ETag"] == want
    assert got["ContentLength"] == len(data)
    assert hashlib.sha256(got["Body"].read()).digest() == hashlib.sha256(data).digest()
    # Ranges across part boundaries.
    a, b = 5 * MiB - 10, 5 * MiB + 10
    got = s3.get_object(Bucket=bucket, Key="big/object", Range=f"bytes={a}-{b}")
    assert got["Body"].read() == data[a:b + 1]
    # Listing shows the multipart ETag and the full size.
    obj = s3.list_objects_v2(Bucket=bucket)["Contents"][0]
    assert obj["ETag"] == want and obj["Size"] == len(data)
    # Gone from the uploads list; parts cleaned up.
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    expect_error(s3.list_parts, "NoSuchUpload", 404, Bucket=bucket, Key="big/object", UploadId=upload_id)
    server.wait_posix_view(bucket, {"big/object": data})
    assert internal_files(server) == before


def test_complete_with_a_subset_of_parts_and_replaced_part(server, s3, bucket):
    parts = {1: rand_bytes(5 * MiB, 10), 2: rand_bytes(5 * MiB, 11), 5: rand_bytes(10, 12)}
    upload_id, _ = upload(s3, bucket, "k", list(parts.values()), numbers=list(parts))
    # Upload part 1 again: the later upload wins.
    parts[1] = rand_bytes(5 * MiB, 13)
    e1 = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=parts[1])["ETag"]
    listed = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]
    assert [p["PartNumber"] for p in listed] == [1, 2, 5]
    assert listed[0]["ETag"] == e1 == etag_of(parts[1])
    # Complete with parts 1 and 5 only (non-contiguous numbers are fine).
    resp = s3.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 5, "ETag": etag_of(parts[5])}]})
    assert resp["ETag"] == multipart_etag([parts[1], parts[5]])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == parts[1] + parts[5]
    server.wait_posix_view(bucket, {"k": parts[1] + parts[5]})


def test_complete_overwrites_existing_object(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"old", Metadata={"old": "1"})
    up = s3.create_multipart_upload(Bucket=bucket, Key="k", ContentType="text/x-mp", Metadata={"new": "2"})
    e = s3.upload_part(Bucket=bucket, Key="k", UploadId=up["UploadId"], PartNumber=1, Body=b"new")["ETag"]
    # Until completion the old object is served.
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"old"
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e}]})
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["Metadata"] == {"new": "2"} and head["ContentType"] == "text/x-mp"
    assert head["ETag"] == multipart_etag([b"new"])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"new"


def test_parts_out_of_order(server, s3, bucket):
    parts = [rand_bytes(5 * MiB, 20), rand_bytes(100, 21)]
    upload_id, etags = upload(s3, bucket, "k", parts)
    expect_error(s3.complete_multipart_upload, "InvalidPartOrder", 400, Bucket=bucket, Key="k",
                 UploadId=upload_id, MultipartUpload={"Parts": list(reversed(etags))})
    # Duplicated part numbers are out of order too.
    expect_error(s3.complete_multipart_upload, "InvalidPartOrder", 400, Bucket=bucket, Key="k",
                 UploadId=upload_id, MultipartUpload={"Parts": [etags[0], etags[0], etags[1]]})
    # A failed completion leaves the upload usable.
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": etags})
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"".join(parts)


def test_wrong_etag_or_missing_part(server, s3, bucket):
    parts = [rand_bytes(5 * MiB, 30), rand_bytes(100, 31)]
    upload_id, etags = upload(s3, bucket, "k", parts)
    bad = [etags[0], {"PartNumber": 2, "ETag": etag_of(b"not this part")}]
    expect_error(s3.complete_multipart_upload, "InvalidPart", 400, Bucket=bucket, Key="k",
                 UploadId=upload_id, MultipartUpload={"Parts": bad})
    missing = [etags[0], {"PartNumber": 3, "ETag": etags[1]["ETag"]}]
    expect_error(s3.complete_multipart_upload, "InvalidPart", 400, Bucket=bucket, Key="k",
                 UploadId=upload_id, MultipartUpload={"Parts": missing})
    expect_error(s3.head_object, "404", 404, Bucket=bucket, Key="k")
    s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)


def test_entity_too_small(server, s3, bucket):
    parts = [rand_bytes(1024, 40), rand_bytes(1024, 41)]
    upload_id, etags = upload(s3, bucket, "k", parts)
    expect_error(s3.complete_multipart_upload, "EntityTooSmall", 400, Bucket=bucket, Key="k",
                 UploadId=upload_id, MultipartUpload={"Parts": etags})
    # A single small part is fine: the last part may be any size.
    resp = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id,
                                        MultipartUpload={"Parts": etags[:1]})
    assert resp["ETag"] == multipart_etag(parts[:1])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == parts[0]


def test_no_such_upload_and_bad_part_numbers(server, s3, bucket):
    fake = "bm90LWFuLXVwbG9hZA"
    expect_error(s3.upload_part, "NoSuchUpload", 404, Bucket=bucket, Key="k", UploadId=fake,
                 PartNumber=1, Body=b"x")
    expect_error(s3.complete_multipart_upload, "NoSuchUpload", 404, Bucket=bucket, Key="k", UploadId=fake,
                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag_of(b"x")}]})
    expect_error(s3.abort_multipart_upload, "NoSuchUpload", 404, Bucket=bucket, Key="k", UploadId=fake)
    expect_error(s3.list_parts, "NoSuchUpload", 404, Bucket=bucket, Key="k", UploadId=fake)
    up = s3.create_multipart_upload(Bucket=bucket, Key="k")
    # An upload id belongs to its key.
    expect_error(s3.upload_part, "NoSuchUpload", 404, Bucket=bucket, Key="other", UploadId=up["UploadId"],
                 PartNumber=1, Body=b"x")
    for n in (0, 10001):
        expect_error(s3.upload_part, "InvalidArgument", 400, Bucket=bucket, Key="k", UploadId=up["UploadId"],
                     PartNumber=n, Body=b"x")
    body = b"<CompleteMultipartUpload></CompleteMultipartUpload>"
    resp = server.raw("POST", f"/{bucket}/k", query={"uploadId": up["UploadId"]}, body=body)
    assert resp.status == 400 and resp.error_code() == "MalformedXML", resp
    resp = server.raw("POST", f"/{bucket}/k", query={"uploadId": up["UploadId"]}, body=b"<Complete")
    assert resp.status == 400 and resp.error_code() == "MalformedXML", resp
    s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=up["UploadId"])


def test_abort_leaves_no_trace(any_bucket):
    srv, s3, bucket = any_bucket
    before = internal_files(srv)
    parts = [rand_bytes(5 * MiB, 50), rand_bytes(777, 51)]
    upload_id, _ = upload(s3, bucket, "dir/aborted", parts)
    assert internal_files(srv) != before, "parts are staged under ROOT/.fsgate/multipart"
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0, "an open upload is not an object"
    resp = s3.abort_multipart_upload(Bucket=bucket, Key="dir/aborted", UploadId=upload_id)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    expect_error(s3.list_parts, "NoSuchUpload", 404, Bucket=bucket, Key="dir/aborted", UploadId=upload_id)
    expect_error(s3.upload_part, "NoSuchUpload", 404, Bucket=bucket, Key="dir/aborted", UploadId=upload_id,
                 PartNumber=3, Body=b"late")
    expect_error(s3.head_object, "404", 404, Bucket=bucket, Key="dir/aborted")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    srv.wait_posix_view(bucket, {})
    assert internal_files(srv) == before
    # Empty buckets can be deleted again.
    s3.delete_bucket(Bucket=bucket)


def test_list_parts_pagination(server, s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="lp")
    uid = up["UploadId"]
    sizes = {}
    for n in range(1, 8):
        data = rand_bytes(n * 10, n)
        s3.upload_part(Bucket=bucket, Key="lp", UploadId=uid, PartNumber=n, Body=data)
        sizes[n] = (len(data), etag_of(data))
    resp = s3.list_parts(Bucket=bucket, Key="lp", UploadId=uid)
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in resp["Parts"]] == [(n, *sizes[n]) for n in range(1, 8)]
    assert resp["IsTruncated"] is False
    assert resp["UploadId"] == uid and resp["Key"] == "lp"
    got, marker = [], 0
    while True:
        resp = s3.list_parts(Bucket=bucket, Key="lp", UploadId=uid, MaxParts=3, PartNumberMarker=marker)
        got += [p["PartNumber"] for p in resp["Parts"]]
        if not resp["IsTruncated"]:
            break
        marker = resp["NextPartNumberMarker"]
        assert marker == got[-1]
    assert got == list(range(1, 8))
    s3.abort_multipart_upload(Bucket=bucket, Key="lp", UploadId=uid)


def test_list_multipart_uploads(server, s3, bucket):
    ids = {}
    for key in ["a/1", "a/2", "b/1", "c"]:
        ids[key] = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    second = s3.create_multipart_upload(Bucket=bucket, Key="a/1")["UploadId"]
    assert second != ids["a/1"]
    resp = s3.list_multipart_uploads(Bucket=bucket)
    uploads = [(u["Key"], u["UploadId"]) for u in resp["Uploads"]]
    assert sorted(uploads) == sorted(list(ids.items()) + [("a/1", second)])
    assert [k for k, _ in uploads] == sorted(k for k, _ in uploads), "sorted by key"
    for u in resp["Uploads"]:
        assert u["Initiated"].year >= 2020
    resp = s3.list_multipart_uploads(Bucket=bucket, Prefix="a/")
    assert sorted(u["Key"] for u in resp["Uploads"]) == ["a/1", "a/1", "a/2"]
    resp = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [u["Key"] for u in resp.get("Uploads", [])] == ["c"]
    assert [p["Prefix"] for p in resp["CommonPrefixes"]] == ["a/", "b/"]
    # An open upload survives a restart.
    server.restart()
    s3 = server.client()
    resp = s3.list_multipart_uploads(Bucket=bucket)
    assert len(resp["Uploads"]) == 5
    for key, uid in list(ids.items()) + [("a/1", second)]:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=uid)
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_upload_part_copy(server, s3, bucket):
    src = rand_bytes(6 * MiB, 60)
    s3.put_object(Bucket=bucket, Key="src", Body=src)
    up = s3.create_multipart_upload(Bucket=bucket, Key="dst")
    uid = up["UploadId"]
    p1 = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=uid, PartNumber=1,
                             CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes=0-{5 * MiB - 1}")
    p2 = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=uid, PartNumber=2,
                             CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes={5 * MiB}-{6 * MiB - 1}")
    assert p1["CopyPartResult"]["ETag"] == etag_of(src[:5 * MiB])
    s3.complete_multipart_upload(Bucket=bucket, Key="dst", UploadId=uid, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]},
        {"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == src


def _aws(server, *args, cwd=None):
    env = dict(os.environ)
    cfg = os.path.join(server.workdir, "aws-config")
    with open(cfg, "w") as f:
        f.write("[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n")
    env.update(AWS_ACCESS_KEY_ID=server.access_key, AWS_SECRET_ACCESS_KEY=server.secret_key,
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=cfg,
               AWS_SHARED_CREDENTIALS_FILE=os.path.join(server.workdir, "no-credentials"),
               AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")
    cmd = ["/usr/bin/aws", "--endpoint-url", server.endpoint, *args]
    res = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, f"{cmd} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}\n{server.log_tail()}"
    return res.stdout


def _sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MiB), b""):
            h.update(chunk)
    return h.hexdigest()


def _multipart_etag_of_file(path, part=8 * MiB):
    md5s = []
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(part), b""):
            md5s.append(hashlib.md5(chunk).digest())
    return f'"{hashlib.md5(b"".join(md5s)).hexdigest()}-{len(md5s)}"'


def test_aws_cli_200mib_round_trip(server, s3, bucket):
    with tempfile.TemporaryDirectory(dir=server.workdir) as tmp:
        up = os.path.join(tmp, "up.bin")
        down = os.path.join(tmp, "down.bin")
        with open(up, "wb") as f:
            for i in range(200):
                f.write(os.urandom(MiB))
        _aws(server, "s3", "cp", up, f"s3://{bucket}/large/file.bin")
        head = s3.head_object(Bucket=bucket, Key="large/file.bin")
        assert head["ContentLength"] == 200 * MiB
        # aws-cli uploads in 8 MiB parts: the ETag is the md5 of the 25 part md5s, "-25".
        assert head["ETag"] == _multipart_etag_of_file(up)
        _aws(server, "s3", "cp", f"s3://{bucket}/large/file.bin", down)
        assert os.path.getsize(down) == 200 * MiB
        assert _sha256_file(down) == _sha256_file(up)
        server.wait_drained(60)
        on_disk = os.path.join(server.root, bucket, "large", "file.bin")
        assert _sha256_file(on_disk) == _sha256_file(up)
        s3.delete_object(Bucket=bucket, Key="large/file.bin")


def test_multipart_visible_in_posix_view_sync_and_async(any_bucket):
    srv, s3, bucket = any_bucket
    parts = [rand_bytes(5 * MiB, 70), rand_bytes(10, 71)]
    upload_id, etags = upload(s3, bucket, "m/p", parts)
    s3.complete_multipart_upload(Bucket=bucket, Key="m/p", UploadId=upload_id, MultipartUpload={"Parts": etags})
    srv.wait_posix_view(bucket, {"m/p": b"".join(parts)})
    s3.delete_object(Bucket=bucket, Key="m/p")
    srv.wait_posix_view(bucket, {})


def test_upload_part_copy_range_must_lie_in_the_source(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"12345")
    up = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    source = {"Bucket": bucket, "Key": "src"}
    for bad in ["bytes=0-5", "bytes=0-21"]:
        err = expect_error(s3.upload_part_copy, "InvalidRange", 416, Bucket=bucket, Key="dst",
                           UploadId=up, PartNumber=1, CopySource=source, CopySourceRange=bad)
        assert err["Error"]["Message"] == "Range specified is not valid for source object of size: 5"
    for bad in ["bytes=3-2", "bytes=-2", "bytes=1-", "0-2"]:
        expect_error(s3.upload_part_copy, "InvalidArgument", 400, Bucket=bucket, Key="dst",
                     UploadId=up, PartNumber=1, CopySource=source, CopySourceRange=bad)
    assert "Parts" not in s3.list_parts(Bucket=bucket, Key="dst", UploadId=up)
    part = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=up, PartNumber=1,
                               CopySource=source, CopySourceRange="bytes=1-4")
    s3.complete_multipart_upload(Bucket=bucket, Key="dst", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"2345"


def test_a_completion_retried_is_answered_again(any_bucket):
    """A client whose CompleteMultipartUpload answer was lost retries it: the
    same 200 and ETag (as AWS answers), not NoSuchUpload; other part lists and
    other upload ids stay NoSuchUpload."""
    _, s3, bucket = any_bucket
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=1, Body=b"one part")
    parts = {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}
    first = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up, MultipartUpload=parts)
    assert first["ETag"] == multipart_etag([b"one part"])
    again = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up, MultipartUpload=parts)
    assert again["ETag"] == first["ETag"] and again["Key"] == "mp"
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"one part"
    other = {"Parts": [{"PartNumber": 1, "ETag": '"' + "0" * 32 + '"'}]}
    expect_error(s3.complete_multipart_upload, "NoSuchUpload", 404, Bucket=bucket, Key="mp",
                 UploadId=up, MultipartUpload=other)
    s3.put_object(Bucket=bucket, Key="mp", Body=b"replaced")
    expect_error(s3.complete_multipart_upload, "NoSuchUpload", 404, Bucket=bucket, Key="mp",
                 UploadId=up, MultipartUpload=parts)
