#!/usr/bin/python3
"""kill -9 under a PUT/DELETE storm, restart, check every answered operation.

Each cycle: start fsgate (--fsync on, async dirops) on the same root, run a storm of
PUT/DELETE/DeleteObjects from several threads over a small key set, kill -9 the gateway at a random
moment, restart it on the same root, and check every key:

  * an answered PUT is there with its exact bytes, Content-Type and user metadata,
    unless a later answered op on that key replaced it;
  * an answered DELETE is gone;
  * the one op that was in flight on a key at the kill (a DeleteObjects: on each of
    its keys) may have either outcome: the key holds the last answered state OR the
    in-flight op's state;
  * the bucket lists exactly the keys that exist (no staging or partial files
    visible through S3), with the right ETags and sizes;
  * once the applier has drained, ROOT/<bucket> holds exactly those objects.

Each thread owns its keys, so the ops on one key are sequential and their answer
order is their order. The state checked after a cycle is the base of the next one,
so recovery is also exercised over a root that has been recovered before.

With --gateways 2 the check is across gateways (failover): gateway a takes the storm
and the kill, gateway b runs beside it on the same root the whole time and must serve
every op a answered once it has adopted a's journal (within ADOPT_TIMEOUT); a is then
restarted with its id, must replay nothing (b did), and takes the next storm.

With --versioned the bucket has versioning enabled (with async dirops a PUT is then one
async intent, the old latest displaced into the key's history, and so is a DELETE or
DeleteObjects of a key with a plain file: its marker made, the plain file displaced;
a DELETE of a key whose latest is a marker, and deletes by id, are synchronous, counted
as sync fallback "versioned") and the storm also deletes older versions by id, and
removes a key's latest delete marker by id (its previous version is the latest again).
Besides the checks above, every answered version that was not deleted by id is listed
by ListObjectVersions in answer order (newest first) with its ETag and size, the
versions answered in the cycle are read back by id with their exact bytes, and only a
key with an op in flight at the kill may hold one version more.

With --ceph-conf the gateways run on that cluster's CephFS (--backend cephfs, a fresh
--ceph-root) and ROOT/<bucket> is read through a second libcephfs client. There the
killed gateway's lock lapses only when the MDS closes its dead session (~39 s on the
dev cluster): a restart with its id waits for that, and a survivor adopts after it.

With --key-conflicts nest the gateway runs with that flag and each thread's keys
include objects beside objects under them ("n", "n/a", "n/a/b"): its storm moves
files into their directories (store/nested_key.h) and kills may cut such a move
short; the POSIX view then holds a nested object "n" at n/.fsgate-object. With
--versioned too, the nested keys keep every version of each (store/nested_key.h).

Usage: FSGATE_BIN=build/gateway/fsgate tests/crash/crash_check.py [--cycles N] [--seed S]
       [--gateways 1|2] [--versioned] [--key-conflicts reject|nest] [--ceph-conf FILE]
"""

import argparse
import contextlib
import functools
import hashlib
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402

from cephfs_server import gateway_on, mounted_reader  # noqa: E402

BUCKET = "crash"
THREADS = 6
KEYS_PER_THREAD = 6
MAX_SIZE = 100 * 1024
# The survivor serves a dead gateway's answered ops within this (the target is 60 s;
# on posix a dead gateway's lock is free at once and the survivor looks every 2 s; on
# the dev CephFS the lock lapses ~39 s after the kill, with the MDS's session timeouts).
ADOPT_TIMEOUT = {"posix": 30.0, "cephfs": 60.0}


class State:
    """What a key holds: absent (None), or bytes with content type and metadata."""

    __slots__ = ("data", "ctype", "meta")

    def __init__(self, data, ctype=None, meta=None):
        self.data, self.ctype, self.meta = data, ctype, meta or {}

    def describe(self):
        return f"{len(self.data)}B md5={hashlib.md5(self.data).hexdigest()} ctype={self.ctype} meta={self.meta}"


def describe(state):
    return "absent" if state is None else state.describe()


