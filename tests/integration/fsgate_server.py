"""Start and stop the real fsgate binary for integration tests.

One FsgateServer is one `fsgate serve` process on loopback, on free ports,
over a root directory it owns (or one handed in, to restart on the same
root after a kill -9). It knows the keys of its user, its endpoint and its
metrics URL, and offers the few helpers every test file needs: a boto3
client, a raw SigV4-signed HTTP request (for what boto3 hides or refuses),
the Prometheus metrics parsed, and the POSIX view of a bucket once the
applier has drained.
"""

import base64
import datetime
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import boto3
import pytest
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
from botocore.exceptions import ClientError

REGION = "us-east-1"
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 60.0


def fsgate_bin():
    path = os.environ.get("FSGATE_BIN")
    if not path:
        raise RuntimeError("FSGATE_BIN is not set (CTest sets it to the built fsgate binary)")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"FSGATE_BIN={path} is not an executable")
    return path


_ports_given = set()


def free_port():
    """A loopback port free now, below Linux's ephemeral range (32768-60999).

    A port the kernel picked from the ephemeral range could be taken again, in
    the moment before fsgate binds it, by any outgoing connection of a test
    running beside this one (CTest runs two at once); and two calls could
    get the same one. Ports handed out here are never handed out twice.
    """
    rng = random.Random()
    while True:
        port = rng.randrange(20000, 32768)
        if port in _ports_given:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _ports_given.add(port)
        return port


def quote_key(key):
    """URI-encode a key for a path the way SigV4 wants it (each byte but unreserved and '/')."""
    return urllib.parse.quote(key, safe="/-_.~")


def quote_query(params):
    """Canonical-ready query string: keys sorted, RFC 3986 encoding, 'k=' for empty values."""
    if not params:
        return ""
    items = []
    for k, v in sorted(params.items()):
        k = urllib.parse.quote(str(k), safe="-_.~")
        if v is None:
            v = ""
        items.append(f"{k}={urllib.parse.quote(str(v), safe='-_.~')}")
    return "&".join(items)


