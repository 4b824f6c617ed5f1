"""ListObjects (v1) and ListObjectsV2 through the real gateway (async dirops).

S3 lists keys in UTF-8 byte order over the whole key, not per directory: a filesystem
walk must still put "a.b" (0x2E) before "a/b" (0x2F) before "a0" (0x30).
"""

import concurrent.futures
import random
import re
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

from fsgate_server import etag_of, expect_error

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def put_all(s3, bucket, keys, body=None):
    def put(k):
        s3.put_object(Bucket=bucket, Key=k, Body=body if body is not None else k.encode())
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(put, keys))


def byte_sorted(keys):
    return sorted(keys, key=lambda k: k.encode())


def list_all_v2(s3, bucket, **kw):
    """Follow continuation tokens; returns (keys, prefixes, pages)."""
    keys, prefixes, pages = [], [], 0
    token = None
    while True:
        args = dict(kw)
        if token:
            args["ContinuationToken"] = token
        resp = s3.list_objects_v2(Bucket=bucket, **args)
        pages += 1
        contents = resp.get("Contents", [])
        cps = resp.get("CommonPrefixes", [])
        assert resp["KeyCount"] == len(contents) + len(cps), resp
        if "MaxKeys" in kw:
            assert resp["KeyCount"] <= kw["MaxKeys"]
        keys += [o["Key"] for o in contents]
        prefixes += [p["Prefix"] for p in cps]
        if not resp["IsTruncated"]:
            assert "NextContinuationToken" not in resp
            return keys, prefixes, pages
        token = resp["NextContinuationToken"]
        assert token
        assert pages < 10000


def list_all_v1(s3, bucket, **kw):
    keys, prefixes, pages = [], [], 0
    marker = None
    while True:
        args = dict(kw)
        if marker is not None:
            args["Marker"] = marker
        resp = s3.list_objects(Bucket=bucket, **args)
        pages += 1
        contents = resp.get("Contents", [])
        cps = resp.get("CommonPrefixes", [])
        keys += [o["Key"] for o in contents]
        prefixes += [p["Prefix"] for p in cps]
        if not resp["IsTruncated"]:
            return keys, prefixes, pages
        if "Delimiter" in kw:
            # With a delimiter S3 returns NextMarker (the last key or prefix of the page).
            assert resp.get("NextMarker"), resp
            last = max([o["Key"] for o in contents] + [p["Prefix"] for p in cps], key=lambda k: k.encode())
            assert resp["NextMarker"] == last
            marker = resp["NextMarker"]
        else:
            marker = resp.get("NextMarker") or contents[-1]["Key"]
        assert pages < 10000


def expected_delimited(keys, prefix="", delimiter="/"):
    contents, prefixes = [], set()
    for k in keys:
        if not k.startswith(prefix):
            continue
        rest = k[len(prefix):]
        i = rest.find(delimiter)
        if i >= 0:
            prefixes.add(prefix + rest[:i + len(delimiter)])
        else:
            contents.append(k)
    return byte_sorted(contents), byte_sorted(prefixes)


# ----------------------------------------------------------------------------------------
# A shared bucket of 3,000 keys over nested directories, filled once.


def _big_keys():
    rnd = random.Random(1234)
    keys = set()
    suffixes = ["", ".txt", "-x", ".b", "_u", "~t"]
    while len(keys) < 3000:
        depth = rnd.choice([0, 1, 1, 2, 2, 3])
        parts = [rnd.choice(["a", "a.b", "a-b", "a0", "b", "dir", "dir.d", "é", "z z"]) for _ in range(depth)]
        leaf = f"k{rnd.randrange(100000):05d}{rnd.choice(suffixes)}"
        keys.add("/".join(parts + [leaf]))
    # A key may not also be a directory of other keys: drop the few leaves that would be.
    dirs = {k.rsplit("/", i)[0] for k in keys for i in range(1, k.count("/") + 1)}
    return byte_sorted(k for k in keys if k not in dirs)


@pytest.fixture(scope="module")
def big_bucket(server):
    s3 = server.client()
    name = "big-listing"
    s3.create_bucket(Bucket=name)
    keys = _big_keys()
    put_all(s3, name, keys, body=b"")
    return name, keys


