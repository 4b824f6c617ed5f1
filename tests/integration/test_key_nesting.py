"""--key-conflicts nest through the real gateway: an object "a" beside objects
under "a/" is kept (the file "a" at the hidden name a/.fsgate-object) and S3
sees both keys as AWS does, with --dirops async and sync, in both orders of
arrival; listings are compared page by page with a sorted model of the keys.
"""

import os
import random
import threading

import pytest
from botocore.exceptions import ClientError

from fsgate_server import FsgateServer, etag_of, expect_error

NEST = ["--key-conflicts", "nest"]


@pytest.fixture(scope="module", params=["async", "sync"])
def nest_server(request):
    with FsgateServer(dirops=request.param, extra_args=NEST) as srv:
        yield srv


@pytest.fixture
def nb(nest_server):
    """(server, client, fresh bucket) on the nesting gateway."""
    s3 = nest_server.client()
    name = f"nest-{random.getrandbits(48):012x}"
    s3.create_bucket(Bucket=name)
    return nest_server, s3, name


def body(s3, bucket, key):
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def keys_of(s3, bucket, **kw):
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, **kw).get("Contents", [])]


@pytest.mark.parametrize("order", ["file_first", "beneath_first"])
def test_both_keys_are_served_and_posix_keeps_the_plain_file(nb, order):
    server, s3, bucket = nb
    puts = [("a", b"file a"), ("a/b", b"file a/b")]
    if order == "beneath_first":
        puts.reverse()
    for key, data in puts:
        s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="text/x-" + key[-1])
    assert body(s3, bucket, "a") == b"file a"
    assert body(s3, bucket, "a/b") == b"file a/b"
    head = s3.head_object(Bucket=bucket, Key="a")
    assert head["ETag"] == etag_of(b"file a")
    assert head["ContentType"] == "text/x-a"
    assert head["ContentLength"] == 6
    assert keys_of(s3, bucket) == ["a", "a/b"]
    if server.dirops == "async":  # the move is synchronous, and counted
        assert server.metric_sum("fsgate_sync_fallbacks_total", reason="key_nest") >= (
            1 if order == "file_first" else 0)
    server.wait_drained()
    top = os.path.join(server.root, bucket)
    assert os.path.isdir(os.path.join(top, "a"))
    with open(os.path.join(top, "a", "b"), "rb") as f:
        assert f.read() == b"file a/b"
    with open(os.path.join(top, "a", ".fsgate-object"), "rb") as f:
        assert f.read() == b"file a"


def test_a_file_two_levels_up_is_nested_too(nb):
    _, s3, bucket = nb
    s3.put_object(Bucket=bucket, Key="p", Body=b"p")
    s3.put_object(Bucket=bucket, Key="p/q", Body=b"pq")
    s3.put_object(Bucket=bucket, Key="p/q/r/s", Body=b"pqrs")
    s3.put_object(Bucket=bucket, Key="p/q/", Body=b"")  # the directory object
    assert [body(s3, bucket, k) for k in ("p", "p/q", "p/q/r/s")] == [b"p", b"pq", b"pqrs"]
    assert keys_of(s3, bucket) == ["p", "p/q", "p/q/", "p/q/r/s"]