# --versioned: (key, version id) -> State of each PUT answered in this run, so that a
# removed delete marker's previous version is known.
VERSION_STATES = {}

# --key-conflicts nest: keys that a POSIX tree holds only with nesting.
NEST_KEYS = False
NESTED_NAME = "/.fsgate-object"


def keys_of(tid):
    if NEST_KEYS:
        return [f"t{tid}/n", f"t{tid}/n/a", f"t{tid}/n/a/b", f"t{tid}/m", f"t{tid}/m/x", f"t{tid}/k"]
    # Some nested, so that the applier creates and prunes directories.
    return [f"t{tid}/k{i}" if i % 2 == 0 else f"t{tid}/d{i % 3}/sub/k{i}" for i in range(KEYS_PER_THREAD)]


class StormThread(threading.Thread):
    def __init__(self, srv, tid, expected, rnd, stop, versions=None):
        super().__init__(daemon=True)
        # With versioning: key -> [(version id, md5 hex or None for a delete marker)],
        # oldest first, as answered (shared dict, own keys only).
        self.versions = versions
        self.s3 = srv.client(connect_timeout=2, read_timeout=10)
        self.tid = tid
        self.expected = expected  # key -> State|None, last answered state (shared dict, own keys only)
        self.rnd = rnd
        self.stop = stop
        self.in_flight = []  # [(key, State|None)] sent but not answered
        self.answered = 0
        self.refused = []

    def delete_version(self, key, vid, after):
        """DELETE of the key's version `vid` by id; `after`: the key's state once done."""
        self.in_flight = [(key, after)]
        try:
            self.s3.delete_object(Bucket=BUCKET, Key=key, VersionId=vid)
        except ClientError as e:
            self.refused.append(f"DELETE {key}?versionId={vid}: {e}")
            return False
        except (BotoCoreError, OSError):
            self.in_flight_version_delete = (key, vid)
            return False
        self.versions[key] = [v for v in self.versions[key] if v[0] != vid]
        self.expected[key] = after
        self.in_flight = []
        self.answered += 1
        return True

    def delete_older_version(self, key):
        """DELETE of one of the key's older versions by id (never the latest)."""
        older = self.versions[key][:-1]
        if not older:
            return True
        vid, _ = self.rnd.choice(older)
        return self.delete_version(key, vid, self.expected[key])

    def remove_latest_marker(self, key):
        """DELETE of the key's latest version by id when it is a delete marker whose
        previous version's state is known: that version is the latest again."""
        answered = self.versions[key]
        if not answered or answered[-1][1] is not None:
            return True
        before = answered[-2] if len(answered) > 1 else None
        if before is not None and before[1] is not None and (key, before[0]) not in VERSION_STATES:
            return True
        state = VERSION_STATES.get((key, before[0])) if before is not None else None
        return self.delete_version(key, answered[-1][0], state)

    def run(self):
        keys = keys_of(self.tid)
        self.in_flight_version_delete = None
        while not self.stop.is_set():
            key = self.rnd.choice(keys)
            if self.versions is not None and self.rnd.random() < 0.15:
                by_id = (self.remove_latest_marker if self.rnd.random() < 0.4
                         else self.delete_older_version)
                if not by_id(key):
                    return
                continue
            if self.rnd.random() < 0.65:
                size = self.rnd.choice([0, 1, self.rnd.randrange(MAX_SIZE + 1), self.rnd.randrange(4096)])
                data = self.rnd.randbytes(size)
                if self.rnd.random() < 0.4:
                    state = State(data, "application/x-crash-%d" % self.rnd.randrange(100),
                                  {"token": "%08x" % self.rnd.getrandbits(32), "thread": str(self.tid)})
                else:
                    state = State(data)
                self.in_flight = [(key, state)]
                args = {"Bucket": BUCKET, "Key": key, "Body": data, "Metadata": state.meta}
                if state.ctype:
                    args["ContentType"] = state.ctype
                try:
                    resp = self.s3.put_object(**args)
                except ClientError as e:  # an answer, but an error: never expected here
                    self.refused.append(f"PUT {key}: {e}")
                    return
                except (BotoCoreError, OSError):
                    return  # the gateway died: the op stays in flight
                if resp["ETag"] != '"%s"' % hashlib.md5(data).hexdigest():
                    self.refused.append(f"PUT {key}: ETag {resp['ETag']}")
                if self.versions is not None:
                    self.versions[key].append((resp["VersionId"], hashlib.md5(data).hexdigest()))
                    VERSION_STATES[(key, resp["VersionId"])] = state
            elif self.rnd.random() < 0.7:
                state = None
                self.in_flight = [(key, None)]
                try:
                    resp = self.s3.delete_object(Bucket=BUCKET, Key=key)
                except ClientError as e:
                    self.refused.append(f"DELETE {key}: {e}")
                    return
                except (BotoCoreError, OSError):
                    return
                if self.versions is not None:
                    self.versions[key].append((resp["VersionId"], None))
            else:
                # DeleteObjects of a few keys: answered for all of them at once.
                state = None
                others = [k for k in keys if k != key]
                batch = [key] + self.rnd.sample(others, self.rnd.randint(1, 3))
                self.in_flight = [(k, None) for k in batch]
                try:
                    resp = self.s3.delete_objects(
                        Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in batch]})
                except ClientError as e:
                    self.refused.append(f"DeleteObjects {batch}: {e}")
                    return
                except (BotoCoreError, OSError):
                    return
                if resp.get("Errors"):
                    self.refused.append(f"DeleteObjects {batch}: {resp['Errors']}")
                    return
                for k in batch:
                    self.expected[k] = None
                if self.versions is not None:
                    for d in resp.get("Deleted", []):
                        self.versions[d["Key"]].append((d["DeleteMarkerVersionId"], None))
            # Answered: the client's log of this key moves on.
            self.expected[key] = state
            self.in_flight = []
            self.answered += 1


