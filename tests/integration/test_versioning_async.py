"""Versioned writes under async dirops: a PUT to a versioning-Enabled bucket is
one journal intent (the old latest displaced into the key's history, the new
one linked), and so is a DELETE that leaves a delete marker, and the PUTs and
DELETEs of a Suspended bucket; each answered without a sync fallback, and every
version and marker is readable through the gateway at once, under
concurrency, before the applier runs."""

import concurrent.futures

import botocore.exceptions

from test_versioning import enable, versions_of


def fallbacks(srv):
    """{reason: count} of fsgate_sync_fallbacks_total."""
    return {dict(ls)["reason"]: v for (n, ls), v in srv.metrics().items()
            if n == "fsgate_sync_fallbacks_total" and v}


def warm(server, s3, bucket):
    """The fallbacks so far, once "warm" and "d/warm" are written and applied."""
    s3.put_object(Bucket=bucket, Key="warm", Body=b"w")
    s3.put_object(Bucket=bucket, Key="d/warm", Body=b"w")
    server.wait_drained()
    server.wait_delegated_inodes()
    return fallbacks(server)


def test_versioned_puts_are_async_intents_not_sync_fallbacks(server, bucket):
    s3 = server.client()
    enable(s3, bucket)
    before = warm(server, s3, bucket)
    before_versioned = server.metric_sum("fsgate_sync_fallbacks_total", reason="versioned")
    ids = {}
    for i in range(5):
        for key in ("k", "d/k", "warm"):
            ids.setdefault(key, []).append(
                s3.put_object(Bucket=bucket, Key=key, Body=b"%s-%d" % (key.encode(), i))["VersionId"])
    assert server.metric_sum("fsgate_sync_fallbacks_total", reason="versioned") == before_versioned
    assert fallbacks(server) == before
    for key, vids in ids.items():
        for i, vid in enumerate(vids):
            got = s3.get_object(Bucket=bucket, Key=key, VersionId=vid)
            assert got["Body"].read() == b"%s-%d" % (key.encode(), i)
    server.wait_drained()
    files, _ = server.posix_view(bucket)
    assert files == {"warm": b"warm-4", "k": b"k-4", "d/k": b"d/k-4", "d/warm": b"w"}


def test_every_version_is_read_after_write_under_concurrency(server, bucket):
    s3 = server.client()
    enable(s3, bucket)
    s3.put_object(Bucket=bucket, Key="c/seed", Body=b"s")
    keys = ["c/k%d" % (i % 4) for i in range(8)]  # two writers per key

    def writer(w):
        key = keys[w]
        c = server.client()
        mine = []
        for i in range(12):
            body = b"w%d-%d" % (w, i)
            r = c.put_object(Bucket=bucket, Key=key, Body=body)
            mine.append((r["VersionId"], body))
            # The new version and every earlier one of this writer, at once:
            # the one just displaced is read from where it is being moved.
            for vid, want in mine[-3:]:
                got = c.get_object(Bucket=bucket, Key=key, VersionId=vid)
                assert got["Body"].read() == want and got["VersionId"] == vid
                head = c.head_object(Bucket=bucket, Key=key, VersionId=vid)
                assert head["ContentLength"] == len(want)
        return key, mine

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(writer, range(8)))
    written = {}
    for key, mine in results:
        written.setdefault(key, {}).update(dict(mine))
    _, listed = versions_of(s3, bucket, Prefix="c/k")
    by_key = {}
    for key, vid, latest, kind, _ in listed:
        assert kind == "v"
        by_key.setdefault(key, []).append((vid, latest))
    for key, vids in written.items():
        assert sorted(v for v, _ in by_key[key]) == sorted(vids)
        assert [latest for _, latest in by_key[key]] == [True] + [False] * (len(vids) - 1)
        newest = by_key[key][0][0]
        got = s3.get_object(Bucket=bucket, Key=key)
        assert got["VersionId"] == newest and got["Body"].read() == vids[newest]
        for vid, want in vids.items():
            assert s3.get_object(Bucket=bucket, Key=key, VersionId=vid)["Body"].read() == want
    keys_listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="c/")["Contents"]]
    assert keys_listed == ["c/k0", "c/k1", "c/k2", "c/k3", "c/seed"]
    server.wait_drained()
    # Applied: the same answers from the filesystem.
    _, again = versions_of(s3, bucket, Prefix="c/k")
    assert [(k, v, l) for k, v, l, _, _ in again] == [(k, v, l) for k, v, l, _, _ in listed]


