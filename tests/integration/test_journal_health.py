"""A failed intent-journal sync, as the real server shows it.

After an fdatasync of the journal fails, nothing written since can be trusted
to be on disk, so every later PUT/DELETE is refused with InternalError (never a
200 for something not durable), reads still work, and /readyz turns 503 so a
load balancer stops sending writes here. The fault is injected with the
server's --test-fault hook (the fault-injecting backend).
"""

import os
import sys

import pytest
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from fsgate_server import FsgateServer  # noqa: E402


def test_failed_journal_sync_refuses_writes_and_turns_readyz_503():
    # The journal's first append syncs once; the second one fails.
    with FsgateServer(extra_args=["--test-fault", "fsync:EIO:path=.log:skip=1"]) as server:
        s3 = server.client()
        s3.create_bucket(Bucket="health")
        assert server.readyz_status() == 200
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