def read_state(s3, key):
    try:
        head = s3.head_object(Bucket=BUCKET, Key=key)
    except ClientError as e:
        if e.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
            return None
        raise
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    ctype = head.get("ContentType")
    return State(body, ctype, head.get("Metadata", {})), head["ETag"]


def same(state, got):
    """Does the served object `got` (State, etag) or None match the logged `state`?"""
    if state is None or got is None:
        return state is None and got is None
    obj, etag = got
    if obj.data != state.data or obj.meta != state.meta:
        return False
    if etag != '"%s"' % hashlib.md5(state.data).hexdigest():
        return False
    if state.ctype is not None and obj.ctype != state.ctype:
        return False
    if state.ctype is None and (obj.ctype or "").startswith("application/x-crash-"):
        return False  # a PUT without Content-Type must not keep an earlier one
    return True


def check_cycle(srv, expected, in_flight, log):
    """Compare every key with the client's log; returns (violations, resolved state)."""
    s3 = srv.client()
    violations = []
    resolved = {}
    for key, want in sorted(expected.items()):
        got = read_state(s3, key)
        candidates = [want]
        if key in in_flight:
            candidates.append(in_flight[key])
        if any(same(c, got) for c in candidates):
            resolved[key] = None if got is None else got[0]
        else:
            violations.append(
                f"{key}: served {describe(got[0]) if got else 'absent'}; expected {describe(want)}"
                + (f" or (in flight) {describe(in_flight[key])}" if key in in_flight else ""))
            resolved[key] = None if got is None else got[0]
    # Nothing but the logged keys, and each listed exactly when it exists.
    listed = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for o in page.get("Contents", []):
            listed[o["Key"]] = (o["ETag"], o["Size"])
    want_listed = {k: ('"%s"' % hashlib.md5(v.data).hexdigest(), len(v.data))
                   for k, v in resolved.items() if v is not None}
    if listed != want_listed:
        violations.append(f"listing: extra {sorted(set(listed) - set(want_listed))} missing "
                          f"{sorted(set(want_listed) - set(listed))} differing "
                          f"{sorted(k for k in listed if k in want_listed and listed[k] != want_listed[k])}")
    return violations, resolved