def test_pagination_v2_over_3000_keys(server, big_bucket):
    bucket, keys = big_bucket
    s3 = server.client()
    got, prefixes, pages = list_all_v2(s3, bucket, MaxKeys=100)
    assert prefixes == []
    assert len(got) == len(keys) and got == keys
    assert pages == (len(keys) + 99) // 100


def test_default_page_is_1000(server, big_bucket):
    bucket, keys = big_bucket
    s3 = server.client()
    resp = s3.list_objects_v2(Bucket=bucket)
    assert resp["KeyCount"] == 1000 and resp["IsTruncated"] is True and resp["MaxKeys"] == 1000
    assert [o["Key"] for o in resp["Contents"]] == keys[:1000]
    resp = s3.list_objects(Bucket=bucket)
    assert len(resp["Contents"]) == 1000 and resp["IsTruncated"] is True
    assert [o["Key"] for o in resp["Contents"]] == keys[:1000]


def test_pagination_v1_over_3000_keys(server, big_bucket):
    bucket, keys = big_bucket
    s3 = server.client()
    got, _, pages = list_all_v1(s3, bucket, MaxKeys=100)
    assert got == keys
    assert pages == (len(keys) + 99) // 100


@pytest.mark.parametrize("prefix", ["", "a/", "a.b/", "dir/", "dir", "a", "z z/", "é/", "nomatch/"])
@pytest.mark.parametrize("max_keys", [7, 1000])
def test_delimited_pagination_matches_model(server, big_bucket, prefix, max_keys):
    bucket, keys = big_bucket
    s3 = server.client()
    want_keys, want_prefixes = expected_delimited(keys, prefix)
    got_keys, got_prefixes, _ = list_all_v2(s3, bucket, Prefix=prefix, Delimiter="/", MaxKeys=max_keys)
    assert got_keys == want_keys
    assert got_prefixes == want_prefixes
    got_keys, got_prefixes, _ = list_all_v1(s3, bucket, Prefix=prefix, Delimiter="/", MaxKeys=max_keys)
    assert got_keys == want_keys
    assert got_prefixes == want_prefixes


def test_start_after_over_big_bucket(server, big_bucket):
    bucket, keys = big_bucket
    s3 = server.client()
    for start in [keys[0], keys[1499], "a/", "a.", "dir/dir", keys[-1], "zzzz", ""]:
        got, _, _ = list_all_v2(s3, bucket, StartAfter=start, MaxKeys=500)
        assert got == [k for k in keys if k.encode() > start.encode()], start


# ----------------------------------------------------------------------------------------
# Small, exact cases


def test_byte_order_across_directories(server, s3, bucket):
    keys = ["a!", "a-c", "a.b", "a/b", "a/c/d", "a0", "aa", "b", "a/b!", "a/b.c", "a/b0/x", "A", "é", "~"]
    put_all(s3, bucket, keys)
    want = byte_sorted(keys)
    assert want.index("a.b") < want.index("a/b") < want.index("a0")
    resp = s3.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in resp["Contents"]] == want
    # One key per page gives the same order.
    assert list_all_v2(s3, bucket, MaxKeys=1)[0] == want
    assert list_all_v1(s3, bucket, MaxKeys=1)[0] == want
    resp = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    # CommonPrefixes and Contents are each sorted; together they interleave in byte order.
    assert [o["Key"] for o in resp["Contents"]] == byte_sorted(k for k in keys if "/" not in k)
    assert [p["Prefix"] for p in resp["CommonPrefixes"]] == ["a/"]
    got, prefixes, _ = list_all_v2(s3, bucket, Delimiter="/", MaxKeys=2)
    assert got == byte_sorted(k for k in keys if "/" not in k) and prefixes == ["a/"]


