"""S3 versioning through the real gateway: Put/GetBucketVersioning, version ids on
PUT/Copy/Complete, GET/HEAD/DELETE by versionId, delete markers, null versions
while Suspended, ListObjectVersions paging, DeleteObjects with versions, the
POSIX view (the latest is the plain file), and the errors AWS gives."""

import json
import os

from fsgate_server import expect_error
from test_clients import aws


def applied_view(srv, bucket):
    """The POSIX view once every answered op is applied: an async versioned
    write lands on disk behind its answer."""
    srv.wait_drained()
    return srv.posix_view(bucket)


def enable(s3, bucket, status="Enabled"):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})


def versions_of(s3, bucket, **kw):
    """[(key, version id, is latest, 'v' or 'dm')] in listing order."""
    resp = s3.list_object_versions(Bucket=bucket, **kw)
    out = [(v["Key"], v["VersionId"], v["IsLatest"], "v", v) for v in resp.get("Versions", [])]
    out += [(d["Key"], d["VersionId"], d["IsLatest"], "dm", d) for d in resp.get("DeleteMarkers", [])]
    return resp, out


def test_versioning_state_is_stored_and_survives_restart(server):
    s3 = server.client()
    s3.create_bucket(Bucket="ver-state")
    assert "Status" not in s3.get_bucket_versioning(Bucket="ver-state")
    enable(s3, "ver-state")
    assert s3.get_bucket_versioning(Bucket="ver-state")["Status"] == "Enabled"
    enable(s3, "ver-state", "Suspended")
    server.restart(kill=True)
    s3 = server.client()
    assert s3.get_bucket_versioning(Bucket="ver-state")["Status"] == "Suspended"


def test_put_bucket_versioning_errors_change_nothing(server, bucket):
    s3 = server.client()
    path = f"/{bucket}"
    bad = b"<VersioningConfiguration><Status>On</Status></VersioningConfiguration>"
    r = server.raw("PUT", path, query={"versioning": ""}, body=bad)
    assert (r.status, r.error_code()) == (400, "MalformedXML")
    r = server.raw("PUT", path, query={"versioning": ""}, body=b"<VersioningConfiguration/>")
    assert (r.status, r.error_code()) == (400, "IllegalVersioningConfigurationException")
    assert r.error_field("Message") == "The Versioning element must be specified"
    r = server.raw("PUT", path, query={"versioning": ""}, body=b"<Versioning>")
    assert (r.status, r.error_code()) == (400, "MalformedXML")
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)


