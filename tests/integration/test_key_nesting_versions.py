"""--key-conflicts nest in versioned buckets, through the real gateway with
--dirops async and sync: an object "a" beside objects under "a/" keeps every
version of each, as AWS does. The latest "a" is the hidden file
a/.fsgate-object, "a/b" stays a plain file, and the histories of "a" and
"a/b" are apart (store/versions_dir.h). Listings are checked in their exact
XML order, pages and delimiters included."""

import random
import xml.etree.ElementTree as ET

import pytest

from fsgate_server import expect_error
from test_key_nesting import nb, nest_server  # noqa: F401 (fixtures)

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


@pytest.fixture
def vb(nb):
    """(server, client, fresh bucket with versioning Enabled) on the nesting gateway."""
    enable(nb[1], nb[2])
    return nb


def enable(s3, bucket, status="Enabled"):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})


def put(s3, bucket, key, data):
    return s3.put_object(Bucket=bucket, Key=key, Body=data)["VersionId"]


def body(s3, bucket, key, **kw):
    return s3.get_object(Bucket=bucket, Key=key, **kw)["Body"].read()


def listing(server, bucket, **query):
    """ListObjectVersions as its XML gives it, in order: ('v'|'dm', key, id,
    latest) for versions and markers, ('cp', prefix) for CommonPrefixes; and
    the response's root element."""
    q = {"versions": ""}
    q.update(query)
    r = server.raw("GET", f"/{bucket}", query=q)
    assert r.status == 200, r
    root = ET.fromstring(r.body)
    out = []
    for child in root:
        tag = child.tag.replace(NS, "")
        if tag in ("Version", "DeleteMarker"):
            out.append(("v" if tag == "Version" else "dm", child.find(NS + "Key").text,
                        child.find(NS + "VersionId").text,
                        child.find(NS + "IsLatest").text == "true"))
        elif tag == "CommonPrefixes":
            out.append(("cp", child.find(NS + "Prefix").text))
    return out, root


def paged(server, bucket, **query):
    """Every entry of ListObjectVersions read one entry a page."""
    out, kw = [], dict(query)
    while True:
        page, root = listing(server, bucket, **{"max-keys": "1", **kw})
        out += page
        if root.find(NS + "IsTruncated").text != "true":
            return out
        kw = dict(query)
        kw["key-marker"] = root.find(NS + "NextKeyMarker").text
        vid = root.find(NS + "NextVersionIdMarker")
        if vid is not None and vid.text:
            kw["version-id-marker"] = vid.text