def check_versions(srv, versions, in_flight, answered_before, version_deletes):
    """Every answered version listed in answer order with its ETag; the ones answered
    this cycle (past answered_before[key]) read back by id. Updates `versions` to what
    is listed (an in-flight op's version or version delete may have landed)."""
    s3 = srv.client()
    violations = []
    listed = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=BUCKET, MaxKeys=200):
        entries = [(v["Key"], v["VersionId"], v["ETag"].strip('"'), v["IsLatest"]) for v in page.get("Versions", [])]
        entries += [(d["Key"], d["VersionId"], None, d["IsLatest"]) for d in page.get("DeleteMarkers", [])]
        # Versions and markers of one key come in separate lists: order them as listed (newest first).
        for key, vid, etag, latest in entries:
            listed.setdefault(key, []).append((vid, etag, latest))
    for key, answered in sorted(versions.items()):
        got = listed.get(key, [])
        by_id = {vid: etag for vid, etag, _ in got}
        latest = [vid for vid, _, is_latest in got if is_latest]
        for vid, md5 in answered:
            if vid not in by_id and version_deletes.get(key) != vid:
                violations.append(f"{key}: answered version {vid} missing")
            elif vid in by_id and by_id[vid] != md5:
                violations.append(f"{key}: version {vid} listed with ETag {by_id[vid]}, answered {md5}")
        order = [vid for vid, _ in answered if vid in by_id]
        listed_order = sorted((vid for vid in by_id if vid in set(order)), key=lambda v: v)  # ids sort newest first
        if listed_order != list(reversed(order)):
            violations.append(f"{key}: versions out of answer order: listed {listed_order} answered {order}")
        extra = [vid for vid in by_id if vid not in {v for v, _ in answered}]
        if len(extra) > (1 if key in in_flight else 0):
            violations.append(f"{key}: versions never answered: {extra}")
        if len(latest) != (1 if got else 0):
            violations.append(f"{key}: {len(latest)} latest versions")
        for vid, md5 in answered[answered_before.get(key, 0):]:
            if md5 is None or vid not in by_id:
                continue
            body = s3.get_object(Bucket=BUCKET, Key=key, VersionId=vid)["Body"].read()
            if hashlib.md5(body).hexdigest() != md5:
                violations.append(f"{key}: version {vid} read back with other bytes")
        # The next cycle starts from what is there, in id order (oldest first).
        versions[key] = sorted(((vid, etag) for vid, etag, _ in got), key=lambda v: v[0], reverse=True)
    return violations


def check_posix(srv, resolved, timeout=10.0):
    srv.wait_drained(timeout)
    want = {k: v.data for k, v in resolved.items() if v is not None}
    deadline = time.monotonic() + timeout
    while True:
        files, empty_dirs = srv.posix_view(BUCKET)
        # A nested object is its directory's hidden file.
        files = {k[:-len(NESTED_NAME)] if k.endswith(NESTED_NAME) else k: v for k, v in files.items()}
        if files == want and not empty_dirs:
            return []
        if time.monotonic() > deadline:
            return [f"POSIX view: extra {sorted(set(files) - set(want))} missing {sorted(set(want) - set(files))} "
                    f"differing {sorted(k for k in files if k in want and files[k] != want[k])} "
                    f"empty dirs {sorted(empty_dirs)}"]
        time.sleep(0.05)


def storm_and_kill(srv, expected, rnd, versions=None):
    """A storm through `srv`, killed -9 at a random moment: (threads, seconds it ran)."""
    stop = threading.Event()
    threads = [StormThread(srv, t, expected, random.Random(rnd.getrandbits(64)), stop, versions)
               for t in range(THREADS)]
    for t in threads:
        t.start()
    delay = rnd.uniform(0.2, 1.5)
    time.sleep(delay)
    srv.kill9()
    stop.set()
    for t in threads:
        t.join(30)
        assert not t.is_alive(), "a storm thread hung after the kill"
    return threads, delay