def latest_is_marker(s3, bucket, key):
    """The version id of the delete marker GET and HEAD of `key` answer 404 with."""
    ids = set()
    for call in (s3.get_object, s3.head_object):
        try:
            call(Bucket=bucket, Key=key)
        except botocore.exceptions.ClientError as e:
            headers = e.response["ResponseMetadata"]["HTTPHeaders"]
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 404
            assert headers.get("x-amz-delete-marker") == "true", headers
            ids.add(headers.get("x-amz-version-id"))
        else:
            raise AssertionError(f"{key} is still there")
    assert len(ids) == 1
    return ids.pop()


def test_versioned_deletes_are_async_intents_not_sync_fallbacks(server, bucket):
    s3 = server.client()
    enable(s3, bucket)
    before = warm(server, s3, bucket)
    puts, markers = {}, {}
    for key in ("k", "d/k", "warm"):
        puts[key] = s3.put_object(Bucket=bucket, Key=key, Body=b"v-" + key.encode())["VersionId"]
        markers[key] = s3.delete_object(Bucket=bucket, Key=key)
        assert markers[key]["DeleteMarker"] is True
    assert fallbacks(server) == before

    def check():
        for key, vid in puts.items():
            assert latest_is_marker(s3, bucket, key) == markers[key]["VersionId"]
            got = s3.get_object(Bucket=bucket, Key=key, VersionId=vid)
            assert got["Body"].read() == b"v-" + key.encode()
            _, listed = versions_of(s3, bucket, Prefix=key)
            mine = sorted((v, latest, kind) for k, v, latest, kind, _ in listed if k == key)
            assert (markers[key]["VersionId"], True, "dm") in mine
            assert (vid, False, "v") in mine
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        assert keys == ["d/warm"]

    check()  # from the overlay, maybe before the applier ran
    server.wait_drained()
    check()  # from the filesystem
    files, _ = server.posix_view(bucket)
    assert files == {"d/warm": b"w"}
    # The marker goes by its id: the version before it is the latest again.
    s3.delete_object(Bucket=bucket, Key="k", VersionId=markers["k"]["VersionId"])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v-k"


def test_suspended_writes_are_async_intents(server, bucket):
    s3 = server.client()
    enable(s3, bucket)
    s3.put_object(Bucket=bucket, Key="warm", Body=b"w")
    kept = s3.put_object(Bucket=bucket, Key="k", Body=b"kept")["VersionId"]
    enable(s3, bucket, "Suspended")
    s3.put_object(Bucket=bucket, Key="warm", Body=b"w")  # its directory known again
    server.wait_drained()
    before = fallbacks(server)
    # The Enabled version moves into the history; the null one replaces itself.
    for body in (b"null-1", b"null-2"):
        assert s3.put_object(Bucket=bucket, Key="k", Body=body).get("VersionId", "null") == "null"
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"null-2"
    # A null delete marker replaces the null version; a PUT replaces the marker.
    r = s3.delete_object(Bucket=bucket, Key="k")
    assert r["DeleteMarker"] is True and r["VersionId"] == "null"
    assert latest_is_marker(s3, bucket, "k") == "null"
    _, listed = versions_of(s3, bucket, Prefix="k")
    assert sorted((v, latest, kind) for _, v, latest, kind, _ in listed) == [
        (kept, False, "v"), ("null", True, "dm")]
    s3.put_object(Bucket=bucket, Key="k", Body=b"null-3")
    assert fallbacks(server) == before

    def check():
        assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"null-3"
        assert s3.get_object(Bucket=bucket, Key="k", VersionId=kept)["Body"].read() == b"kept"
        _, listed = versions_of(s3, bucket, Prefix="k")
        assert sorted((v, latest, kind) for _, v, latest, kind, _ in listed) == [
            (kept, False, "v"), ("null", True, "v")]

    check()
    server.wait_drained()
    check()
    server.restart(kill=True)
    s3 = server.client()
    check()