def test_prefix_ending_mid_name(server, s3, bucket):
    keys = ["dir/a", "dir/file1", "dir/file2", "dir/fig/x", "dir/fig/y/z", "dir/fi", "dir/g", "di", "dirx/fi"]
    put_all(s3, bucket, keys)
    resp = s3.list_objects_v2(Bucket=bucket, Prefix="dir/fi")
    assert [o["Key"] for o in resp["Contents"]] == ["dir/fi", "dir/fig/x", "dir/fig/y/z", "dir/file1", "dir/file2"]
    resp = s3.list_objects_v2(Bucket=bucket, Prefix="dir/fi", Delimiter="/")
    assert [o["Key"] for o in resp["Contents"]] == ["dir/fi", "dir/file1", "dir/file2"]
    assert [p["Prefix"] for p in resp["CommonPrefixes"]] == ["dir/fig/"]
    resp = s3.list_objects_v2(Bucket=bucket, Prefix="di", Delimiter="/")
    assert [o["Key"] for o in resp["Contents"]] == ["di"]
    assert [p["Prefix"] for p in resp["CommonPrefixes"]] == ["dir/", "dirx/"]
    resp = s3.list_objects_v2(Bucket=bucket, Prefix="dir/fig/y/z/")
    assert resp["KeyCount"] == 0 and "Contents" not in resp


def test_common_prefixes_for_nested_directories(server, s3, bucket):
    keys = ["top", "x/1", "x/y/2", "x/y/z/3", "x/y/z/w/4", "x/y2/5", "q/r/s/t"]
    put_all(s3, bucket, keys)
    for prefix, (want_keys, want_prefixes) in {
        "": (["top"], ["q/", "x/"]),
        "x/": (["x/1"], ["x/y/", "x/y2/"]),
        "x/y/": (["x/y/2"], ["x/y/z/"]),
        "x/y/z/": (["x/y/z/3"], ["x/y/z/w/"]),
        "q/": ([], ["q/r/"]),
    }.items():
        resp = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, Delimiter="/")
        assert [o["Key"] for o in resp.get("Contents", [])] == want_keys, prefix
        assert [p["Prefix"] for p in resp.get("CommonPrefixes", [])] == want_prefixes, prefix
        assert resp["KeyCount"] == len(want_keys) + len(want_prefixes)
        assert resp["Prefix"] == prefix and resp["Delimiter"] == "/"


def test_other_delimiters(server, s3, bucket):
    keys = ["a-b-c", "a-b-d", "a-e", "f", "g/h-i"]
    put_all(s3, bucket, keys)
    resp = s3.list_objects_v2(Bucket=bucket, Delimiter="-")
    assert [o["Key"] for o in resp.get("Contents", [])] == ["f"]
    assert [p["Prefix"] for p in resp["CommonPrefixes"]] == ["a-", "g/h-"]
    resp = s3.list_objects_v2(Bucket=bucket, Delimiter="b-")
    assert [p["Prefix"] for p in resp["CommonPrefixes"]] == ["a-b-"]
    assert [o["Key"] for o in resp["Contents"]] == ["a-e", "f", "g/h-i"]


def test_emptied_directories_never_show(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="keep/me", Body=b"k")
    for i in range(20):
        key = f"gone{i % 3}/deep/er/obj{i}"
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
        s3.delete_object(Bucket=bucket, Key=key)
        resp = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
        assert [p["Prefix"] for p in resp.get("CommonPrefixes", [])] == ["keep/"], i
        assert s3.list_objects_v2(Bucket=bucket, Prefix=f"gone{i % 3}/")["KeyCount"] == 0
        resp = s3.list_objects(Bucket=bucket, Prefix="gone", Delimiter="/")
        assert not resp.get("CommonPrefixes") and not resp.get("Contents")
    server.wait_posix_view(bucket, {"keep/me": b"k"})
    resp = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in resp.get("CommonPrefixes", [])] == ["keep/"]


def test_list_after_write_and_delete_is_immediate(server, s3, bucket):
    rnd = random.Random(99)
    present = {}
    for i in range(150):
        key = f"{rnd.choice(['p', 'q', 'p/q'])}/{rnd.choice(['x', 'y', 'z'])}{rnd.randrange(10)}"
        if key in present and rnd.random() < 0.5:
            s3.delete_object(Bucket=bucket, Key=key)
            del present[key]
        else:
            body = f"v{i}".encode()
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            present[key] = body
        resp = s3.list_objects_v2(Bucket=bucket)
        listed = {o["Key"]: (o["ETag"], o["Size"]) for o in resp.get("Contents", [])}
        assert listed == {k: (etag_of(v), len(v)) for k, v in present.items()}, i
    server.wait_posix_view(bucket, present)


