"""Conditional writes are atomic: of racing writers one wins, the rest get 412.

Sixteen clients send at once a write of one key with `If-None-Match: *` (the
key is new) or `If-Match: <the current ETag>`: through PutObject,
CompleteMultipartUpload and CopyObject. Exactly one must get 200 and fifteen
412 PreconditionFailed, and the key must then hold the winner's bytes. A
check made outside the key's lock, or a sync publish that replaces whatever
another writer linked meanwhile, lets several win (versitygw had 2 to 32
winners out of 32 before its fix). Run with --dirops async and sync, through
one gateway and through two gateways on one root (every op sync there: the
bucket's cap is shared; there the filesystem decides If-None-Match: * by a
rename that refuses to replace), each request sent by a fresh connection.
"""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from xml.sax.saxutils import escape

import pytest

from fsgate_server import FsgateServer, etag_of, md5_hex, quote_key

WRITERS = 16
# Races repeated on new keys: across two gateways one race of 16 PUTs had two
# winners in ~30 % of rounds before sync publishes refused to replace, so 12
# rounds miss it with a chance of ~1 %. One gateway decides under the key's
# lock; a few rounds there are enough.
ROUNDS = {1: 3, 2: 12}


@pytest.fixture(scope="module", params=["async", "sync", "async-2gw", "sync-2gw"])
def gateways(request):
    """The gateways the writers share (one, or two on one root, alternating)."""
    dirops, _, two = request.param.partition("-")
    with FsgateServer(dirops=dirops, extra_args=["--gateway-id", "gw-a"]) as a:
        if not two:
            yield [a]
            return
        b = FsgateServer(root=a.root, dirops=dirops, extra_args=["--gateway-id", "gw-b"])
        b.access_key, b.secret_key = a.access_key, a.secret_key  # one user: one owner
        with b:
            yield [a, b]


@pytest.fixture
def bucket(gateways):
    name = f"cond-{uuid.uuid4().hex[:10]}"
    gateways[0].client().create_bucket(Bucket=name)
    return name


def race(gateways, send):
    """send(i, srv) for i in 0..WRITERS-1 at once (writer i through gateway
    i % len(gateways)); returns the responses by writer."""
    start = threading.Barrier(WRITERS)

    def one(i):
        srv = gateways[i % len(gateways)]
        start.wait()
        return send(i, srv)

    with ThreadPoolExecutor(WRITERS) as pool:
        return list(pool.map(one, range(WRITERS)))


def the_winner(responses):
    """The one writer answered 200; every other answered 412 PreconditionFailed."""
    statuses = [r.status for r in responses]
    winners = [i for i, r in enumerate(responses) if r.status == 200]
    assert len(winners) == 1, f"{len(winners)} winners: {statuses}"
    for r in responses:
        if r.status != 200:
            assert (r.status, r.error_code()) == (412, "PreconditionFailed"), r
    return winners[0]


def assert_holds(gateways, bucket, key, body):
    for srv in gateways:
        got = srv.raw("GET", f"/{bucket}/{quote_key(key)}")
        assert got.status == 200, got
        assert got.body == body, f"{srv.port}: {got.body[:40]!r}, want {body[:40]!r}"


def body_of(i):
    return f"writer {i} ".encode() * (i + 1)


def rounds(gateways, share=1.0):
    return range(max(1, int(ROUNDS[len(gateways)] * share)))


def test_put_if_none_match_one_winner(gateways, bucket):
    for r in rounds(gateways):
        key = f"new/put-key-{r}"
        responses = race(gateways, lambda i, srv: srv.raw(
            "PUT", f"/{bucket}/{quote_key(key)}", headers={"If-None-Match": "*"},
            body=body_of(i)))
        winner = the_winner(responses)
        assert responses[winner].headers["ETag"] == etag_of(body_of(winner))
        assert_holds(gateways, bucket, key, body_of(winner))


# One gateway only: across two gateways If-Match still lets two writers win
# (both read the matching ETag, both replace it; no rename flag makes a
# replace conditional on the inode it replaces).
@pytest.mark.parametrize("gateways", ["async", "sync"], indirect=True)
def test_put_if_match_one_winner(gateways, bucket):
    for r in rounds(gateways):
        key = f"matched/put-key-{r}"
        first = gateways[0].raw("PUT", f"/{bucket}/{quote_key(key)}", body=b"the first version")
        assert first.status == 200, first
        etag = first.headers["ETag"]
        responses = race(gateways, lambda i, srv: srv.raw(
            "PUT", f"/{bucket}/{quote_key(key)}", headers={"If-Match": etag}, body=body_of(i)))
        winner = the_winner(responses)
        assert_holds(gateways, bucket, key, body_of(winner))


def uploader(bucket, key):
    """upload(i, srv): writer i's multipart upload of key, one part of body_of(i);
    returns (upload id, part ETag)."""
    def upload(i, srv):
        created = srv.client().create_multipart_upload(Bucket=bucket, Key=key)
        part = srv.client().upload_part(Bucket=bucket, Key=key, PartNumber=1,
                                        UploadId=created["UploadId"], Body=body_of(i))
        return created["UploadId"], part["ETag"]
    return upload