def test_versions_put_get_delete_marker_and_promotion(any_bucket):
    srv, s3, bucket = any_bucket
    s3.put_object(Bucket=bucket, Key="dir/k", Body=b"v0-null")  # before enabling: the null version
    enable(s3, bucket)
    ids = [s3.put_object(Bucket=bucket, Key="dir/k", Body=b"v%d" % i)["VersionId"] for i in (1, 2, 3)]
    assert len(set(ids)) == 3 and "null" not in ids
    got = s3.get_object(Bucket=bucket, Key="dir/k")
    assert got["Body"].read() == b"v3" and got["VersionId"] == ids[2]
    for i, vid in enumerate(ids, 1):
        assert s3.get_object(Bucket=bucket, Key="dir/k", VersionId=vid)["Body"].read() == b"v%d" % i
        assert s3.head_object(Bucket=bucket, Key="dir/k", VersionId=vid)["ContentLength"] == 2
    assert s3.get_object(Bucket=bucket, Key="dir/k", VersionId="null")["Body"].read() == b"v0-null"
    _, listed = versions_of(s3, bucket)
    assert [(k, v, latest) for k, v, latest, kind, _ in listed] == \
        [("dir/k", ids[2], True), ("dir/k", ids[1], False), ("dir/k", ids[0], False),
         ("dir/k", "null", False)]
    # The POSIX view: the latest is the plain file, nothing else in the bucket.
    srv.wait_posix_view(bucket, {"dir/k": b"v3"})

    deleted = s3.delete_object(Bucket=bucket, Key="dir/k")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    err = expect_error(s3.get_object, "NoSuchKey", 404, Bucket=bucket, Key="dir/k")
    assert err["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"
    assert err["ResponseMetadata"]["HTTPHeaders"]["x-amz-version-id"] == marker
    expect_error(s3.head_object, "405", 405, Bucket=bucket, Key="dir/k", VersionId=marker)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    srv.wait_posix_view(bucket, {})  # async dirops: within the apply lag
    resp, listed = versions_of(s3, bucket)
    assert resp["DeleteMarkers"][0]["IsLatest"] and resp["DeleteMarkers"][0]["VersionId"] == marker

    # Removing the marker brings the object back as the plain file.
    removed = s3.delete_object(Bucket=bucket, Key="dir/k", VersionId=marker)
    assert removed["DeleteMarker"] is True and removed["VersionId"] == marker
    assert s3.get_object(Bucket=bucket, Key="dir/k")["Body"].read() == b"v3"
    assert applied_view(srv, bucket)[0] == {"dir/k": b"v3"}
    # Deleting the latest by id promotes the next; an older one just goes.
    s3.delete_object(Bucket=bucket, Key="dir/k", VersionId=ids[2])
    assert s3.get_object(Bucket=bucket, Key="dir/k")["VersionId"] == ids[1]
    s3.delete_object(Bucket=bucket, Key="dir/k", VersionId=ids[0])
    expect_error(s3.get_object, "NoSuchVersion", 404, Bucket=bucket, Key="dir/k", VersionId=ids[0])
    _, listed = versions_of(s3, bucket)
    assert [v for _, v, _, _, _ in listed] == [ids[1], "null"]
    assert applied_view(srv, bucket)[0] == {"dir/k": b"v2"}


def test_suspended_puts_replace_the_null_version(any_bucket):
    srv, s3, bucket = any_bucket
    enable(s3, bucket)
    kept = s3.put_object(Bucket=bucket, Key="k", Body=b"kept")["VersionId"]
    enable(s3, bucket, "Suspended")
    # Suspended writes make the null version and answer without x-amz-version-id.
    assert "VersionId" not in s3.put_object(Bucket=bucket, Key="k", Body=b"null-1")
    assert "VersionId" not in s3.put_object(Bucket=bucket, Key="k", Body=b"null-2")
    assert s3.head_object(Bucket=bucket, Key="k")["VersionId"] == "null"
    _, listed = versions_of(s3, bucket)
    assert [(v, latest) for _, v, latest, _, _ in listed] == [("null", True), (kept, False)]
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"null-2"
    # A DELETE while Suspended makes a null delete marker, replacing the null version.
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["DeleteMarker"] is True and deleted["VersionId"] == "null"
    resp, _ = versions_of(s3, bucket)
    assert [d["VersionId"] for d in resp["DeleteMarkers"]] == ["null"]
    assert [v["VersionId"] for v in resp["Versions"]] == [kept]
    enable(s3, bucket)
    s3.delete_object(Bucket=bucket, Key="k", VersionId="null")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"kept"


def test_list_object_versions_pages_with_markers(server, bucket):
    s3 = server.client()
    enable(s3, bucket)
    before = server.metric_sum("fsgate_sync_fallbacks_total", reason="versioned")
    ids = [s3.put_object(Bucket=bucket, Key="many", Body=b"%d" % i)["VersionId"] for i in range(25)]
    # With async dirops a versioned PUT is one async intent, no sync fallback.
    assert server.metric_sum("fsgate_sync_fallbacks_total", reason="versioned") == before
    for key in ("a", "z/1", "z/2"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    seen, kw = [], {"MaxKeys": 10}
    while True:
        resp = s3.list_object_versions(Bucket=bucket, **kw)
        seen += [(v["Key"], v["VersionId"]) for v in resp.get("Versions", [])]
        assert len(resp.get("Versions", [])) <= 10
        if not resp["IsTruncated"]:
            break
        kw = {"MaxKeys": 10, "KeyMarker": resp["NextKeyMarker"],
              "VersionIdMarker": resp["NextVersionIdMarker"]}
    assert [k for k, _ in seen] == ["a"] + ["many"] * 25 + ["z/1", "z/2"]
    assert [v for k, v in seen if k == "many"] == list(reversed(ids))
    # prefix and delimiter fold as ListObjects does.
    resp = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in resp["CommonPrefixes"]] == ["z/"]
    assert {v["Key"] for v in resp["Versions"]} == {"a", "many"}
    resp = s3.list_object_versions(Bucket=bucket, Prefix="z/")
    assert [v["Key"] for v in resp["Versions"]] == ["z/1", "z/2"]


def test_deleted_keys_are_listed_in_order_with_their_markers(server, bucket):
    s3 = server.client()
    enable(s3, bucket)
    # "a" and "a/x" cannot be files at once: "a" is deleted before "a/x" is
    # written, and their histories share a directory.
    for key in ("b", "a-b", "a"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    s3.delete_object(Bucket=bucket, Key="a")
    s3.put_object(Bucket=bucket, Key="a/x", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="a/x")
    resp = s3.list_object_versions(Bucket=bucket)
    order = sorted([(v["Key"], "v") for v in resp["Versions"]] + [(d["Key"], "dm") for d in resp["DeleteMarkers"]])
    assert [k for k, _ in order] == ["a", "a", "a-b", "a/x", "a/x", "b"]
    assert {d["Key"] for d in resp["DeleteMarkers"]} == {"a", "a/x"}
    assert all(d["IsLatest"] for d in resp["DeleteMarkers"])
    keys, kw = [], {"MaxKeys": 1}
    while True:
        page = s3.list_object_versions(Bucket=bucket, **kw)
        keys += [e["Key"] for e in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if not page["IsTruncated"]:
            break
        kw = {"MaxKeys": 1, "KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}
    assert keys == ["a", "a", "a-b", "a/x", "a/x", "b"]


def test_delete_objects_with_versions(server, bucket):
    s3 = server.client()
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="one", Body=b"1")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="one", Body=b"2")["VersionId"]
    s3.put_object(Bucket=bucket, Key="two", Body=b"2")
    resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [
        {"Key": "one", "VersionId": v2}, {"Key": "two"}, {"Key": "one", "VersionId": "bogus"}]})
    deleted = {(d["Key"], d.get("VersionId")): d for d in resp["Deleted"]}
    assert ("one", v2) in deleted and "DeleteMarker" not in deleted[("one", v2)]
    assert deleted[("two", None)]["DeleteMarker"] is True
    marker = deleted[("two", None)]["DeleteMarkerVersionId"]
    assert [(e["Key"], e["VersionId"], e["Code"]) for e in resp["Errors"]] == \
        [("one", "bogus", "InvalidArgument")]
    assert s3.get_object(Bucket=bucket, Key="one")["VersionId"] == v1
    resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "two", "VersionId": marker}]})
    assert resp["Deleted"][0]["DeleteMarker"] is True
    assert s3.get_object(Bucket=bucket, Key="two")["Body"].read() == b"2"