def test_v2_fields_and_fetch_owner(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="one", Body=b"12345")
    resp = s3.list_objects_v2(Bucket=bucket)
    assert resp["Name"] == bucket and resp["KeyCount"] == 1 and resp["IsTruncated"] is False
    obj = resp["Contents"][0]
    assert obj["Size"] == 5 and obj["ETag"] == etag_of(b"12345") and obj["StorageClass"] == "STANDARD"
    assert "Owner" not in obj, "v2 omits Owner unless fetch-owner=true"
    resp = s3.list_objects_v2(Bucket=bucket, FetchOwner=True)
    assert resp["Contents"][0]["Owner"]["ID"]
    # v1 always returns Owner.
    resp = s3.list_objects(Bucket=bucket)
    assert resp["Contents"][0]["Owner"]["ID"]


def test_max_keys_and_truncation(server, s3, bucket):
    keys = [f"k{i:02d}" for i in range(10)]
    put_all(s3, bucket, keys)
    resp = s3.list_objects_v2(Bucket=bucket, MaxKeys=10)
    assert resp["IsTruncated"] is False and resp["KeyCount"] == 10
    resp = s3.list_objects_v2(Bucket=bucket, MaxKeys=9)
    assert resp["IsTruncated"] is True and resp["KeyCount"] == 9
    resp = s3.list_objects_v2(Bucket=bucket, MaxKeys=3, StartAfter="k05")
    assert [o["Key"] for o in resp["Contents"]] == ["k06", "k07", "k08"] and resp["IsTruncated"] is True
    assert resp["StartAfter"] == "k05"
    # Continuation token wins over start-after.
    resp2 = s3.list_objects_v2(Bucket=bucket, MaxKeys=3, StartAfter="k00",
                               ContinuationToken=resp["NextContinuationToken"])
    assert [o["Key"] for o in resp2["Contents"]] == ["k09"] and resp2["IsTruncated"] is False
    resp = s3.list_objects(Bucket=bucket, Marker="k07")
    assert [o["Key"] for o in resp["Contents"]] == ["k08", "k09"]
    # Without a delimiter v1 gives no NextMarker; the client uses the last key.
    resp = s3.list_objects(Bucket=bucket, MaxKeys=2)
    assert resp["IsTruncated"] is True and [o["Key"] for o in resp["Contents"]] == ["k00", "k01"]


def test_invalid_list_arguments(server, s3, bucket):
    resp = server.raw("GET", f"/{bucket}", query={"list-type": "2", "max-keys": "-1"})
    assert resp.status == 400 and resp.error_code() == "InvalidArgument", resp
    resp = server.raw("GET", f"/{bucket}", query={"list-type": "2", "max-keys": "abc"})
    assert resp.status == 400 and resp.error_code() == "InvalidArgument", resp
    resp = server.raw("GET", f"/{bucket}", query={"list-type": "2", "continuation-token": "garbage!!"})
    assert resp.status == 400 and resp.error_code() == "InvalidArgument", resp
    resp = server.raw("GET", f"/{bucket}", query={"list-type": "2", "encoding-type": "base64"})
    assert resp.status == 400 and resp.error_code() == "InvalidArgument", resp
    expect_error(s3.list_objects_v2, "NoSuchBucket", 404, Bucket="no-such-bucket-fsgate-it")


def _raw_list(server, bucket, **query):
    resp = server.raw("GET", f"/{bucket}", query=query)
    assert resp.status == 200, resp
    return ET.fromstring(resp.body)