_METRIC_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """Prometheus text format → {(name, frozenset(labels.items())): value}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _METRIC_LINE.match(line)
        if not m:
            continue
        labels = frozenset(_LABEL.findall(m.group(2) or ""))
        try:
            out[(m.group(1), labels)] = float(m.group(3))
        except ValueError:
            pass
    return out


class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # http.client.HTTPMessage (case-insensitive get)
        self.body = body

    def error_code(self):
        m = re.search(rb"<Code>([^<]*)</Code>", self.body or b"")
        return m.group(1).decode() if m else None

    def error_field(self, name):
        m = re.search(rb"<" + name.encode() + rb">([^<]*)</" + name.encode() + rb">", self.body or b"")
        return m.group(1).decode() if m else None

    def __repr__(self):
        return f"RawResponse({self.status}, {self.body[:500]!r})"


class FsgateServer:
    """One `fsgate serve` process. Use start()/stop(), or as a context manager."""

    def __init__(self, root=None, dirops="async", fsync="on", extra_args=(), users=None,
                 region=None):
        self.workdir = tempfile.mkdtemp(prefix="fsgate-it-")
        self.own_root = root is None
        self.root = root or os.path.join(self.workdir, "root")
        os.makedirs(self.root, exist_ok=True)
        self.dirops = dirops
        self.fsync = fsync
        self.extra_args = list(extra_args)
        self.access_key = "AKIA" + secrets.token_hex(8).upper()
        self.secret_key = secrets.token_urlsafe(30)
        # Extra users go into a --credentials file.
        self.users = list(users or [])
        # --region, and the region the boto3 clients sign for.
        self.region = region
        self.proc = None
        self.port = None
        self.metrics_port = None
        self.log_path = os.path.join(self.workdir, "fsgate.log")
        self._log = None
        self.starts = 0
        self._clients = {}
        self.ready_timeout = READY_TIMEOUT

    # -- life cycle ---------------------------------------------------------

    def command(self):
        cmd = [
            fsgate_bin(), "serve",
            "--root", self.root,
            "--listen", f"127.0.0.1:{self.port}",
            "--metrics-listen", f"127.0.0.1:{self.metrics_port}",
            "--dirops", self.dirops,
            "--fsync", self.fsync,
        ]
        if self.users:
            cred = os.path.join(self.workdir, "credentials.json")
            with open(cred, "w") as f:
                json.dump({"users": self.users}, f)
            cmd += ["--credentials", cred]
        if self.region:
            cmd += ["--region", self.region]
        return cmd + self.extra_args

    def start(self):
        assert self.proc is None, "already running"
        self.port = free_port()
        self.metrics_port = free_port()
        env = dict(os.environ)
        env["FSGATE_ACCESS_KEY"] = self.access_key
        env["FSGATE_SECRET_KEY"] = self.secret_key
        self._log = open(self.log_path, "ab")
        self._log.write(f"\n===== start #{self.starts}: {' '.join(self.command())}\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(self.command(), stdout=self._log, stderr=subprocess.STDOUT,
                                     env=env, start_new_session=True)
        self.starts += 1
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                self.proc = None
                raise RuntimeError(f"fsgate exited with {rc} before ready:\n{self.log_tail()}")
            if self.readyz_status(timeout=1) == 200:
                return self
            time.sleep(0.05)
        self.kill9()
        raise RuntimeError(f"fsgate not ready within {self.ready_timeout}s:\n{self.log_tail()}")

    def stop(self, check=True):
        """SIGTERM: the gateway drains and must exit 0."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(f"fsgate did not exit within {STOP_TIMEOUT}s of SIGTERM:\n{self.log_tail()}")
        finally:
            self._close_log()
        if check:
            assert rc == 0, f"fsgate exited with {rc} after SIGTERM:\n{self.log_tail()}"
        return rc

    def kill9(self):
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        self._close_log()

    def restart(self, kill=False):
        """Stop (SIGTERM, or kill -9 when kill=True) and start again on the same root."""
        if kill:
            self.kill9()
        else:
            self.stop()
        return self.start()

    def cleanup(self):
        if self.proc is not None:
            self.kill9()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, *_):
        try:
            if self.proc is not None:
                self.stop(check=exc_type is None)
        finally:
            self.cleanup()

    def _close_log(self):
        if self._log:
            self._log.close()
            self._log = None

    def log_tail(self, n=60):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "(no log)"

    # -- addresses ------------------------------------------------------------

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    def readyz_status(self, timeout=5):
        """HTTP status of GET /readyz on the metrics listener; 0 when nothing answers."""
        try:
            with urllib.request.urlopen(f"{self.metrics_url_base}/readyz", timeout=timeout) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return 0

    @property
    def metrics_url_base(self):
        return f"http://127.0.0.1:{self.metrics_port}"

    @property
    def metrics_url(self):
        return f"{self.metrics_url_base}/metrics"

    # -- clients --------------------------------------------------------------

    def client(self, access_key=None, secret_key=None, **config):
        cfg = dict(
            region_name=self.region or REGION,
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            # One attempt in all: no retry may hide an error or replay a request.
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=10,
            read_timeout=30,  # per socket read: a stalled answer fails instead of hanging
        )
        cfg.update(config)
        cache_key = (self.port, access_key, secret_key, repr(sorted(cfg.items())))
        if cache_key not in self._clients:
            self._clients[cache_key] = self._new_client(access_key, secret_key, cfg)
        return self._clients[cache_key]

    def _new_client(self, access_key, secret_key, cfg):
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            region_name=cfg["region_name"],
            config=botocore.config.Config(**cfg),
        )

    def raw(self, method, path, query=None, headers=None, body=b"", sign=True,
            access_key=None, secret_key=None, send_body=None, raw_query=None):
        """One HTTP request signed with SigV4 (header auth) on a pre-encoded path.

        `path` is sent as is (encode keys with quote_key). `send_body`, when given,
        replaces the body after signing (to send a body whose hash is not the signed one).
        """
        qs = raw_query if raw_query is not None else quote_query(query)
        url = f"{self.endpoint}{path}" + (f"?{qs}" if qs else "")
        headers = dict(headers or {})
        if sign:
            req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body, headers=headers)
            creds = botocore.credentials.Credentials(access_key or self.access_key,
                                                     secret_key or self.secret_key)
            botocore.auth.S3SigV4Auth(creds, "s3", REGION).add_auth(req)
            headers = dict(req.headers.items())
        payload = body if send_body is None else send_body
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.putrequest(method, path + (f"?{qs}" if qs else ""), skip_host=True,
                            skip_accept_encoding=True)
            if not any(k.lower() == "host" for k in headers):
                conn.putheader("Host", self.host)
            for k, v in headers.items():
                conn.putheader(k, v)
            if payload or method in ("PUT", "POST"):
                conn.putheader("Content-Length", str(len(payload)))
            conn.endheaders()
            if payload:
                conn.send(payload)
            resp = conn.getresponse()
            data = resp.read()
            return RawResponse(resp.status, resp.headers, data)
        finally:
            conn.close()

    def sign_v4(self, method, path, qs, headers, payload_hash, amz_date=None,
                access_key=None, secret_key=None, region=REGION, unsigned=()):
        """SigV4 header auth done by hand (for dates, hashes and chunked bodies botocore won't make).

        `qs` is the canonical query; headers named in `unsigned` are sent but left
        out of SignedHeaders. Returns (headers with Authorization, seed signature,
        scope, signing key)."""
        access_key = access_key or self.access_key
        amz_date = amz_date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        h = {k.lower(): " ".join(str(v).split()) for k, v in headers.items()}
        h.setdefault("host", self.host)
        h["x-amz-date"] = amz_date
        h["x-amz-content-sha256"] = payload_hash
        signed = sorted(k for k in h if k not in unsigned)
        sig, scope, key = self._signature(method, path, qs, h, signed, payload_hash, amz_date,
                                          secret_key, region)
        h["authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                              f"SignedHeaders={';'.join(signed)}, Signature={sig}")
        return h, sig, scope, key

    def presign_v4(self, method, path, headers=None, expires=300, region=REGION, signed=("host",)):
        """A presigned URL's path and query made by hand (for scopes and SignedHeaders boto3
        won't make): `signed` names the headers the signature covers, taken from `headers`
        (host defaults to the server's)."""
        amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        h = {k.lower(): v for k, v in (headers or {}).items()}
        h.setdefault("host", self.host)
        signed = sorted(signed)
        params = {"X-Amz-Algorithm": "AWS4-HMAC-SHA256",
                  "X-Amz-Credential": f"{self.access_key}/{amz_date[:8]}/{region}/s3/aws4_request",
                  "X-Amz-Date": amz_date, "X-Amz-Expires": str(expires),
                  "X-Amz-SignedHeaders": ";".join(signed)}
        qs = quote_query(params)
        sig, _, _ = self._signature(method, path, qs, h, signed, "UNSIGNED-PAYLOAD", amz_date,
                                    None, region)
        return f"{path}?{qs}&X-Amz-Signature={sig}"

    def _signature(self, method, path, qs, headers, signed, payload_hash, amz_date, secret_key,
                   region):
        canonical = "\n".join([method, path, qs, "".join(f"{k}:{headers[k]}\n" for k in signed),
                               ";".join(signed), payload_hash])
        scope = f"{amz_date[:8]}/{region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key = signing_key(secret_key or self.secret_key, amz_date[:8], region)
        return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest(), scope, key

    def raw_v4(self, method, path, query=None, headers=None, body=b"", payload_hash=None, amz_date=None,
               access_key=None, secret_key=None):
        """A request signed with sign_v4; payload_hash defaults to the body's SHA-256."""
        qs = quote_query(query)
        if payload_hash is None:
            payload_hash = hashlib.sha256(body).hexdigest()
        h, _, _, _ = self.sign_v4(method, path, qs, headers or {}, payload_hash, amz_date, access_key, secret_key)
        return self.raw(method, path, raw_query=qs, headers=h, body=body, sign=False)

    def put_aws_chunked(self, path, data, chunk_size=64 * 1024, headers=None, corrupt_chunk=None):
        """PUT with STREAMING-AWS4-HMAC-SHA256-PAYLOAD (signed aws-chunked), as the Java/Go SDKs do."""
        headers = dict(headers or {})
        headers.update({"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
                        "content-type": headers.get("content-type", "application/octet-stream")})
        chunks = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
        body_len = sum(len(f"{len(c):x};chunk-signature=") + 64 + 2 + len(c) + 2 for c in chunks)
        headers["content-length"] = str(body_len)
        h, prev, scope, key = self.sign_v4("PUT", path, "", headers, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        amz_date = h["x-amz-date"]
        empty = hashlib.sha256(b"").hexdigest()
        body = b""
        for i, c in enumerate(chunks):
            to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, empty,
                                 hashlib.sha256(c).hexdigest()])
            prev = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
            sig = prev if corrupt_chunk != i else "0" * 64
            body += f"{len(c):x};chunk-signature={sig}\r\n".encode() + c + b"\r\n"
        assert len(body) == body_len
        del h["content-length"]
        return self.raw("PUT", path, headers=h, body=body, sign=False)

    def put_unsigned_trailer(self, path, data, checksum_b64=None, chunk_size=64 * 1024,
                             algorithm="crc32", query=None):
        """PUT with STREAMING-UNSIGNED-PAYLOAD-TRAILER and an x-amz-checksum-crc32 trailer
        (what recent AWS SDKs send by default), or the trailer of `algorithm` (its value
        checksum_b64, which only crc32 computes by default); `query`: an UploadPart's."""
        import zlib
        if checksum_b64 is None:
            checksum_b64 = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
        trailer = f"x-amz-checksum-{algorithm.lower()}"
        headers = {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
                   "x-amz-trailer": trailer}
        body = b""
        for i in range(0, len(data), chunk_size):
            c = data[i:i + chunk_size]
            body += f"{len(c):x}\r\n".encode() + c + b"\r\n"
        body += f"0\r\n{trailer}:{checksum_b64}\r\n\r\n".encode()
        qs = quote_query(query)
        h, _, _, _ = self.sign_v4("PUT", path, qs, headers, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
        return self.raw("PUT", path, raw_query=qs, headers=h, body=body, sign=False)

    # -- metrics and the POSIX view --------------------------------------------

    def metrics(self):
        with urllib.request.urlopen(self.metrics_url, timeout=5) as r:
            return parse_metrics(r.read().decode())

    def metric_sum(self, name, **labels):
        want = set(labels.items())
        return sum(v for (n, ls), v in self.metrics().items() if n == name and want <= set(ls))

    def async_pending(self):
        return self.metric_sum("fsgate_async_pending")

    def wait_drained(self, timeout=20.0):
        """Poll fsgate_async_pending until 0 (the applier has caught up)."""
        deadline = time.monotonic() + timeout
        while True:
            pending = self.async_pending()
            if pending == 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"fsgate_async_pending still {pending} after {timeout}s")
            time.sleep(0.02)

    def wait_delegated_inodes(self, count=64, timeout=20.0):
        """Poll fsgate_delegated_inodes_available until `count`: a create finding the
        pool empty (a fresh gateway on a loaded machine) goes synchronous."""
        deadline = time.monotonic() + timeout
        while self.metric_sum("fsgate_delegated_inodes_available") < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"fewer than {count} delegated inodes after {timeout}s")
            time.sleep(0.05)

    def posix_view(self, bucket):
        """(files {key: bytes}, empty_dirs set) under ROOT/<bucket>."""
        return posix_view(os.path.join(self.root, bucket))

    def wait_posix_view(self, bucket, files, empty_dirs=frozenset(), timeout=20.0):
        """Wait for the applier, then for ROOT/<bucket> to hold exactly `files`.

        The apply lag is bounded, not zero: after the pending gauge reaches 0 the
        directory prune may still be a moment behind, so the final check polls.
        """
        self.wait_drained(timeout)
        deadline = time.monotonic() + timeout
        want = ({k: bytes(v) for k, v in files.items()}, set(empty_dirs))
        while True:
            got = self.posix_view(bucket)
            if got == want:
                return
            if time.monotonic() > deadline:
                gf, gd = got
                wf, wd = want
                raise AssertionError(
                    "POSIX view of %s differs:\n  missing files: %s\n  unexpected files: %s\n"
                    "  wrong content: %s\n  empty dirs got %s want %s"
                    % (bucket, sorted(set(wf) - set(gf))[:20], sorted(set(gf) - set(wf))[:20],
                       sorted(k for k in wf if k in gf and gf[k] != wf[k])[:20], sorted(gd), sorted(wd)))
            time.sleep(0.02)