def complete_xml(etag):
    return (f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
            f"<ETag>{escape(etag)}</ETag></Part></CompleteMultipartUpload>").encode()


def test_complete_multipart_if_none_match_one_winner(gateways, bucket):
    for r in rounds(gateways, share=0.5):  # 32 requests to set up each round
        key = f"new/multipart-key-{r}"
        uploads = race(gateways, uploader(bucket, key))
        responses = race(gateways, lambda i, srv: srv.raw(
            "POST", f"/{bucket}/{quote_key(key)}", query={"uploadId": uploads[i][0]},
            headers={"If-None-Match": "*"}, body=complete_xml(uploads[i][1])))
        winner = the_winner(responses)
        assert_holds(gateways, bucket, key, body_of(winner))
        # The losers' uploads are still there to complete or abort, as on AWS.
        listed = gateways[0].client().list_multipart_uploads(Bucket=bucket, Prefix=key)
        assert len(listed.get("Uploads", [])) == WRITERS - 1


def test_copy_if_none_match_one_winner(gateways, bucket):
    for i in range(WRITERS):
        put = gateways[0].raw("PUT", f"/{bucket}/src-{i}", body=body_of(i))
        assert put.status == 200, put
    for r in rounds(gateways):
        key = f"new/copied-key-{r}"
        responses = race(gateways, lambda i, srv: srv.raw(
            "PUT", f"/{bucket}/{quote_key(key)}",
            headers={"If-None-Match": "*", "x-amz-copy-source": f"/{bucket}/src-{i}"}))
        winner = the_winner(responses)
        assert md5_hex(body_of(winner)).encode() in responses[winner].body
        assert_holds(gateways, bucket, key, body_of(winner))


@pytest.mark.parametrize("gateways", ["async", "sync"], indirect=True)
def test_complete_multipart_if_match_one_winner(gateways, bucket):
    srv = gateways[0]
    for r in rounds(gateways):
        key = f"matched/multipart-key-{r}"
        first = srv.raw("PUT", f"/{bucket}/{quote_key(key)}", body=b"the first version")
        assert first.status == 200, first
        etag = first.headers["ETag"]
        uploads = race(gateways, uploader(bucket, key))
        responses = race(gateways, lambda i, srv: srv.raw(
            "POST", f"/{bucket}/{quote_key(key)}", query={"uploadId": uploads[i][0]},
            headers={"If-Match": etag}, body=complete_xml(uploads[i][1])))
        winner = the_winner(responses)
        assert_holds(gateways, bucket, key, body_of(winner))


@pytest.mark.parametrize("gateways", ["async", "sync"], indirect=True)
def test_copy_if_match_one_winner(gateways, bucket):
    srv = gateways[0]
    for i in range(WRITERS):
        put = srv.raw("PUT", f"/{bucket}/src-{i}", body=body_of(i))
        assert put.status == 200, put
    for r in rounds(gateways):
        key = f"matched/copied-key-{r}"
        first = srv.raw("PUT", f"/{bucket}/{quote_key(key)}", body=b"the first version")
        assert first.status == 200, first
        etag = first.headers["ETag"]
        responses = race(gateways, lambda i, srv: srv.raw(
            "PUT", f"/{bucket}/{quote_key(key)}",
            headers={"If-Match": etag, "x-amz-copy-source": f"/{bucket}/src-{i}"}))
        winner = the_winner(responses)
        assert_holds(gateways, bucket, key, body_of(winner))


@pytest.mark.parametrize("gateways", ["async", "sync"], indirect=True)
def test_if_none_match_other_than_star_is_not_implemented(gateways, bucket):
    """As AWS: a write's If-None-Match is "*" only; another value is 501 NotImplemented,
    and nothing is written."""
    srv = gateways[0]
    assert srv.raw("PUT", f"/{bucket}/src", body=b"source").status == 200
    etag = etag_of(b"source")
    created = srv.client().create_multipart_upload(Bucket=bucket, Key="mp")
    part = srv.client().upload_part(Bucket=bucket, Key="mp", PartNumber=1,
                                    UploadId=created["UploadId"], Body=b"part")
    for value in (etag, '"0123456789abcdef0123456789abcdef"', "true"):
        headers = {"If-None-Match": value}
        answers = [
            srv.raw("PUT", f"/{bucket}/put", headers=headers, body=b"x"),
            srv.raw("PUT", f"/{bucket}/copied", headers={**headers, "x-amz-copy-source": f"/{bucket}/src"}),
            srv.raw("POST", f"/{bucket}/mp", query={"uploadId": created["UploadId"]}, headers=headers,
                    body=complete_xml(part["ETag"])),
        ]
        for r in answers:
            assert (r.status, r.error_code()) == (501, "NotImplemented"), r
            assert r.error_field("Message") == (
                "A header you provided implies functionality that is not implemented")
    for key in ("put", "copied", "mp"):
        assert srv.raw("HEAD", f"/{bucket}/{key}").status == 404
    # The upload is still there and completes.
    r = srv.raw("POST", f"/{bucket}/mp", query={"uploadId": created["UploadId"]},
                headers={"If-None-Match": "*"}, body=complete_xml(part["ETag"]))
    assert r.status == 200, r
