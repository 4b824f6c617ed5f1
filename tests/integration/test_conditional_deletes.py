"""Conditional deletes: DeleteObject's If-Match, x-amz-if-match-last-modified-time
and x-amz-if-match-size, and DeleteObjects' ETag, LastModifiedTime and Size.

A condition that does not hold is 412 PreconditionFailed (DeleteObjects: an
<Error> entry) and deletes nothing; a key that is not there is deleted as usual
(204). Ignoring the header would delete an object the client meant to keep.
The check is atomic with the delete: a DELETE If-Match of the old ETag racing
a PUT of new bytes never removes the new bytes. Raw requests: Debian's botocore
predates these parameters. Run with --dirops async and sync.
"""

import base64
import hashlib
import threading
import uuid

from fsgate_server import quote_key

RACE_ROUNDS = 40


def delete(srv, bucket, key, headers=None, version_id=None):
    query = {"versionId": version_id} if version_id else None
    return srv.raw("DELETE", f"/{bucket}/{quote_key(key)}", query=query, headers=headers or {})


def delete_objects(srv, bucket, objects):
    """POST ?delete of <Object>s given as dicts of their child elements."""
    entries = "".join(
        "<Object>" + "".join(f"<{k}>{v}</{k}>" for k, v in obj.items()) + "</Object>"
        for obj in objects)
    body = f"<Delete>{entries}</Delete>".encode()
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    return srv.raw("POST", f"/{bucket}", raw_query="delete", body=body,
                   headers={"Content-MD5": md5, "Content-Type": "application/xml"})


def exists(s3, bucket, key):
    return any(o["Key"] == key for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def put(s3, bucket, key, body):
    return s3.put_object(Bucket=bucket, Key=key, Body=body)["ETag"].strip('"')


def test_if_match_etag(any_bucket):
    srv, s3, bucket = any_bucket
    etag = put(s3, bucket, "k", b"one")
    r = delete(srv, bucket, "k", {"If-Match": '"0123456789abcdef0123456789abcdef"'})
    assert r.status == 412, r
    assert r.error_code() == "PreconditionFailed", r
    assert r.error_field("RequestId") == r.headers["x-amz-request-id"]
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"one"
    r = delete(srv, bucket, "k", {"If-Match": f'"{etag}"'})
    assert r.status == 204, r
    assert not exists(s3, bucket, "k")
    # Nothing there: deleted as usual, whatever the condition.
    assert delete(srv, bucket, "k", {"If-Match": '"nope"'}).status == 204
    put(s3, bucket, "k", b"two")
    assert delete(srv, bucket, "k", {"If-Match": "*"}).status == 204
    assert not exists(s3, bucket, "k")


def test_if_match_size_and_last_modified(any_bucket):
    srv, s3, bucket = any_bucket
    put(s3, bucket, "k", b"12345")
    last_modified = s3.head_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPHeaders"][
        "last-modified"]
    for headers in ({"x-amz-if-match-size": "4"},
                    {"x-amz-if-match-last-modified-time": "Thu, 01 Jan 2015 00:00:00 GMT"},
                    {"x-amz-if-match-size": "5", "If-Match": '"nope"'}):
        r = delete(srv, bucket, "k", headers)
        assert (r.status, r.error_code()) == (412, "PreconditionFailed"), (headers, r)
    assert exists(s3, bucket, "k")
    for headers in ({"x-amz-if-match-size": "five"}, {"x-amz-if-match-size": "-1"},
                    {"x-amz-if-match-last-modified-time": "yesterday"}):
        r = delete(srv, bucket, "k", headers)
        assert (r.status, r.error_code()) == (400, "InvalidArgument"), (headers, r)
    assert exists(s3, bucket, "k")
    r = delete(srv, bucket, "k", {"x-amz-if-match-size": "5",
                                  "x-amz-if-match-last-modified-time": last_modified})
    assert r.status == 204, r
    assert not exists(s3, bucket, "k")