def test_listing_order_delimiter_and_pages(nb):
    _, s3, bucket = nb
    for key in ["a", "a!", "a/", "a/b", "a/c/d", "a0", "a.txt", "b"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"" if key.endswith("/") else key.encode())
    assert keys_of(s3, bucket) == ["a", "a!", "a.txt", "a/", "a/b", "a/c/d", "a0", "b"]
    r = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [o["Key"] for o in r["Contents"]] == ["a", "a!", "a.txt", "a0", "b"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/"]
    r = s3.list_objects_v2(Bucket=bucket, Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in r["Contents"]] == ["a/", "a/b"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/c/"]
    assert keys_of(s3, bucket, Prefix="a", MaxKeys=2) == ["a", "a!"]
    assert keys_of(s3, bucket, StartAfter="a") == ["a!", "a.txt", "a/", "a/b", "a/c/d", "a0", "b"]
    assert keys_of(s3, bucket, StartAfter="a/") == ["a/b", "a/c/d", "a0", "b"]
    v1 = s3.list_objects(Bucket=bucket, Marker="", MaxKeys=1)
    assert [o["Key"] for o in v1["Contents"]] == ["a"] and v1["IsTruncated"]
    v1 = s3.list_objects(Bucket=bucket, Marker="a", Delimiter="/")
    assert [o["Key"] for o in v1["Contents"]] == ["a!", "a.txt", "a0", "b"]
    # One key a page: the continuation tokens walk every key once, in order.
    seen, token = [], None
    while True:
        kw = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=bucket, MaxKeys=1, **kw)
        seen += [o["Key"] for o in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert seen == ["a", "a!", "a.txt", "a/", "a/b", "a/c/d", "a0", "b"]


def test_delete_copy_and_overwrite_of_the_nested_key(nb):
    server, s3, bucket = nb
    s3.put_object(Bucket=bucket, Key="d", Body=b"one")
    s3.put_object(Bucket=bucket, Key="d/e", Body=b"under")
    s3.put_object(Bucket=bucket, Key="d", Body=b"two")  # overwrites the nested one
    assert body(s3, bucket, "d") == b"two"
    s3.copy_object(Bucket=bucket, Key="d/copy", CopySource={"Bucket": bucket, "Key": "d"})
    s3.copy_object(Bucket=bucket, Key="f", CopySource={"Bucket": bucket, "Key": "d"})
    s3.put_object(Bucket=bucket, Key="f/g", Body=b"fg")
    s3.copy_object(Bucket=bucket, Key="d", CopySource={"Bucket": bucket, "Key": "f/g"})
    assert body(s3, bucket, "d/copy") == b"two"
    assert body(s3, bucket, "f") == b"two"
    assert body(s3, bucket, "d") == b"fg"
    s3.put_object_tagging(Bucket=bucket, Key="d", Tagging={"TagSet": [{"Key": "t", "Value": "1"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="d")["TagSet"] == [{"Key": "t", "Value": "1"}]
    # Deleting what is under "d/" leaves "d" (a directory on disk holding it).
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d/e"}, {"Key": "d/copy"}]})
    assert keys_of(s3, bucket, Prefix="d") == ["d"]
    assert body(s3, bucket, "d") == b"fg"
    # Deleting "d" removes the hidden file; the directory goes with it.
    s3.delete_object(Bucket=bucket, Key="d")
    expect_error(s3.get_object, "NoSuchKey", 404, Bucket=bucket, Key="d")
    assert keys_of(s3, bucket) == ["f", "f/g"]
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "f"}]})
    assert keys_of(s3, bucket) == ["f/g"]
    server.wait_posix_view(bucket, {"f/g": b"fg"})


def test_conditional_writes_see_the_nested_object(nb):
    server, s3, bucket = nb
    s3.put_object(Bucket=bucket, Key="c/x", Body=b"x")

    def put(data, headers):
        return server.raw("PUT", f"/{bucket}/c", headers=headers, body=data).status

    assert put(b"c1", {"If-None-Match": "*"}) == 200
    assert put(b"c2", {"If-None-Match": "*"}) == 412
    assert put(b"c3", {"If-Match": etag_of(b"c2")}) == 412
    assert put(b"c3", {"If-Match": etag_of(b"c1")}) == 200
    assert body(s3, bucket, "c") == b"c3"
    assert put(b"d", {"If-Match": etag_of(b"c3")}) == 200
    assert server.raw("PUT", f"/{bucket}/e", headers={"If-Match": "*"}, body=b"e").status == 404


def test_multipart_completes_onto_a_nested_key(nb):
    _, s3, bucket = nb
    s3.put_object(Bucket=bucket, Key="m/inner", Body=b"inner")
    part = b"x" * (5 << 20)
    up = s3.create_multipart_upload(Bucket=bucket, Key="m")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="m", UploadId=up, PartNumber=1, Body=part)["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=up,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert body(s3, bucket, "m") == part
    assert keys_of(s3, bucket) == ["m", "m/inner"]


def test_the_hidden_name_is_no_key(nb):
    _, s3, bucket = nb
    for key in (".fsgate-object", "a/.fsgate-object", "a/.fsgate-object/b"):
        expect_error(s3.put_object, "InvalidArgument", 400, Bucket=bucket, Key=key, Body=b"x")


def test_nested_objects_survive_a_restart_and_keep_the_bucket(nb):
    server, s3, bucket = nb
    s3.put_object(Bucket=bucket, Key="r", Body=b"r")
    s3.put_object(Bucket=bucket, Key="r/s", Body=b"rs")
    s3.delete_object(Bucket=bucket, Key="r/s")
    expect_error(s3.delete_bucket, "BucketNotEmpty", 409, Bucket=bucket)
    server.restart(kill=True)
    s3 = server.client()
    assert keys_of(s3, bucket) == ["r"]
    assert body(s3, bucket, "r") == b"r"


def test_an_unversioned_nested_key_is_its_null_version(nb):
    _, s3, bucket = nb
    s3.put_object(Bucket=bucket, Key="u", Body=b"u")
    s3.put_object(Bucket=bucket, Key="u/w", Body=b"uw")
    listed = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in listed] == [
        ("u", "null", True), ("u/w", "null", True)]
    assert s3.get_object(Bucket=bucket, Key="u", VersionId="null")["Body"].read() == b"u"
    # Versioned buckets: test_key_nesting_versions.py.