def test_copy_and_multipart_carry_version_ids(server, bucket):
    s3 = server.client()
    enable(s3, bucket)
    old = s3.put_object(Bucket=bucket, Key="src", Body=b"old")["VersionId"]
    new = s3.put_object(Bucket=bucket, Key="src", Body=b"new")["VersionId"]
    # Without a version id, the answer names the latest, which it copied.
    latest = s3.copy_object(Bucket=bucket, Key="latest", CopySource={"Bucket": bucket, "Key": "src"})
    assert latest["CopySourceVersionId"] == new
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src", "VersionId": old})
    assert copied["CopySourceVersionId"] == old and copied["VersionId"] not in (None, "null", old)
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"old"
    upload = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    # UploadPartCopy from an older version of the source.
    part = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=upload, PartNumber=1,
                               CopySource={"Bucket": bucket, "Key": "src", "VersionId": old})
    assert part["CopySourceVersionId"] == old
    latest = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=upload, PartNumber=2,
                                 CopySource={"Bucket": bucket, "Key": "src"})
    assert latest["CopySourceVersionId"] == new
    # The part's LastModified is its own, as ListParts gives it.
    listed = s3.list_parts(Bucket=bucket, Key="dst", UploadId=upload)["Parts"]
    assert part["CopyPartResult"]["LastModified"] == listed[0]["LastModified"]
    assert part["CopyPartResult"]["LastModified"].year >= 2020
    done = s3.complete_multipart_upload(Bucket=bucket, Key="dst", UploadId=upload, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": part["CopyPartResult"]["ETag"]}]})
    assert done["VersionId"] not in (None, "null", copied["VersionId"])
    assert s3.get_object(Bucket=bucket, Key="dst", VersionId=copied["VersionId"])["Body"].read() == b"old"
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"old"


def test_a_copy_in_an_unversioned_bucket_names_no_source_version(server, bucket):
    s3 = server.client()
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert "x-amz-copy-source-version-id" not in copied["ResponseMetadata"]["HTTPHeaders"]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    part = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=upload, PartNumber=1,
                               CopySource={"Bucket": bucket, "Key": "src"})
    assert "x-amz-copy-source-version-id" not in part["ResponseMetadata"]["HTTPHeaders"]