def test_a_key_and_keys_under_it_keep_every_version(vb):
    server, s3, bucket = vb
    a = [put(s3, bucket, "a", b"a%d" % i) for i in (1, 2)]
    b = [put(s3, bucket, "a/b", b"b%d" % i) for i in (1, 2)]
    s3.put_object(Bucket=bucket, Key="a!", Body=b"bang")
    assert body(s3, bucket, "a") == b"a2" and body(s3, bucket, "a/b") == b"b2"
    for i, vid in enumerate(a, 1):
        assert body(s3, bucket, "a", VersionId=vid) == b"a%d" % i
        assert s3.head_object(Bucket=bucket, Key="a", VersionId=vid)["ContentLength"] == 2
    for i, vid in enumerate(b, 1):
        assert body(s3, bucket, "a/b", VersionId=vid) == b"b%d" % i
    assert s3.get_object(Bucket=bucket, Key="a")["VersionId"] == a[1]
    full, _ = listing(server, bucket)
    bang = [e for e in full if e[1] == "a!"]
    assert full == [("v", "a", a[1], True), ("v", "a", a[0], False)] + bang + [
        ("v", "a/b", b[1], True), ("v", "a/b", b[0], False)]
    assert paged(server, bucket) == full
    # The POSIX view: "a/b" a plain file, the latest "a" at its hidden name.
    server.wait_posix_view(bucket, {"a/.fsgate-object": b"a2", "a/b": b"b2", "a!": b"bang"})

    # A DELETE makes a marker for "a" alone.
    deleted = s3.delete_object(Bucket=bucket, Key="a")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    err = expect_error(s3.get_object, "NoSuchKey", 404, Bucket=bucket, Key="a")
    assert err["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"
    assert body(s3, bucket, "a/b") == b"b2"
    assert body(s3, bucket, "a", VersionId=a[0]) == b"a1"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["a!", "a/b"]
    full, _ = listing(server, bucket)
    assert full == [("dm", "a", marker, True), ("v", "a", a[1], False),
                    ("v", "a", a[0], False)] + bang + [
        ("v", "a/b", b[1], True), ("v", "a/b", b[0], False)]
    assert paged(server, bucket) == full
    folded, _ = listing(server, bucket, delimiter="/")
    assert folded == full[:3] + bang + [("cp", "a/")]
    assert paged(server, bucket, delimiter="/") == folded
    under, _ = listing(server, bucket, prefix="a/", delimiter="/")
    assert under == full[4:]
    server.wait_posix_view(bucket, {"a/b": b"b2", "a!": b"bang"})

    # Removing the marker brings "a" back beside "a/b".
    removed = s3.delete_object(Bucket=bucket, Key="a", VersionId=marker)
    assert removed["DeleteMarker"] is True and removed["VersionId"] == marker
    assert body(s3, bucket, "a") == b"a2"
    server.wait_posix_view(bucket, {"a/.fsgate-object": b"a2", "a/b": b"b2", "a!": b"bang"})

    # CopyObject by version id, onto the nested key and from it.
    copied = s3.copy_object(Bucket=bucket, Key="a", CopySource={
        "Bucket": bucket, "Key": "a/b", "VersionId": b[0]})["VersionId"]
    assert body(s3, bucket, "a") == b"b1"
    s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "a",
                                                       "VersionId": a[0]})
    assert body(s3, bucket, "c") == b"a1"

    # DeleteObjects with versions of both keys; deleting "a"'s latest by id
    # promotes the next one, at the nested name.
    resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [
        {"Key": "a", "VersionId": a[0]}, {"Key": "a/b", "VersionId": b[1]},
        {"Key": "a", "VersionId": copied}]})
    assert sorted((d["Key"], d["VersionId"]) for d in resp["Deleted"]) == sorted(
        [("a", a[0]), ("a/b", b[1]), ("a", copied)])
    assert "Errors" not in resp
    assert body(s3, bucket, "a") == b"a2" and body(s3, bucket, "a/b") == b"b1"
    full, _ = listing(server, bucket)
    assert [e for e in full if e[1] in ("a", "a/b")] == [
        ("v", "a", a[1], True), ("v", "a/b", b[0], True)]
    server.wait_posix_view(bucket, {"a/.fsgate-object": b"a2", "a/b": b"b1", "a!": b"bang",
                                    "c": b"a1"})

    # Every answered version survives kill -9, "a" brought back by removing
    # its marker included.
    server.restart(kill=True)
    s3 = server.client()
    assert body(s3, bucket, "a") == b"a2" and body(s3, bucket, "a/b") == b"b1"
    assert listing(server, bucket)[0] == full


def test_enabling_versioning_keeps_the_nested_pairs(nest_server):
    server = nest_server
    s3 = server.client()
    bucket = f"vnest-{random.getrandbits(48):012x}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="u", Body=b"u0")
    s3.put_object(Bucket=bucket, Key="u/w", Body=b"w0")
    enable(s3, bucket)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_object(Bucket=bucket, Key="u")["VersionId"] == "null"
    u1 = put(s3, bucket, "u", b"u1")
    assert u1 != "null"
    assert body(s3, bucket, "u") == b"u1"
    assert body(s3, bucket, "u", VersionId="null") == b"u0"
    w1 = put(s3, bucket, "u/w", b"w1")
    want = [("v", "u", u1, True), ("v", "u", "null", False), ("v", "u/w", w1, True),
            ("v", "u/w", "null", False)]
    assert listing(server, bucket)[0] == want
    server.wait_posix_view(bucket, {"u/.fsgate-object": b"u1", "u/w": b"w1"})
    # Every answered version survives kill -9, at its place.
    server.restart(kill=True)
    s3 = server.client()
    assert listing(server, bucket)[0] == want
    assert body(s3, bucket, "u") == b"u1" and body(s3, bucket, "u", VersionId="null") == b"u0"
    assert body(s3, bucket, "u/w", VersionId="null") == b"w0"