def check_adopted(survivor, expected, in_flight, log, adoptions, timeout):
    """check_cycle through a survivor until it holds and the survivor has made its
    `adoptions`th adoption, or `timeout` seconds: (violations, resolved).

    What the dead gateway had applied is served at once; the rest only once adopted.
    """
    started = time.monotonic()
    while True:
        try:
            violations, resolved = check_cycle(survivor, expected, in_flight, log)
        except ClientError as e:  # a key replayed between its HEAD and its GET
            violations, resolved = [f"changed while read: {e}"], {}
        except BotoCoreError as e:
            # On CephFS a read of a file whose caps the dead gateway's session holds
            # waits until the MDS evicts that session (~35 s): not served yet.
            violations, resolved = [f"no answer: {e}"], {}
        adopted = survivor.metric_sum("fsgate_journals_adopted_total")
        waited = time.monotonic() - started
        if (not violations and adopted == adoptions) or waited > timeout:
            log(f"  survivor {'served every answered op' if not violations else 'still wrong'} "
                f"{waited:.2f}s after the kill, {adopted:.0f} journals adopted")
            if not violations and adopted != adoptions:
                violations.append(f"the survivor adopted {adopted:.0f} journals, not {adoptions}")
            return violations, resolved
        time.sleep(0.1)


def replays_since_start(srv):
    """The start-up log of srv's last start: did its engine replay anything?"""
    with open(srv.log_path, errors="replace") as f:
        last = f.read().rsplit("===== start #", 1)[-1]
    return [line for line in last.splitlines() if "intent journal: replayed" in line]


def run(cycles, seed=None, log=print, dirops="async", gateways=1, versioned=False,
        ceph_conf=None, key_conflicts="reject"):
    """Run `cycles` kill -9 cycles, on posix or (with `ceph_conf`) on that cluster's
    CephFS; returns a list of violations (empty when all held)."""
    global NEST_KEYS
    NEST_KEYS = key_conflicts == "nest"
    VERSION_STATES.clear()
    backend = "cephfs" if ceph_conf else "posix"
    with (mounted_reader(ceph_conf) if ceph_conf else contextlib.nullcontext()) as reader:
        gateway = functools.partial(gateway_on, ceph_conf, reader, fsync="on", dirops=dirops)
        return run_cycles(cycles, seed, log, gateway, gateways, backend, versioned)


