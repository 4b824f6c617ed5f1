"""kill -9 under a PUT/DELETE storm, restart, check every answered op (tests/crash/crash_check.py),
on posix and on CephFS.

20 cycles on posix and 2 on CephFS in the normal suite (there each restart waits for the
MDS to evict the dead gateway's session: ~40 s a cycle on the dev cluster), 6 on posix
in a versioned bucket (its PUTs and DELETEs async intents) and 6 on posix with
--key-conflicts nest over keys beside keys under them, unversioned and versioned;
CRASH_CYCLES=N for a long run.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crash"))

import crash_check  # noqa: E402

CYCLES = {"posix": 20, "cephfs": 2}


def test_kill9_storm_keeps_every_answered_op(backend):
    name, ceph_conf = backend
    cycles = int(os.environ.get("CRASH_CYCLES", CYCLES[name]))
    seed = int(os.environ["CRASH_SEED"]) if "CRASH_SEED" in os.environ else None
    violations = crash_check.run(cycles, seed, ceph_conf=ceph_conf)
    assert not violations, f"{len(violations)} violations:\n" + "\n".join(violations[:40])


def test_kill9_versioned_storm_keeps_every_answered_version():
    cycles = int(os.environ.get("CRASH_CYCLES", "6"))
    seed = int(os.environ["CRASH_SEED"]) if "CRASH_SEED" in os.environ else None
    violations = crash_check.run(cycles, seed, versioned=True)
    assert not violations, f"{len(violations)} violations:\n" + "\n".join(violations[:40])


def test_kill9_nesting_storm_keeps_every_answered_op():
    cycles = int(os.environ.get("CRASH_CYCLES", "6"))
    seed = int(os.environ["CRASH_SEED"]) if "CRASH_SEED" in os.environ else None
    violations = crash_check.run(cycles, seed, key_conflicts="nest")
    assert not violations, f"{len(violations)} violations:\n" + "\n".join(violations[:40])


def test_kill9_versioned_nesting_storm_keeps_every_answered_version():
    cycles = int(os.environ.get("CRASH_CYCLES", "6"))
    seed = int(os.environ["CRASH_SEED"]) if "CRASH_SEED" in os.environ else None
    violations = crash_check.run(cycles, seed, versioned=True, key_conflicts="nest")
    assert not violations, f"{len(violations)} violations:\n" + "\n".join(violations[:40])