def test_suspended_writes_replace_the_null_version_of_a_nested_key(vb):
    server, s3, bucket = vb
    kept = put(s3, bucket, "s", b"kept")
    t = put(s3, bucket, "s/t", b"t")
    enable(s3, bucket, "Suspended")
    # Answered without a version id (the null version), as AWS does.
    assert "VersionId" not in s3.put_object(Bucket=bucket, Key="s", Body=b"null-1")
    assert "VersionId" not in s3.put_object(Bucket=bucket, Key="s", Body=b"null-2")
    assert listing(server, bucket)[0] == [
        ("v", "s", "null", True), ("v", "s", kept, False), ("v", "s/t", t, True)]
    assert body(s3, bucket, "s", VersionId="null") == b"null-2"
    server.wait_posix_view(bucket, {"s/.fsgate-object": b"null-2", "s/t": b"t"})
    deleted = s3.delete_object(Bucket=bucket, Key="s")
    assert deleted["DeleteMarker"] is True and deleted["VersionId"] == "null"
    entries = listing(server, bucket)[0]
    assert [e[:3] for e in entries if e[1] == "s"] == [("dm", "s", "null"), ("v", "s", kept)]
    assert body(s3, bucket, "s", VersionId=kept) == b"kept"
    server.wait_posix_view(bucket, {"s/t": b"t"})
    enable(s3, bucket)
    s3.delete_object(Bucket=bucket, Key="s", VersionId="null")
    assert body(s3, bucket, "s") == b"kept"
    server.wait_posix_view(bucket, {"s/.fsgate-object": b"kept", "s/t": b"t"})


def test_a_key_with_only_a_history_nests_and_a_version_brought_back_nests_its_file_above(vb):
    server, s3, bucket = vb
    # "x" deleted (a marker), then "x/y" written: a new "x" goes into the directory.
    x1 = put(s3, bucket, "x", b"x1")
    marker = s3.delete_object(Bucket=bucket, Key="x")["VersionId"]
    y1 = put(s3, bucket, "x/y", b"y1")
    x2 = put(s3, bucket, "x", b"x2")
    assert listing(server, bucket)[0] == [
        ("v", "x", x2, True), ("dm", "x", marker, False), ("v", "x", x1, False),
        ("v", "x/y", y1, True)]
    server.wait_posix_view(bucket, {"x/.fsgate-object": b"x2", "x/y": b"y1"})
    # Both deleted: the directory goes. A new "x" is a plain file again, and
    # removing "x/y"'s marker brings "x/y" back beside it (the file "x" nests).
    ym = s3.delete_object(Bucket=bucket, Key="x/y")["VersionId"]
    xm = s3.delete_object(Bucket=bucket, Key="x")["VersionId"]
    server.wait_posix_view(bucket, {})
    x3 = put(s3, bucket, "x", b"x3")
    server.wait_posix_view(bucket, {"x": b"x3"})
    s3.delete_object(Bucket=bucket, Key="x/y", VersionId=ym)
    assert body(s3, bucket, "x/y") == b"y1" and body(s3, bucket, "x") == b"x3"
    assert listing(server, bucket)[0] == [
        ("v", "x", x3, True), ("dm", "x", xm, False), ("v", "x", x2, False),
        ("dm", "x", marker, False), ("v", "x", x1, False), ("v", "x/y", y1, True)]
    server.wait_posix_view(bucket, {"x/.fsgate-object": b"x3", "x/y": b"y1"})