def test_a_copy_source_naming_a_delete_marker_is_refused(server, bucket):
    s3 = server.client()
    enable(s3, bucket)
    kept = s3.put_object(Bucket=bucket, Key="src", Body=b"kept")["VersionId"]
    marker = s3.delete_object(Bucket=bucket, Key="src")["VersionId"]
    message = "The source of a copy request may not specifically refer to a delete marker by version id."
    err = expect_error(s3.copy_object, "InvalidRequest", 400, Bucket=bucket, Key="dst",
                       CopySource={"Bucket": bucket, "Key": "src", "VersionId": marker})
    assert err["Error"]["Message"] == message
    upload = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    err = expect_error(s3.upload_part_copy, "InvalidRequest", 400, Bucket=bucket, Key="dst",
                       UploadId=upload, PartNumber=1,
                       CopySource={"Bucket": bucket, "Key": "src", "VersionId": marker})
    assert err["Error"]["Message"] == message
    # The latest being a marker: the key is not there. The version it hides is.
    expect_error(s3.copy_object, "NoSuchKey", 404, Bucket=bucket, Key="dst",
                 CopySource={"Bucket": bucket, "Key": "src"})
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src", "VersionId": kept})
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"kept"
    assert "Parts" not in s3.list_parts(Bucket=bucket, Key="dst", UploadId=upload)


def test_tagging_and_attributes_by_version(server, bucket):
    s3 = server.client()
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="t", Body=b"one")["VersionId"]
    s3.put_object(Bucket=bucket, Key="t", Body=b"three")
    s3.put_object_tagging(Bucket=bucket, Key="t", VersionId=v1,
                          Tagging={"TagSet": [{"Key": "old", "Value": "yes"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="t", VersionId=v1)["TagSet"] == [{"Key": "old", "Value": "yes"}]
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    attrs = s3.get_object_attributes(Bucket=bucket, Key="t", VersionId=v1, ObjectAttributes=["ObjectSize"])
    assert attrs["ObjectSize"] == 3 and attrs["VersionId"] == v1
    head = s3.head_object(Bucket=bucket, Key="t", VersionId=v1)["ResponseMetadata"]["HTTPHeaders"]
    assert head["x-amz-tagging-count"] == "1"
    assert "x-amz-tagging-count" not in s3.head_object(Bucket=bucket, Key="t")["ResponseMetadata"]["HTTPHeaders"]
    # DeleteObjectTagging of that version alone, answered with its id.
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "new", "Value": "1"}]})
    deleted = s3.delete_object_tagging(Bucket=bucket, Key="t", VersionId=v1)
    assert deleted["VersionId"] == v1
    assert s3.get_object_tagging(Bucket=bucket, Key="t", VersionId=v1)["TagSet"] == []
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "new", "Value": "1"}]
    # x-amz-tagging on a PUT tags the new version only.
    v3 = s3.put_object(Bucket=bucket, Key="t", Body=b"four", Tagging="k=v")["VersionId"]
    assert s3.get_object_tagging(Bucket=bucket, Key="t", VersionId=v3)["TagSet"] == [{"Key": "k", "Value": "v"}]
    assert s3.get_object(Bucket=bucket, Key="t", VersionId=v3)["TagCount"] == 1