def test_encoding_type_url_and_xml_escaping(server, s3, bucket):
    keys = ["with space/a+b", "ü/ß", "amp&lt<gt>\"'", "pct%41", "ctl\ttab"]
    put_all(s3, bucket, keys)
    # Without encoding-type: the keys, XML-escaped (ElementTree unescapes).
    root = _raw_list(server, bucket, **{"list-type": "2"})
    assert [e.text for e in root.iter(f"{NS}Key")] == byte_sorted(keys)
    # With encoding-type=url: each key percent-encoded, and EncodingType echoed.
    root = _raw_list(server, bucket, **{"list-type": "2", "encoding-type": "url"})
    assert root.find(f"{NS}EncodingType").text == "url"
    encoded = [e.text for e in root.iter(f"{NS}Key")]
    for e in encoded:
        assert re.fullmatch(r"[A-Za-z0-9%+\-_.~/*]*", e), f"not URL-encoded: {e!r}"
    assert [urllib.parse.unquote_plus(e) for e in encoded] == byte_sorted(keys)
    root = _raw_list(server, bucket, **{"list-type": "2", "encoding-type": "url", "delimiter": "/"})
    assert [urllib.parse.unquote_plus(e.text) for e in root.iter(f"{NS}Prefix") if e.text] == ["with space/", "ü/"]
    # v1 as well.
    root = _raw_list(server, bucket, **{"encoding-type": "url"})
    assert [urllib.parse.unquote_plus(e.text) for e in root.iter(f"{NS}Key")] == byte_sorted(keys)
    # boto3 asks for url encoding and decodes; the keys come back exact.
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == byte_sorted(keys)


def test_v1_echoes_its_prefix_as_sent_and_v2_encodes_it(server, s3, bucket):
    """botocore decodes ListObjectsV2's Prefix but never ListObjects' (V1):
    both come back to the SDK as the prefix asked for."""
    put_all(s3, bucket, ["foo/bar", "quux"])
    for prefix in ["\n", "a b/ü"]:
        v1 = s3.list_objects(Bucket=bucket, Prefix=prefix)
        assert v1["Prefix"] == prefix and "Contents" not in v1
        v2 = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
        assert v2["Prefix"] == prefix and v2["KeyCount"] == 0
    root = _raw_list(server, bucket, **{"encoding-type": "url", "prefix": "a b"})
    assert root.find(f"{NS}Prefix").text == "a b"
    root = _raw_list(server, bucket, **{"list-type": "2", "encoding-type": "url", "prefix": "a b"})
    assert root.find(f"{NS}Prefix").text == "a%20b"


def test_an_empty_continuation_token_is_no_token(server, s3, bucket):
    put_all(s3, bucket, ["bar", "baz", "foo"])
    got = s3.list_objects_v2(Bucket=bucket, ContinuationToken="")
    assert got["ContinuationToken"] == "" and not got["IsTruncated"]
    assert [o["Key"] for o in got["Contents"]] == ["bar", "baz", "foo"]
    got = s3.list_objects_v2(Bucket=bucket, ContinuationToken="", StartAfter="baz")
    assert [o["Key"] for o in got["Contents"]] == ["foo"]


def test_listing_never_shows_internal_state(server, s3, bucket):
    # Staging inodes, journals and multipart parts live under ROOT/.fsgate: never listed.
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"p" * 100)
    put_all(s3, bucket, [f"k{i}" for i in range(50)])
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == byte_sorted(f"k{i}" for i in range(50))
    s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"])


def list_all(s3, bucket, **kwargs):
    keys, token = {}, None
    while True:
        args = dict(Bucket=bucket, **kwargs)
        if token:
            args["ContinuationToken"] = token
        page = s3.list_objects_v2(**args)
        for o in page.get("Contents", []):
            keys[o["Key"]] = (o["Size"], o["ETag"])
        token = page.get("NextContinuationToken")
        if not token:
            return keys


def pages_v2(s3, bucket, **kw):
    """Each ListObjectsV2 page in turn, the next asked for when the caller
    comes back for it."""
    token = None
    while True:
        args = dict(Bucket=bucket, **kw)
        if token:
            args["ContinuationToken"] = token
        page = s3.list_objects_v2(**args)
        yield page
        token = page.get("NextContinuationToken")
        if not token:
            return