def run_cycles(cycles, seed, log, gateway, gateways, backend, versioned):
    seed = seed if seed is not None else random.randrange(1 << 30)
    log(f"crash_check: {cycles} cycles, {gateways} gateway(s) on {backend}"
        f"{', versioned' if versioned else ''}{', nesting keys' if NEST_KEYS else ''}, seed {seed}, "
        f"FSGATE_BIN={os.environ.get('FSGATE_BIN')}")
    rnd = random.Random(seed)
    ids = [] if gateways == 1 else ["--gateway-id", "a"]
    if NEST_KEYS:
        ids += ["--key-conflicts", "nest"]

    def slowed(cycle):
        # Every third cycle (every other one across gateways) runs with a slowed applier,
        # so that its kill meets many answered-but-unapplied intents to replay.
        slow = cycle % 3 == 2 if gateways == 1 else cycle % 2 == 0
        return ids + (["--test-apply-delay-ms", "20"] if slow else [])

    srv = gateway(extra_args=slowed(0))
    # The checker: srv itself after its restart, or the survivor beside it.
    survivor = None if gateways == 1 else gateway(
        first=srv, extra_args=["--gateway-id", "b"] + ids[2:])
    violations = []
    expected = {k: None for t in range(THREADS) for k in keys_of(t)}
    versions = {k: [] for k in expected} if versioned else None
    total_answered = 0
    try:
        srv.start()
        if survivor:
            survivor.start()
        srv.client().create_bucket(Bucket=BUCKET)
        if versioned:
            srv.client().put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        for cycle in range(cycles):
            slow = len(srv.extra_args) > len(ids)
            answered_before = {k: len(v) for k, v in versions.items()} if versioned else {}
            started = time.monotonic()
            threads, delay = storm_and_kill(srv, expected, rnd, versions)
            in_flight = dict(op for t in threads for op in t.in_flight)
            answered = sum(t.answered for t in threads)
            total_answered += answered
            for t in threads:
                violations += [f"cycle {cycle}: refused during storm: {r}" for r in t.refused]
            if any(t.refused for t in threads):
                # Why the gateway refused: its error lines (the errno stays in its log).
                errors = [line for line in srv.log_tail(100000).splitlines() if "[error]" in line]
                log(f"cycle {cycle}: a storm op was refused; the gateway's error lines:\n"
                    + "\n".join(errors[-20:]))
            srv.extra_args = slowed(cycle + 1)
            if survivor:
                cycle_violations, resolved = check_adopted(survivor, expected, in_flight, log,
                                                            cycle + 1, ADOPT_TIMEOUT[backend])
                srv.start()
                # The survivor applied the journal: the restart has nothing left in it.
                cycle_violations += [f"restart of a replayed its adopted journal again: {r}"
                                     for r in replays_since_start(srv)]
            else:
                srv.start()
                cycle_violations, resolved = check_cycle(srv, expected, in_flight, log)
            if versioned and not cycle_violations:
                version_deletes = dict(t.in_flight_version_delete for t in threads
                                       if t.in_flight_version_delete)
                cycle_violations += check_versions(survivor or srv, versions, in_flight,
                                                   answered_before, version_deletes)
            # A wrong POSIX view does not change what S3 serves: note it and go on, so
            # one run shows every kind of failure; an S3-visible violation stops the run.
            posix_violations = [] if cycle_violations else check_posix(survivor or srv, resolved)
            log(f"cycle {cycle}: killed after {delay:.2f}s{' (slow applier)' if slow else ''}, "
                f"{answered} answered ops, "
                f"{len(in_flight)} in flight, {sum(v is not None for v in resolved.values())} objects, "
                f"{len(cycle_violations) + len(posix_violations)} violations, "
                f"{time.monotonic() - started:.1f}s")
            violations += [f"cycle {cycle}: {v}" for v in cycle_violations + posix_violations]
            if posix_violations:
                log("\n".join(posix_violations))
            if cycle_violations:
                log("\n".join(cycle_violations[:20]))
                log((survivor or srv).log_tail(40))
                break
            expected.clear()
            expected.update(resolved)
        if total_answered < cycles * 5:
            violations.append(f"only {total_answered} ops answered in {cycles} cycles: the storm did not run")
        if not violations:
            srv.stop()
            if survivor:
                survivor.stop()
    finally:
        if survivor:
            survivor.cleanup()
        srv.cleanup()
    return violations


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=int(os.environ.get("CRASH_CYCLES", "20")))
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--dirops", default="async", choices=["async", "sync"])
    parser.add_argument("--gateways", type=int, default=1, choices=[1, 2])
    parser.add_argument("--versioned", action="store_true",
                        help="a bucket with versioning enabled; check every answered version")
    parser.add_argument("--key-conflicts", default="reject", choices=["reject", "nest"],
                        help="nest: run with --key-conflicts nest over keys beside keys under them")
    parser.add_argument("--ceph-conf", metavar="FILE",
                        help="run on this Ceph cluster's CephFS (deploy/ceph-dev-cluster.sh)")
    args = parser.parse_args()
    violations = run(args.cycles, args.seed, dirops=args.dirops, gateways=args.gateways,
                     versioned=args.versioned, ceph_conf=args.ceph_conf,
                     key_conflicts=args.key_conflicts)
    if violations:
        print(f"FAILED: {len(violations)} violations", file=sys.stderr)
        for v in violations[:50]:
            print("  " + v, file=sys.stderr)
        return 1
    print("crash_check: all answered operations survived")
    return 0


if __name__ == "__main__":
    sys.exit(main())
