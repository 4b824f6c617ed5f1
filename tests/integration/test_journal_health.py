"""A failed intent-journal sync, as the real server shows it.

After an fdatasync of the journal fails, nothing written since can be trusted
to be on disk, so every later PUT/DELETE is refused with InternalError (never a
200 for something not durable), reads still work, and /readyz turns 503 so a
load balancer stops sending writes here. The fault is injected with the
server's --test-fault hook (the fault-injecting backend).
"""

import glob
import os
import sys
import time

import pytest
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from fsgate_server import FsgateServer  # noqa: E402


SEGMENT_HEADER_BYTES = 32  # dirops/intent_codec.h kSegmentHeaderSize


def wait_for_first_journal_sync(server, timeout=30):
    """A start queues a checkpoint record (intent_journal.cpp: a new segment may
    replace one that held only the last checkpoint); with no intent to ride
    along, it is flushed on its own once idle for a second. That is the
    journal's first sync: wait for its record to be on disk, so that the
    syncs the fault counts are known, however slow the machine."""
    deadline = time.monotonic() + timeout
    pattern = os.path.join(server.root, ".fsgate", "gw", "*", "journal", "*.log")
    while time.monotonic() < deadline:
        for path in glob.glob(pattern):
            with open(path, "rb") as f:
                if f.read()[SEGMENT_HEADER_BYTES:].strip(b"\0"):
                    return
        time.sleep(0.1)
    raise AssertionError("the journal's start-up checkpoint was never flushed")


def test_failed_journal_sync_refuses_writes_and_turns_readyz_503():
    # The journal's first sync (its start-up checkpoint) and the first
    # append's pass; the second append's fails.
    with FsgateServer(extra_args=["--test-fault", "fsync:EIO:path=.log:skip=2"]) as server:
        s3 = server.client()
        s3.create_bucket(Bucket="health")
        assert server.readyz_status() == 200
        wait_for_first_journal_sync(server)
        s3.put_object(Bucket="health", Key="kept", Body=b"durable")
        with pytest.raises(ClientError) as failed:
            s3.put_object(Bucket="health", Key="lost", Body=b"x")
        assert failed.value.response["Error"]["Code"] == "InternalError"
        assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        assert server.readyz_status() == 503
        # Still refused after the fault is gone: the journal stays closed.
        with pytest.raises(ClientError) as later:
            s3.delete_object(Bucket="health", Key="kept")
        assert later.value.response["Error"]["Code"] == "InternalError"
        # Reads are unaffected.
        assert s3.get_object(Bucket="health", Key="kept")["Body"].read() == b"durable"
        with pytest.raises(ClientError) as missing:
            s3.head_object(Bucket="health", Key="lost")
        assert missing.value.response["Error"]["Code"] in ("404", "NoSuchKey")
        assert "not ready: writes cannot be answered" in server.log_tail(1000)
