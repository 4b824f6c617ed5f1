"""Versioned writes under async dirops: a PUT to a versioning-Enabled bucket is
one journal intent (the old latest displaced into the key's history, the new
one linked), answered without a sync fallback, and every version is readable
through the gateway at once, under concurrency, before the applier runs."""

import concurrent.futures

from test_versioning import enable, versions_of


def fallbacks(srv):
    return srv.metric_sum("fsgate_sync_fallbacks_total")


def test_versioned_puts_are_async_intents_not_sync_fallbacks(server, bucket):
    s3 = server.client()
    enable(s3, bucket)
    # The first create under a directory is answered once applied (parent_unknown):
    # one per directory, before counting.
    s3.put_object(Bucket=bucket, Key="warm", Body=b"w")
    s3.put_object(Bucket=bucket, Key="d/warm", Body=b"w")
    server.wait_drained()
    before = fallbacks(server)
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