def test_acls_by_version(server, bucket):
    s3 = server.client()
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="a", Body=b"one", ACL="public-read")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="a", Body=b"two")["VersionId"]
    def grants(**kw):
        return sorted(g["Permission"] for g in s3.get_object_acl(Bucket=bucket, Key="a", **kw)["Grants"])
    assert grants(VersionId=v1) == ["FULL_CONTROL", "READ"]  # the older version keeps its ACL
    assert grants() == ["FULL_CONTROL"]
    s3.put_object_acl(Bucket=bucket, Key="a", VersionId=v2, ACL="public-read")
    assert grants() == ["FULL_CONTROL", "READ"]
    # An older version's ACL is its own record's, in the key's history.
    s3.put_object_acl(Bucket=bucket, Key="a", VersionId=v1, ACL="private")
    assert grants(VersionId=v1) == ["FULL_CONTROL"]
    assert grants() == ["FULL_CONTROL", "READ"]
    s3.put_object_acl(Bucket=bucket, Key="a", VersionId=v1, ACL="public-read-write")
    assert grants(VersionId=v1) == ["FULL_CONTROL", "READ", "WRITE"]
    assert s3.get_object(Bucket=bucket, Key="a", VersionId=v1)["Body"].read() == b"one"
    marker = s3.delete_object(Bucket=bucket, Key="a")["VersionId"]
    expect_error(s3.put_object_acl, "MethodNotAllowed", 405, Bucket=bucket, Key="a",
                 VersionId=marker, ACL="private")


def test_version_id_errors(server, bucket):
    s3 = server.client()
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    err = expect_error(s3.get_object, "InvalidArgument", 400, Bucket=bucket, Key="k", VersionId="not-an-id")
    assert err["Error"]["Message"] == "Invalid version id specified"
    # Unversioned: "null" is the object, a well-formed other id is not there.
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"x"
    expect_error(s3.get_object, "NoSuchVersion", 404, Bucket=bucket, Key="k", VersionId="0" * 16)
    enable(s3, bucket)
    expect_error(s3.get_object, "NoSuchVersion", 404, Bucket=bucket, Key="k", VersionId="0" * 16)
    expect_error(s3.list_object_versions, "InvalidArgument", 400, Bucket=bucket, KeyMarker="k",
                 VersionIdMarker="nope")
    r = server.raw("GET", f"/{bucket}", query={"versions": "", "version-id-marker": "null"})
    assert (r.status, r.error_code()) == (400, "InvalidArgument")


def test_aws_cli_versioning_scenario(server, tmp_path):
    bucket = "ver-cli"
    aws(server, tmp_path, "s3api", "create-bucket", "--bucket", bucket)
    aws(server, tmp_path, "s3api", "put-bucket-versioning", "--bucket", bucket,
        "--versioning-configuration", "Status=Enabled")
    ids = []
    for i in range(3):
        body = tmp_path / f"body{i}"
        body.write_bytes(b"cli-%d" % i)
        out = aws(server, tmp_path, "s3api", "put-object", "--bucket", bucket, "--key", "f",
                  "--body", str(body)).stdout
        ids.append(json.loads(out)["VersionId"])
    listed = json.loads(aws(server, tmp_path, "s3api", "list-object-versions", "--bucket", bucket).stdout)
    assert [v["VersionId"] for v in listed["Versions"]] == list(reversed(ids))
    out = tmp_path / "got"
    aws(server, tmp_path, "s3api", "get-object", "--bucket", bucket, "--key", "f", "--version-id", ids[0], str(out))
    assert out.read_bytes() == b"cli-0"
    marker = json.loads(aws(server, tmp_path, "s3api", "delete-object", "--bucket", bucket, "--key", "f").stdout)
    assert marker["DeleteMarker"] is True
    assert aws(server, tmp_path, "s3", "ls", f"s3://{bucket}/", check=False).stdout == ""
    aws(server, tmp_path, "s3api", "delete-object", "--bucket", bucket, "--key", "f",
        "--version-id", marker["VersionId"])
    aws(server, tmp_path, "s3", "cp", f"s3://{bucket}/f", str(out))
    assert out.read_bytes() == b"cli-2"
    assert os.listdir(os.path.join(server.root, bucket)) == ["f"]