def test_kept_listing_sees_every_change_beside_the_gateway(server, s3, bucket):
    """Sorted directory listings are kept between pages while the directory is
    unchanged: a POSIX writer adding, removing or rewriting a file in place is
    still seen by the next listing, and the keep is used (hits counted)."""
    import os
    import time
    put_all(s3, bucket, [f"d/k{i:04d}" for i in range(1500)], body=b"x")
    server.wait_drained()
    time.sleep(1.2)  # older than the racy margin: the next read may be kept
    first = list_all(s3, bucket, MaxKeys=400)
    assert len(first) == 1500
    hits = server.metric_sum("fsgate_list_cache_lookups_total", result="hit")
    assert list_all(s3, bucket, MaxKeys=400) == first
    assert server.metric_sum("fsgate_list_cache_lookups_total", result="hit") >= hits + 3
    assert server.metric_sum("fsgate_list_cache_bytes") > 0
    d = os.path.join(server.root, bucket, "d")
    with open(os.path.join(d, "k0100"), "ab") as f:  # rewritten in place: dir mtime unchanged
        f.write(b"more")
    with open(os.path.join(d, "k9999"), "wb") as f:
        f.write(b"posix")
    os.unlink(os.path.join(d, "k0007"))
    after = list_all(s3, bucket, MaxKeys=400)
    assert "k9999" in {k.split("/")[1] for k in after}
    assert "d/k0007" not in after
    assert after["d/k0100"][0] == 5
    assert after["d/k9999"][0] == 5
    assert len(after) == 1500
    # And through the gateway (async: answered before applied) at once.
    s3.put_object(Bucket=bucket, Key="d/k0500", Body=b"changed!")
    s3.delete_object(Bucket=bucket, Key="d/k0501")
    latest = list_all(s3, bucket, MaxKeys=400)
    assert latest["d/k0500"][0] == 8 and "d/k0501" not in latest


def test_kept_etags_under_puts_and_deletes_during_a_paged_walk(server, s3, bucket):
    """A kept listing's ETags serve only the exact file they were read from.
    A paged walk of a kept directory while keys in it are overwritten, added
    and deleted (between its pages, and all along from another client) lists
    each key the writers never touched once, in order, with its ETag; once
    the directory is calm, its next listings (read again, ETags carried over
    from the replaced one, then kept) match the bucket exactly, a multipart's
    "-N" ETag and overwrites by POSIX renames included."""
    import os
    import threading
    import time
    from fsgate_server import multipart_etag
    model = {f"d/k{i:04d}": f"d/k{i:04d}".encode() for i in range(1000)}
    put_all(s3, bucket, list(model))  # each key's body is its name
    etags = {k: etag_of(v) for k, v in model.items()}
    up = s3.create_multipart_upload(Bucket=bucket, Key="d/k0600m")
    parts = [b"m" * (5 << 20), b"tail"]
    done = [s3.upload_part(Bucket=bucket, Key="d/k0600m", UploadId=up["UploadId"],
                           PartNumber=n + 1, Body=body) for n, body in enumerate(parts)]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="d/k0600m", UploadId=up["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": n + 1, "ETag": p["ETag"]}
                                   for n, p in enumerate(done)]})
    model["d/k0600m"] = b"".join(parts)
    etags["d/k0600m"] = multipart_etag(parts)
    assert etags["d/k0600m"].endswith('-2"')
    server.wait_drained()
    time.sleep(1.2)  # older than the racy margin: the next read is kept
    assert list_all(s3, bucket) == {k: (len(model[k]), etags[k]) for k in model}

    touched, lock, stop = set(), threading.Lock(), threading.Event()

    def writer():
        c = server.client()
        i = 0
        while not stop.is_set():
            key = f"d/k{(i * 37) % 1000:04d}"
            with lock:
                touched.add(key)
            if i % 3 == 2:
                c.delete_object(Bucket=bucket, Key=key)
                with lock:
                    model.pop(key, None)
            else:
                body = f"w{i}".encode()
                c.put_object(Bucket=bucket, Key=key, Body=body)
                with lock:
                    model[key], etags[key] = body, etag_of(body)
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        walked = []
        for page_no, page in enumerate(pages_v2(s3, bucket, MaxKeys=100)):
            for o in page.get("Contents", []):
                walked.append(o["Key"])
                with lock:
                    if o["Key"] not in touched:
                        assert (o["Size"], o["ETag"]) == (len(model[o["Key"]]),
                                                           etags[o["Key"]]), o["Key"]
            # Between pages: one key ahead overwritten, one ahead deleted, one
            # ahead added, one behind overwritten.
            ahead, behind = f"d/k{page_no * 100 + 150:04d}", f"d/k{page_no * 100 + 50:04d}"
            for key, body in ((ahead, b"ahead"), (behind, b"behind"), (ahead + "n", b"new")):
                s3.put_object(Bucket=bucket, Key=key, Body=body)
                with lock:
                    touched.add(key)
                    model[key], etags[key] = body, etag_of(body)
            gone = f"d/k{page_no * 100 + 160:04d}"
            s3.delete_object(Bucket=bucket, Key=gone)
            with lock:
                touched.add(gone)
                model.pop(gone, None)
    finally:
        stop.set()
        thread.join()
    assert walked == byte_sorted(set(walked)), "each key once, in order"
    assert {k for k in model if k not in touched} <= set(walked)
    # A POSIX rename over a kept key: the same name, another file.
    server.wait_drained()
    dst, src = sorted(k for k in model if k not in touched and not k.endswith("m"))[-2:]
    os.rename(os.path.join(server.root, bucket, src), os.path.join(server.root, bucket, dst))
    model[dst], etags[dst] = model.pop(src), etags.pop(src)
    time.sleep(1.2)
    expected = {k: (len(model[k]), etags[k]) for k in model}
    assert list_all(s3, bucket, MaxKeys=400) == expected  # read again, ETags carried over
    assert list_all(s3, bucket, MaxKeys=400) == expected  # from the keep


