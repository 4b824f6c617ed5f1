"""Shared pytest fixtures: a real fsgate per test module, a fresh bucket per test."""

import itertools
import os
import subprocess
import sys
import tempfile
import uuid

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cephfs_server import BACKENDS, mounted_reader  # noqa: E402
from fsgate_server import FsgateServer  # noqa: E402

_bucket_seq = itertools.count()


def pytest_report_header(config):
    return f"FSGATE_BIN={os.environ.get('FSGATE_BIN', '(unset)')}"


@pytest.fixture(scope="module")
def ceph_conf():
    """The ceph.conf of a dev cluster: FSGATE_TEST_CEPH_CONF's (the CTest fixture
    starts deploy/ceph-dev-cluster.sh once for every cephfs test), or, run
    alone, one started for this module."""
    conf = os.environ.get("FSGATE_TEST_CEPH_CONF")
    if conf:
        yield conf
        return
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy",
                          "ceph-dev-cluster.sh")
    cluster = tempfile.mkdtemp(prefix="fsgate-ceph-")
    try:
        subprocess.run([script, "start", cluster], check=True, stdout=subprocess.DEVNULL)
        yield os.path.join(cluster, "ceph.conf")
    finally:
        subprocess.run([script, "wipe", cluster], check=False)


@pytest.fixture(scope="module")
def reader(ceph_conf):
    """A second client of the dev cluster's filesystem, mounted at its top."""
    with mounted_reader(ceph_conf) as fs:
        yield fs


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request):
    """Each backend in turn: ("posix", None), then ("cephfs", the dev cluster's ceph.conf)."""
    if request.param == "cephfs":
        return "cephfs", request.getfixturevalue("ceph_conf")
    return "posix", None


@pytest.fixture(scope="module")
def server():
    """The gateway with its defaults (async dirops, fsync on)."""
    with FsgateServer() as srv:
        yield srv


@pytest.fixture(scope="module", params=["async", "sync"])
def any_server(request):
    """The gateway once with async dirops and once with sync dirops."""
    with FsgateServer(dirops=request.param) as srv:
        yield srv


@pytest.fixture
def s3(server):
    # Per test: a test may restart the server, which moves it to new ports.
    return server.client()


def _new_bucket_name():
    return f"it-{next(_bucket_seq)}-{uuid.uuid4().hex[:10]}"


def _make_bucket(srv):
    client = srv.client()
    name = _new_bucket_name()
    client.create_bucket(Bucket=name)
    return client, name


@pytest.fixture
def bucket(server):
    """A fresh, empty bucket on `server`."""
    return _make_bucket(server)[1]


@pytest.fixture
def any_bucket(any_server):
    """(server, client, bucket) with a fresh bucket on the async and on the sync gateway."""
    client, name = _make_bucket(any_server)
    return any_server, client, name