def test_a_key_and_a_key_beneath_it_put_at_once_are_both_kept(nb):
    server, s3, bucket = nb
    errors_before = server.metric_sum("fsgate_async_errors_total")
    answers, lock = [], threading.Lock()

    def side(pair, beneath):
        barrier = barriers[pair]
        for i in range(25):
            key = f"race/p{pair}/k{i}" + (["/f", "/"][i % 2] if beneath else "")
            barrier.wait()
            try:
                s3.put_object(Bucket=bucket, Key=key, Body=b"" if key.endswith("/") else key.encode())
                result = "ok"
            except ClientError as e:
                result = e.response["Error"]["Code"]
            with lock:
                answers.append((key, result))

    for pair in range(3):
        s3.put_object(Bucket=bucket, Key=f"race/p{pair}/seed", Body=b"seed")
    barriers = [threading.Barrier(2) for _ in range(3)]
    threads = [threading.Thread(target=side, args=(p, b)) for p in range(3) for b in (False, True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a for a in answers if a[1] != "ok"] == []
    server.wait_drained()
    for key, _ in answers:
        assert body(s3, bucket, key) == (b"" if key.endswith("/") else key.encode()), key
    listed = set(keys_of(s3, bucket, Prefix="race/"))
    assert {k for k, _ in answers} <= listed
    assert server.metric_sum("fsgate_async_errors_total") == errors_before


def test_readers_never_miss_a_key_while_it_moves(nb):
    """GET, HEAD and LIST of "g{i}" at the moment "g{i}/x" moves it into its directory."""
    server, s3, bucket = nb
    n = 40
    for i in range(n):
        s3.put_object(Bucket=bucket, Key=f"g{i}", Body=f"g{i}".encode())
    misses, barrier = [], threading.Barrier(3)

    def writer():
        for i in range(n):
            barrier.wait()
            s3.put_object(Bucket=bucket, Key=f"g{i}/x", Body=b"x")

    def reader(kind):
        for i in range(n):
            key = f"g{i}"
            barrier.wait()
            for _ in range(3):
                try:
                    if kind == "get":
                        ok = body(s3, bucket, key) == key.encode()
                    else:
                        ok = key in keys_of(s3, bucket, Prefix=key)
                except ClientError as e:
                    ok = e.response["Error"]["Code"]
                if ok is not True:
                    misses.append((kind, key, ok))

    threads = [threading.Thread(target=writer), threading.Thread(target=reader, args=("get",)),
               threading.Thread(target=reader, args=("list",))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert misses == []
    assert keys_of(s3, bucket, Prefix="g1/") == ["g1/x"]


def test_reject_mode_still_refuses_the_conflict():
    with FsgateServer(dirops="sync") as srv:
        s3 = srv.client()
        s3.create_bucket(Bucket="reject-mode")
        s3.put_object(Bucket="reject-mode", Key="a", Body=b"a")
        expect_error(s3.put_object, "InvalidRequest", 400, Bucket="reject-mode", Key="a/b",
                     Body=b"ab")
        s3.put_object(Bucket="reject-mode", Key="z/y", Body=b"zy")
        expect_error(s3.put_object, "InvalidRequest", 400, Bucket="reject-mode", Key="z",
                     Body=b"z")


# --- listings against a model --------------------------------------------------

COMPONENTS = ["a", "b", "a!", "a0", "a.b"]


def random_key(rng):
    key = "/".join(rng.choice(COMPONENTS) for _ in range(rng.randint(1, 3)))
    return key + "/" if rng.random() < 0.1 else key


def model_listing(keys, prefix, delimiter):
    """[(kind, value)] as S3 lists them: keys and common prefixes in one order."""
    out = []
    for key in sorted(k for k in keys if k.startswith(prefix)):
        if delimiter:
            pos = key.find(delimiter, len(prefix))
            if pos >= 0:
                common = key[:pos + len(delimiter)]
                if not out or out[-1] != ("prefix", common):
                    out.append(("prefix", common))
                continue
        out.append(("key", key))
    return out


def paged_listing(s3, bucket, prefix, delimiter, max_keys):
    entries, pages, token = [], [], None
    while True:
        kw = {"Prefix": prefix, "MaxKeys": max_keys}
        if delimiter:
            kw["Delimiter"] = delimiter
        if token:
            kw["ContinuationToken"] = token
        page = s3.list_objects_v2(Bucket=bucket, **kw)
        got = [("key", o["Key"]) for o in page.get("Contents", [])]
        got += [("prefix", p["Prefix"]) for p in page.get("CommonPrefixes", [])]
        got.sort(key=lambda e: e[1])
        pages.append(len(got))
        entries += got
        if not page["IsTruncated"]:
            return entries, pages
        token = page["NextContinuationToken"]


def test_listings_match_a_sorted_model(nb):
    _, s3, bucket = nb
    rng = random.Random(14)
    model = {}
    for _ in range(160):
        key = random_key(rng)
        if key in model and rng.random() < 0.35:
            s3.delete_object(Bucket=bucket, Key=key)
            del model[key]
            continue
        data = b"" if key.endswith("/") else f"{key}:{rng.random()}".encode()
        s3.put_object(Bucket=bucket, Key=key, Body=data)
        model[key] = data
    # Every kind of conflict came up.
    nested = [k for k in model if not k.endswith("/") and any(o.startswith(k + "/") for o in model)]
    assert len(nested) >= 3, nested
    for prefix in ["", "a", "a/", "a!", "b/a", "a/a/"]:
        for delimiter in ["", "/"]:
            for max_keys in (1, 3, 1000):
                want = model_listing(model, prefix, delimiter)
                got, pages = paged_listing(s3, bucket, prefix, delimiter, max_keys)
                assert got == want, (prefix, delimiter, max_keys)
                assert all(n == max_keys for n in pages[:-1]), (prefix, delimiter, pages)
    for key, data in model.items():
        if not key.endswith("/"):
            assert body(s3, bucket, key) == data, key