def test_versioned_latest_and_by_version(any_bucket):
    srv, s3, bucket = any_bucket
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    # Nothing there: a conditional delete makes no delete marker.
    assert delete(srv, bucket, "k", {"If-Match": "*"}).status == 204
    assert "DeleteMarkers" not in s3.list_object_versions(Bucket=bucket)
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"one")
    first_etag = first["ETag"]
    r = delete(srv, bucket, "k", {"If-Match": '"nope"'})
    assert (r.status, r.error_code()) == (412, "PreconditionFailed"), r
    r = delete(srv, bucket, "k", {"If-Match": first_etag})
    assert r.status == 204, r
    assert r.headers.get("x-amz-delete-marker") == "true", r
    # The latest is a delete marker now: no ETag matches it, "*" does.
    r = delete(srv, bucket, "k", {"If-Match": first_etag})
    assert (r.status, r.error_code()) == (412, "PreconditionFailed"), r
    r = delete(srv, bucket, "k", {"If-Match": "*"})
    assert r.status == 204 and r.headers.get("x-amz-delete-marker") == "true", r
    # By version id: judged against that version.
    version = first["VersionId"]
    r = delete(srv, bucket, "k", {"If-Match": '"nope"'}, version_id=version)
    assert (r.status, r.error_code()) == (412, "PreconditionFailed"), r
    r = delete(srv, bucket, "k", {"x-amz-if-match-size": "3"}, version_id=version)
    assert r.status == 204, r
    versions = s3.list_object_versions(Bucket=bucket).get("Versions", [])
    assert [v["VersionId"] for v in versions] == []
    # A version that is not there: deleted as usual.
    assert delete(srv, bucket, "k", {"If-Match": '"nope"'}, version_id=version).status == 204


def test_delete_objects_conditions(any_bucket):
    srv, s3, bucket = any_bucket
    etag = put(s3, bucket, "a", b"aaa")
    put(s3, bucket, "b", b"bbbb")
    put(s3, bucket, "c", b"c")
    last_modified = s3.head_object(Bucket=bucket, Key="c")["ResponseMetadata"]["HTTPHeaders"][
        "last-modified"]
    r = delete_objects(srv, bucket, [
        {"Key": "a", "ETag": '"nope"'},
        {"Key": "b", "Size": "3"},
        {"Key": "c", "LastModifiedTime": "Thu, 01 Jan 2015 00:00:00 GMT"},
        {"Key": "missing", "ETag": '"nope"'},
    ])
    assert r.status == 200, r
    body = r.body.decode()
    assert body.count("<Code>PreconditionFailed</Code>") == 3, body
    assert "<Deleted><Key>missing</Key></Deleted>" in body, body
    assert all(exists(s3, bucket, k) for k in "abc")
    r = delete_objects(srv, bucket, [
        {"Key": "a", "ETag": f'"{etag}"'},
        {"Key": "b", "Size": "4"},
        {"Key": "c", "LastModifiedTime": last_modified},
    ])
    assert r.status == 200, r
    assert "<Error>" not in r.body.decode(), r
    assert not any(exists(s3, bucket, k) for k in "abc")
    r = delete_objects(srv, bucket, [{"Key": "a", "Size": "many"}])
    assert (r.status, r.error_code()) == (400, "MalformedXML"), r


def test_if_match_delete_never_removes_newer_bytes(any_bucket):
    """PUT new bytes and DELETE If-Match of the old ETag at once: whichever
    lands first, the new bytes are there at the end (the DELETE either came
    first, or saw the new ETag and was refused)."""
    srv, s3, bucket = any_bucket
    refused = 0
    for i in range(RACE_ROUNDS):
        key = f"race/{i}-{uuid.uuid4().hex[:6]}"
        old = put(s3, bucket, key, b"old")
        start = threading.Barrier(2)
        answers = {}

        def writer():
            start.wait()
            answers["put"] = put(s3, bucket, key, b"new")

        def deleter():
            start.wait()
            answers["delete"] = delete(srv, bucket, key, {"If-Match": f'"{old}"'}).status

        threads = [threading.Thread(target=writer), threading.Thread(target=deleter)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert answers["delete"] in (204, 412), answers
        refused += answers["delete"] == 412
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"new", (i, answers)
    print(f"{refused} of {RACE_ROUNDS} deletes refused")