def signing_key(secret_key, date8, region=REGION):
    k = hmac.new(("AWS4" + secret_key).encode(), date8.encode(), hashlib.sha256).digest()
    for part in (region, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def s3_view(client, bucket):
    """(files {key: bytes}, directory-object dirs) as served through S3, for wait_posix_view."""
    files, dirs = {}, set()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            if o["Key"].endswith("/"):
                dirs.add(o["Key"])
            else:
                files[o["Key"]] = client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
    # A directory object with objects under it is not an empty directory on disk.
    empty = {d for d in dirs if not any(k.startswith(d) and k != d for k in list(files) + list(dirs))}
    return files, empty


def posix_view(top):
    files = {}
    empty_dirs = set()
    if not os.path.isdir(top):
        raise AssertionError(f"{top} is not a directory")
    for dirpath, dirnames, filenames in os.walk(top):
        rel = os.path.relpath(dirpath, top)
        rel = "" if rel == "." else rel + "/"
        if rel and not dirnames and not filenames:
            empty_dirs.add(rel)
        for name in filenames:
            p = os.path.join(dirpath, name)
            with open(p, "rb") as f:
                files[rel + name] = f.read()
    return files, empty_dirs


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def etag_of(data):
    return '"' + md5_hex(data) + '"'


def multipart_etag(parts):
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def expect_error(fn, code, status, *args, **kwargs):
    """Call a boto3 operation that must fail with S3 error `code` and HTTP `status`."""
    with pytest.raises(ClientError) as info:
        fn(*args, **kwargs)
    err = info.value.response
    got_code = err.get("Error", {}).get("Code")
    got_status = err.get("ResponseMetadata", {}).get("HTTPStatusCode")
    assert (got_code, got_status) == (code, status), f"expected {code}/{status}, got {got_code}/{got_status}: {err}"
    return err


def expect_4xx(fn, *args, **kwargs):
    """A request that must be refused with some 4xx S3 error (never a 5xx)."""
    with pytest.raises(ClientError) as info:
        fn(*args, **kwargs)
    err = info.value.response
    status = err.get("ResponseMetadata", {}).get("HTTPStatusCode")
    assert status is not None and 400 <= status < 500, f"expected a 4xx, got {status}: {err}"
    assert err.get("Error", {}).get("Code"), f"4xx without an S3 error Code: {err}"
    return err
