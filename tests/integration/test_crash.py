"""kill -9 under a PUT/DELETE storm, restart, check every answered op (tests/crash/crash_check.py).

20 cycles in the normal suite (6 in a versioned bucket, whose writes are all
synchronous); CRASH_CYCLES=N for a long run.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crash"))

import crash_check  # noqa: E402


def test_kill9_storm_keeps_every_answered_op():
    cycles = int(os.environ.get("CRASH_CYCLES", "20"))
    seed = int(os.environ["CRASH_SEED"]) if "CRASH_SEED" in os.environ else None
    violations = crash_check.run(cycles, seed)
    assert not violations, f"{len(violations)} violations:\n" + "\n".join(violations[:40])


def test_kill9_versioned_storm_keeps_every_answered_version():
    cycles = int(os.environ.get("CRASH_CYCLES", "6"))
    seed = int(os.environ["CRASH_SEED"]) if "CRASH_SEED" in os.environ else None
    violations = crash_check.run(cycles, seed, versioned=True)
    assert not violations, f"{len(violations)} violations:\n" + "\n".join(violations[:40])
