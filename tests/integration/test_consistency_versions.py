"""The randomized consistency check of test_consistency.py in a versioning-Enabled
bucket, with the applier slowed down: every PUT adds a version, every DELETE a
delete marker, and a DELETE by versionId removes one (the one before it becomes
the latest again). After every op each thread checks its keys against its
model: GET/HEAD of the latest (or 404 with x-amz-delete-marker and the marker's
version id), GET/HEAD by versionId of any version (405 for a marker),
ListObjectVersions paged by key and version-id markers (every version, newest
first, IsLatest on the first) and ListObjectsV2 (the keys whose latest is not a
marker). Then a kill -9 and a restart: every answered version is still there,
and the filesystem holds each latest as a plain file. Zero violations allowed."""

import random
import xml.etree.ElementTree as ET

from botocore.exceptions import ClientError

from fsgate_server import FsgateServer
from test_consistency import etag, run_checkers, status_of

S3NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
THREADS = 4
OPS_PER_THREAD = 150
# No "f" beside "f/g": a versioned bucket refuses keys beside keys under them.
KEYS = ("a", "b", "c/d", "c/e", "h/i/j")


class VersionChecker:
    def __init__(self, srv, bucket, tid, seed):
        self.srv = srv
        self.s3 = srv.client()
        self.bucket = bucket
        self.prefix = f"t{tid}/"
        self.keys = [self.prefix + k for k in KEYS]
        self.tid = tid
        # key -> [(version id, bytes, or None for a delete marker)], oldest first
        self.model = {}
        self.rnd = random.Random(seed)
        self.violations = []
        self.ops = 0

    def fail(self, what):
        self.violations.append(f"thread {self.tid} op {self.ops}: {what}")

    def latest(self, key):
        versions = self.model.get(key)
        return versions[-1] if versions else None

    # -- checks against the model ------------------------------------------------

    def check_latest(self, key):
        want = self.latest(key)
        for name, call in (("GET", self.s3.get_object), ("HEAD", self.s3.head_object)):
            try:
                resp = call(Bucket=self.bucket, Key=key)
            except ClientError as e:
                headers = e.response["ResponseMetadata"]["HTTPHeaders"]
                if want is not None and want[1] is not None:
                    self.fail(f"{name} {key}: {status_of(e)}, want version {want[0]}")
                elif status_of(e) != 404:
                    self.fail(f"{name} {key}: {status_of(e)}, want 404")
                elif want is not None and (headers.get("x-amz-delete-marker") != "true"
                                           or headers.get("x-amz-version-id") != want[0]):
                    self.fail(f"{name} {key}: 404 without its delete marker {want[0]}: {headers}")
                continue
            if want is None or want[1] is None:
                self.fail(f"{name} {key}: 200 (version {resp.get('VersionId')}), want 404")
            elif resp.get("VersionId") != want[0] or resp["ETag"] != etag(want[1]):
                self.fail(f"{name} {key}: version {resp.get('VersionId')} {resp['ETag']}, "
                          f"want {want[0]} {etag(want[1])}")
            elif name == "GET" and resp["Body"].read() != want[1]:
                self.fail(f"GET {key}: wrong bytes of version {want[0]}")

    def check_version(self, key, vid, data):
        try:
            resp = self.s3.get_object(Bucket=self.bucket, Key=key, VersionId=vid)
        except ClientError as e:
            if data is not None or status_of(e) != 405:
                self.fail(f"GET {key}?versionId={vid}: {status_of(e)}, "
                          f"want {'200' if data is not None else '405 (a delete marker)'}")
            return
        if data is None:
            self.fail(f"GET {key}?versionId={vid}: 200 for a delete marker")
        elif resp["Body"].read() != data or resp.get("VersionId") != vid:
            self.fail(f"GET {key}?versionId={vid}: wrong bytes or version {resp.get('VersionId')}")

    def check_list_versions(self):
        """By raw requests: boto3 splits a page into Versions and DeleteMarkers, and
        the order they come in together is what is checked here."""
        got, query = [], {"versions": "", "prefix": self.prefix}
        while True:
            query["max-keys"] = str(self.rnd.choice([3, 1000]))
            r = self.srv.raw("GET", f"/{self.bucket}", query=query)
            if r.status != 200:
                self.fail(f"LIST VERSIONS {self.prefix}: {r.status} {r.body[:200]}")
                return
            root = ET.fromstring(r.body)
            for e in root:
                kind = e.tag[len(S3NS):]
                if kind in ("Version", "DeleteMarker"):
                    got.append((e.findtext(S3NS + "Key"), e.findtext(S3NS + "VersionId"),
                                e.findtext(S3NS + "IsLatest") == "true",
                                e.findtext(S3NS + "ETag") if kind == "Version" else None))
            if root.findtext(S3NS + "IsTruncated") != "true":
                break
            query["key-marker"] = root.findtext(S3NS + "NextKeyMarker")
            query["version-id-marker"] = root.findtext(S3NS + "NextVersionIdMarker")
        want = []
        for key in sorted(self.model):
            versions = list(reversed(self.model[key]))
            want += [(key, vid, i == 0, etag(data) if data is not None else None)
                     for i, (vid, data) in enumerate(versions)]
        if got != want:
            self.fail(f"LIST VERSIONS {self.prefix}: got {got} want {want}")

    def check_list(self):
        resp = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix)
        got = {o["Key"]: o["ETag"] for o in resp.get("Contents", [])}
        want = {k: etag(v[-1][1]) for k, v in self.model.items() if v and v[-1][1] is not None}
        if got != want:
            self.fail(f"LIST {self.prefix}: got {got} want {want}")

    # -- operations ----------------------------------------------------------------

    def put(self, key):
        data = f"{key}#{self.ops}#".encode() + self.rnd.randbytes(self.rnd.choice([0, 10, 1000, 70000]))
        resp = self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
        vid = resp.get("VersionId")
        if vid in (None, "null") or any(vid == v for v, _ in self.model.get(key, [])):
            self.fail(f"PUT {key}: version id {vid}")
        self.model.setdefault(key, []).append((vid, data))

    def delete(self, key):
        resp = self.s3.delete_object(Bucket=self.bucket, Key=key)
        vid = resp.get("VersionId")
        if resp.get("DeleteMarker") is not True or vid in (None, "null"):
            self.fail(f"DELETE {key}: {resp.get('DeleteMarker')} {vid}, want a new delete marker")
        self.model.setdefault(key, []).append((vid, None))

    def delete_version(self, key):
        versions = self.model.get(key)
        if not versions:
            return
        vid, data = self.rnd.choice(versions)
        resp = self.s3.delete_object(Bucket=self.bucket, Key=key, VersionId=vid)
        if resp.get("VersionId") != vid or bool(resp.get("DeleteMarker")) != (data is None):
            self.fail(f"DELETE {key}?versionId={vid}: answered {resp.get('VersionId')} "
                      f"marker={resp.get('DeleteMarker')}")
        versions.remove((vid, data))
        if not versions:
            del self.model[key]

    def run(self):
        try:
            for self.ops in range(OPS_PER_THREAD):
                key = self.rnd.choice(self.keys)
                r = self.rnd.random()
                if r < 0.4:
                    self.put(key)
                elif r < 0.6:
                    self.delete(key)
                elif r < 0.75:
                    self.delete_version(key)
                if r < 0.75:
                    self.check_latest(key)
                    self.check_list()
                if r >= 0.75 or self.rnd.random() < 0.3:
                    self.check_list_versions()
                for vid, data in self.rnd.sample(self.model.get(key, []), min(2, len(self.model.get(key, [])))):
                    self.check_version(key, vid, data)
        except Exception as e:  # an unexpected exception is a violation, not a crash of the checker
            self.fail(f"exception: {type(e).__name__}: {e}")

    def check_all(self):
        for key in self.keys:
            self.check_latest(key)
            for vid, data in self.model.get(key, []):
                self.check_version(key, vid, data)
        self.check_list()
        self.check_list_versions()


def test_randomized_versioned_consistency_with_slow_applier():
    with FsgateServer(extra_args=["--test-apply-delay-ms", "20"]) as srv:
        s3 = srv.client()
        bucket = "versioned-consistency"
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        checkers = [VersionChecker(srv, bucket, t, 1000 + t) for t in range(THREADS)]
        violations, pending_max = run_checkers(srv, checkers)
        assert not violations, f"{len(violations)} violations:\n" + "\n".join(violations[:30])
        assert pending_max > 0, "the applier never lagged: --test-apply-delay-ms had no visible effect"
        assert sum(len(v) for c in checkers for v in c.model.values()) > 100

        # kill -9 with ops still pending: every answered version survives.
        srv.restart(kill=True)
        for c in checkers:
            c.s3 = srv.client()
            c.check_all()
        violations = [v for c in checkers for v in c.violations]
        assert not violations, f"{len(violations)} violations after kill -9:\n" + "\n".join(violations[:30])
        expected = {k: v[-1][1] for c in checkers for k, v in c.model.items() if v[-1][1] is not None}
        srv.wait_posix_view(bucket, expected, timeout=60)
