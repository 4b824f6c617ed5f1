"""A real Prometheus scraping a real fsgate.

Each test starts `fsgate serve` (the shared harness, fsgate_server.py) and a
/usr/bin/prometheus that scrapes its --metrics-listen every second and loads
deploy/prometheus/alerts.yml, then asserts through Prometheus's HTTP API only:
what an operator's Prometheus sees, not what /metrics happens to print.
"""

import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "prometheus"))

from fsgate_server import FsgateServer, free_port  # noqa: E402
import dashboard  # noqa: E402  (tests/integration/prometheus/dashboard.py)

PROMETHEUS_BIN = os.environ.get("PROMETHEUS_BIN", "/usr/bin/prometheus")
ALERTS = os.path.join(dashboard.REPO, "deploy", "prometheus", "alerts.yml")
SCRAPE_TIMEOUT = 30.0  # seconds to wait for a value to show up in Prometheus


class Prometheus:
    """One Prometheus process scraping one fsgate metrics listener every second."""

    def __init__(self, metrics_port):
        self.workdir = tempfile.mkdtemp(prefix="fsgate-prom-")
        self.port = free_port()
        self.target = f"127.0.0.1:{metrics_port}"
        config = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
            "rule_files": [ALERTS],
            "scrape_configs": [{"job_name": "fsgate",
                                "static_configs": [{"targets": [self.target]}]}],
        }
        self.config_path = os.path.join(self.workdir, "prometheus.yml")
        with open(self.config_path, "w") as f:
            json.dump(config, f)  # JSON is YAML
        self.log_path = os.path.join(self.workdir, "prometheus.log")
        self.proc = None

    def start(self):
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [PROMETHEUS_BIN, f"--config.file={self.config_path}",
             f"--storage.tsdb.path={os.path.join(self.workdir, 'data')}",
             f"--web.listen-address=127.0.0.1:{self.port}",
             "--storage.tsdb.retention.time=1h", "--log.level=warn"],
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError(f"prometheus not ready in 30s:\n{self.log_tail()}")
        # The first scrape must have reached fsgate.
        self.wait_for('up{job="fsgate"} == 1', lambda r: len(r) == 1, what="fsgate target up")
        return self

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self._log.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read().decode(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def api(self, path, **params):
        url = f"{self.url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                body = json.load(r)
        except urllib.error.HTTPError as e:  # 400/422: a bad expression, with Prometheus's reason
            body = json.load(e)
        if body.get("status") != "success":
            raise AssertionError(f"Prometheus {path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr):
        """Instant vector → [(labels dict, float value)]."""
        data = self.api("query", query=expr)
        assert data["resultType"] == "vector", f"{expr}: {data['resultType']}"
        return [(s["metric"], float(s["value"][1])) for s in data["result"]]

    def wait_for(self, expr, predicate, what, timeout=SCRAPE_TIMEOUT):
        """Poll `expr` until predicate(result) holds; returns the result."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.query(expr)
            if predicate(result):
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not seen within {timeout}s; last {expr} = {result}")
            time.sleep(0.25)

    def by(self, expr, *labels):
        """{tuple of label values: value} of an instant query."""
        return {tuple(m.get(l, "") for l in labels): v for m, v in self.query(expr)}

    def wait_equal(self, expr, labels, want, what, timeout=SCRAPE_TIMEOUT):
        """Poll until by(expr, *labels) == want (values compared exactly)."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.by(expr, *labels)
            if got == want:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: Prometheus has\n  {sorted(got.items())}\nwant\n  {sorted(want.items())}")
            time.sleep(0.25)


@pytest.fixture
def start_stack():
    """start_stack(*fsgate_args) → (fsgate, prometheus scraping it); both stopped after the test."""
    started = []

    def start(*fsgate_args):
        srv = FsgateServer(extra_args=fsgate_args)
        started.append(srv)
        srv.start()
        prom = Prometheus(srv.metrics_port)
        started.append(prom)
        prom.start()
        return srv, prom

    yield start
    for item in reversed(started):
        if isinstance(item, FsgateServer):
            try:
                item.stop()
            finally:
                item.cleanup()
        else:
            item.stop()


def count_calls(client):
    """Counter of (S3 operation name, HTTP status) of every call `client` makes, by the SDK's own
    naming (botocore's operation model), counted after the response (errors included)."""
    calls = collections.Counter()

    def after_call(http_response, model, **_):
        calls[(model.name, str(http_response.status_code))] += 1

    client.meta.events.register("after-call.s3", after_call)
    return calls


def expect_status(status, fn, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == status, info.value.response


def s3_traffic(srv, bucket="prom-traffic"):
    """Known traffic, successes and errors over several APIs. Returns the client's call counts
    and the payload bytes sent."""
    s3 = srv.client()
    calls = count_calls(s3)
    sent = 0
    s3.create_bucket(Bucket=bucket)
    for i in range(12):
        body = os.urandom(1000 + i)
        s3.put_object(Bucket=bucket, Key=f"dir/obj-{i}", Body=body)
        sent += len(body)
    for i in range(7):
        assert len(s3.get_object(Bucket=bucket, Key=f"dir/obj-{i}")["Body"].read()) == 1000 + i
    for i in range(5):
        expect_status(404, s3.get_object, Bucket=bucket, Key=f"missing-{i}")
    for i in range(3):
        expect_status(404, s3.head_object, Bucket=bucket, Key=f"missing-{i}")
    s3.head_object(Bucket=bucket, Key="dir/obj-0")
    for _ in range(4):
        assert s3.list_objects_v2(Bucket=bucket, Prefix="dir/")["KeyCount"] == 12
    expect_status(404, s3.list_objects_v2, Bucket="no-such-bucket-prom")
    for i in range(6):
        s3.delete_object(Bucket=bucket, Key=f"dir/obj-{i}")
    s3.list_buckets()
    return calls, sent


def test_http_requests_match_client_counts(start_stack):
    srv, prom = start_stack()
    calls, sent = s3_traffic(srv)
    want = {k: float(v) for k, v in calls.items()}
    assert any(code == "404" for _, code in want), "the traffic must include 404s"
    prom.wait_equal("sum by (api, code) (fsgate_http_requests_total) > 0", ("api", "code"), want,
                    "fsgate_http_requests_total by api and code")
    per_api = collections.Counter()
    for (api, _), n in calls.items():
        per_api[(api,)] += n
    prom.wait_equal("sum by (api) (fsgate_http_request_seconds_count)", ("api",),
                    {k: float(v) for k, v in per_api.items()}, "fsgate_http_request_seconds_count by api")
    (_, bytes_in), = prom.query('sum(fsgate_http_bytes_total{direction="in"})')
    assert bytes_in >= sent, f"fsgate_http_bytes_total{{direction=in}} {bytes_in} < {sent} bytes PUT"
    (_, bytes_out), = prom.query('sum(fsgate_http_bytes_total{direction="out"})')
    assert bytes_out >= sum(1000 + i for i in range(7)), bytes_out
    (_, inflight), = prom.query("sum(fsgate_http_inflight_requests)")
    assert inflight == 0
    build = prom.query("fsgate_build_info")
    assert len(build) == 1 and build[0][1] == 1 and build[0][0].get("version"), build


def test_async_pending_seen_while_applier_is_slow(start_stack):
    # The hook delays every rename, i.e. the applier's link of a create into place;
    # unlinks are not slowed themselves, but queue behind the slowed creates.
    srv, prom = start_stack("--test-apply-delay-ms", "200")
    s3 = srv.client()
    s3.create_bucket(Bucket="slow")
    unlinks = 15
    for i in range(unlinks):
        s3.put_object(Bucket="slow", Key=f"old{i:03}", Body=b"o")
    srv.wait_drained(timeout=120)
    # The baseline from the gateway itself: Prometheus may still hold a sample from before the drain.
    base = {op: srv.metric_sum("fsgate_async_ops_total", op=op, result="ok") for op in ("create", "unlink")}

    creates = 60  # a few seconds of backlog at 200 ms a rename, whatever the worker count
    for i in range(creates):
        s3.put_object(Bucket="slow", Key=f"new{i:03}", Body=b"x" * 100)
    for i in range(unlinks):
        s3.delete_object(Bucket="slow", Key=f"old{i:03}")
    # max_over_time: any scraped sample counts, however fast the applier turns out to be.
    for op in ("create", "unlink"):
        prom.wait_for(f'max_over_time(fsgate_async_pending{{op="{op}"}}[5m]) > 0', lambda r: len(r) == 1,
                      f"pending {op}s > 0 while the applier is slowed")
    srv.wait_drained(timeout=120)
    prom.wait_for("sum(fsgate_async_pending) == 0", lambda r: len(r) == 1, "pending back to 0")

    # Every answered op was applied, once, successfully.
    prom.wait_equal('sum by (op) (fsgate_async_ops_total{result="ok"})', ("op",),
                    {("create",): base["create"] + creates, ("unlink",): base["unlink"] + unlinks},
                    "applied ops")
    prom.wait_equal('sum(fsgate_async_ops_total{result="error"})', (), {(): 0.0}, "failed applies")
    # The slowed applier shows in the lag histogram: most creates waited at least the delay.
    (_, p50), = prom.query('histogram_quantile(0.5, sum by (le) '
                           '(increase(fsgate_async_apply_seconds_bucket{op="create"}[5m])))')
    assert p50 >= 0.1, f"apply lag p50 {p50}s with a 200ms apply delay"


SWAP_EVERY = 3
MISMATCH_LOG = re.compile(r"async create: inode number mismatch deleg_ino=0x[0-9a-f]+ target=0x[0-9a-f]+ key=")


def test_ino_mismatch_counts_every_swap(start_stack):
    srv, prom = start_stack("--test-swap-inode-every", str(SWAP_EVERY))
    s3 = srv.client()
    s3.create_bucket(Bucket="swap")
    s3.put_object(Bucket="swap", Key="warm", Body=b"w")
    srv.wait_drained(timeout=60)
    before = srv.metric_sum("fsgate_ino_mismatch_total")  # the gateway's own count, once drained
    prom.wait_equal("fsgate_ino_mismatch_total", (), {(): before}, "baseline scraped")
    logged_before = len(MISMATCH_LOG.findall(open(srv.log_path, errors="replace").read()))

    puts = 10 * SWAP_EVERY  # a run of consecutive creates holds exactly puts/N swaps, whatever the phase
    for i in range(puts):
        s3.put_object(Bucket="swap", Key=f"s{i:03}", Body=b"y" * 10)
    srv.wait_drained(timeout=60)
    swaps = puts // SWAP_EVERY
    prom.wait_equal("fsgate_ino_mismatch_total", (), {(): before + swaps},
                    f"fsgate_ino_mismatch_total after {puts} creates swapping every {SWAP_EVERY}")
    logged = len(MISMATCH_LOG.findall(open(srv.log_path, errors="replace").read())) - logged_before
    assert logged == swaps, f"{logged} mismatch log lines for {swaps} swaps"
    # The filesystem is trusted: every object is still served with its bytes.
    for i in range(puts):
        assert s3.get_object(Bucket="swap", Key=f"s{i:03}")["Body"].read() == b"y" * 10
    # deploy/prometheus/alerts.yml, loaded by this Prometheus, fires.
    prom.wait_for('ALERTS{alertname="FsgateInoMismatch", alertstate="firing"}', lambda r: len(r) == 1,
                  "FsgateInoMismatch firing")


def test_alert_rules_load_and_evaluate(start_stack):
    _, prom = start_stack()
    deadline = time.monotonic() + SCRAPE_TIMEOUT
    while True:
        rules = [r for g in prom.api("rules")["groups"] for r in g["rules"]]
        never = "0001-01-01T00:00:00Z"  # Prometheus's zero time: not evaluated yet
        if rules and all(r.get("lastEvaluation", never) != never for r in rules):
            break
        assert time.monotonic() < deadline, f"rules not evaluated: {rules}"
        time.sleep(0.5)
    names = {r["name"] for r in rules}
    assert {"FsgateInoMismatch", "FsgateAsyncBacklogHigh", "FsgateAsyncApplyStalled",
            "FsgateAsyncApplyErrors", "FsgateHigh5xxRatio", "FsgateDelegatedInodePoolEmpty"} <= names
    for r in rules:
        assert r["health"] == "ok", f"{r['name']}: {r.get('lastError')}"
    # A healthy idle gateway raises none of them. (Alerts with a `for` could not fire this soon
    # anyway; FsgateInoMismatch and FsgateAsyncApplyErrors could, and must not.)
    time.sleep(3)
    firing = [a for a in prom.api("alerts")["alerts"] if a["state"] == "firing"]
    assert firing == [], firing


def test_every_dashboard_query_returns_series(start_stack):
    srv, prom = start_stack()
    s3_traffic(srv, bucket="prom-dash")
    srv.wait_drained(timeout=60)
    # rate() over the dashboard's window needs two samples of the traffic's counters.
    time.sleep(3)
    queries = dashboard.dashboard_queries()
    assert len(queries) >= 20, "the dashboard lost its panels"
    empty = []
    for title, ref, expr in queries:
        result = prom.query(dashboard.substitute(expr, rate_interval="1m"))  # raises if it does not parse
        if not result:
            empty.append(f"{title} [{ref}]: {expr}")
    assert not empty, "dashboard queries without any series:\n  " + "\n  ".join(empty)