def test_puts_and_deletes_are_read_after_write_under_concurrency(server, bucket):
    s3 = server.client()
    enable(s3, bucket)
    s3.put_object(Bucket=bucket, Key="m/seed", Body=b"s")

    def writer(w):
        key = "m/k%d" % w
        c = server.client()
        versions = {}  # version id -> body, or None for a marker
        for i in range(12):
            if i % 3 == 2:
                r = c.delete_object(Bucket=bucket, Key=key)
                assert r["DeleteMarker"] is True
                versions[r["VersionId"]] = None
                assert latest_is_marker(c, bucket, key) == r["VersionId"]
            else:
                body = b"w%d-%d" % (w, i)
                r = c.put_object(Bucket=bucket, Key=key, Body=body)
                versions[r["VersionId"]] = body
                assert c.get_object(Bucket=bucket, Key=key)["Body"].read() == body
            _, listed = versions_of(c, bucket, Prefix=key)
            assert {v: kind for _, v, _, kind, _ in listed} == {
                v: ("v" if b is not None else "dm") for v, b in versions.items()}
            assert [v for _, v, latest, _, _ in listed if latest] == [r["VersionId"]]
            for vid, want in list(versions.items())[-3:]:
                if want is not None:
                    got = c.get_object(Bucket=bucket, Key=key, VersionId=vid)
                    assert got["Body"].read() == want
        return key, versions

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = dict(pool.map(writer, range(8)))
    server.wait_drained()
    for key, versions in results.items():
        assert latest_is_marker(s3, bucket, key) == list(versions)[-1]
        for vid, want in versions.items():
            if want is not None:
                assert s3.get_object(Bucket=bucket, Key=key, VersionId=vid)["Body"].read() == want
    files, _ = server.posix_view(bucket)
    assert files == {"m/seed": b"s"}


def test_a_key_named_like_a_version_entry_of_the_key_above_keeps_no_history(server, bucket):
    """Its history directory would stand where that entry is: the overwrite is refused
    before its answer (the applier makes history directories), and changes nothing."""
    s3 = server.client()
    enable(s3, bucket)
    old = s3.put_object(Bucket=bucket, Key="k", Body=b"1")["VersionId"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"2")
    s3.delete_object(Bucket=bucket, Key="k")  # no plain file "k": "k/..." may be a key
    server.wait_drained()
    first = s3.put_object(Bucket=bucket, Key=f"k/{old}", Body=b"a")["VersionId"]
    server.wait_drained()
    r = server.raw("PUT", f"/{bucket}/k/{old}", body=b"b")
    assert (r.status, r.error_code()) == (400, "InvalidRequest"), r.body
    server.wait_drained()
    assert s3.get_object(Bucket=bucket, Key=f"k/{old}")["Body"].read() == b"a"
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=old)["Body"].read() == b"1"
    _, listed = versions_of(s3, bucket, Prefix=f"k/{old}")
    assert [(v, latest) for _, v, latest, _, _ in listed] == [(first, True)]


def test_a_version_brought_back_survives_kill_9_before_its_delete_is_retired(server, bucket):
    """An async DELETE's marker removed by id brings the same file back at the
    key; a kill -9 before the journal lets the DELETE go must not replay it."""
    s3 = server.client()
    enable(s3, bucket)
    keys = [f"back{i}" for i in range(4)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"old " + key.encode())
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
        marker = s3.delete_object(Bucket=bucket, Key=key)["VersionId"]
        s3.delete_object(Bucket=bucket, Key=key, VersionId=marker)
    server.wait_drained()
    server.restart(kill=True)
    s3 = server.client()
    for key in keys:
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
        _, listed = versions_of(s3, bucket, Prefix=key)
        assert [(kind, latest) for _, _, latest, kind, _ in listed] == [("v", True), ("v", False)]