def test_directory_larger_than_the_keep_lists_page_by_page():
    """A directory larger than the listing keep's bound (--list-cache-mib 0:
    nothing is kept) is read again for each page and still listed whole, in
    order, each key once; a PUT ahead of the walk between pages appears, one
    behind it does not, a DELETE ahead of it hides the key."""
    import os
    from fsgate_server import FsgateServer
    with FsgateServer(extra_args=["--list-cache-mib", "0"]) as srv:
        s3 = srv.client()
        bucket = "big-listing"
        s3.create_bucket(Bucket=bucket)
        d = os.path.join(srv.root, bucket, "big")
        os.makedirs(os.path.join(d, "sub"))
        names = [f"big/f{i:05d}" for i in range(2500)] + ["big/sub/x", "big/f00010.b"]
        for key in names:
            with open(os.path.join(srv.root, bucket, key), "wb") as f:
                f.write(b"v")
        for key in ["big.txt", "big0"]:
            s3.put_object(Bucket=bucket, Key=key, Body=b"v")
        expected = set(names) | {"big.txt", "big0"}
        keys, pages = [], 0
        for page in pages_v2(s3, bucket, MaxKeys=700):
            pages += 1
            keys += [o["Key"] for o in page.get("Contents", [])]
            if pages == 1:
                assert keys[-1] < "big/f01000"
                s3.put_object(Bucket=bucket, Key="big/f00001x", Body=b"behind")
                s3.put_object(Bucket=bucket, Key="big/f02000x", Body=b"ahead")
                s3.delete_object(Bucket=bucket, Key="big/f02001")
                expected |= {"big/f02000x"}
                expected -= {"big/f02001"}
        assert keys == byte_sorted(expected)
        assert pages == 4
        assert srv.metric_sum("fsgate_list_cache_bytes") == 0
        assert srv.metric_sum("fsgate_list_cache_lookups_total", result="hit") == 0


def test_list_cache_bound_out_of_range_is_refused(tmp_path):
    import subprocess
    from fsgate_server import fsgate_bin
    done = subprocess.run([fsgate_bin(), "serve", "--root", str(tmp_path), "--list-cache-mib",
                           "-1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=30)
    assert done.returncode == 2
    assert "--list-cache-mib must be between 0 and 1048576" in done.stdout
