"""The access log: one line per request on stdout, as text or JSON, written by a
thread of its own; a gateway stopped with SIGTERM has written every line first."""

import json
import re
import time
import uuid

import pytest

from fsgate_server import FsgateServer


def log_lines(srv):
    with open(srv.log_path, "rb") as f:
        return f.read().decode(errors="replace").splitlines()


def wait_for_line(srv, needle, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log_lines(srv):
            if needle in line:
                return line
        time.sleep(0.02)
    raise AssertionError(f"no log line with {needle!r}:\n{srv.log_tail()}")


def put(srv, body):
    s3 = srv.client()
    bucket = f"al-{uuid.uuid4().hex[:10]}"
    key = f"dir/{uuid.uuid4().hex}"
    s3.create_bucket(Bucket=bucket)
    answer = s3.put_object(Bucket=bucket, Key=key, Body=body)
    return bucket, key, answer["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]


def test_text_lines_carry_the_request():
    with FsgateServer() as srv:
        bucket, key, request_id = put(srv, b"x" * 1234)
        line = wait_for_line(srv, request_id)
        pattern = (r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z access " + request_id +
                   r" 127\.0\.0\.1:\d+ " + srv.access_key + " PutObject " + bucket + " " +
                   re.escape(key) + r" 200 - 1234 0 \d+\.\d{3}ms$")
        assert re.match(pattern, line), line


def test_json_lines_carry_the_request():
    with FsgateServer(extra_args=["--log-format", "json"]) as srv:
        bucket, key, request_id = put(srv, b"y" * 77)
        record = json.loads(wait_for_line(srv, request_id))
        assert record["request_id"] == request_id
        assert (record["api"], record["bucket"], record["key"]) == ("PutObject", bucket, key)
        assert (record["status"], record["error"]) == (200, "")
        assert (record["bytes_in"], record["bytes_out"]) == (77, 0)
        assert record["access_key"] == srv.access_key
        assert record["duration_ms"] >= 0


@pytest.mark.parametrize("log_level, logged", [("info", True), ("warn", False)])
def test_every_answered_request_is_logged_before_a_graceful_exit(log_level, logged):
    with FsgateServer(extra_args=["--log-level", log_level]) as srv:
        s3 = srv.client()
        bucket = f"al-{uuid.uuid4().hex[:10]}"
        s3.create_bucket(Bucket=bucket)
        request_ids = []
        for i in range(300):
            answer = s3.put_object(Bucket=bucket, Key=f"k{i}", Body=b"z")
            request_ids.append(answer["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"])
        srv.stop()  # SIGTERM, exit 0 checked
        text = "\n".join(log_lines(srv))
    found = [rid for rid in request_ids if f" access {rid} " in text]
    assert len(found) == (len(request_ids) if logged else 0)
