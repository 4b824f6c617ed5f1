"""The HTTP connection layer under hostile or careless peers, over raw sockets:
running out of descriptors, request framing the server does not read,
clients that stall or hog connections, and TLS clients that leave without
close_notify."""

import base64
import hashlib
import re
import resource
import socket
import ssl
import subprocess
import time
import uuid

import pytest

from fsgate_server import FsgateServer

READ_TIMEOUT = 2  # --read-timeout of the servers below, seconds


class LimitedFsgate(FsgateServer):
    """fsgate started under an open-file limit of `nofile` (soft = hard)."""

    def __init__(self, nofile, **kwargs):
        super().__init__(**kwargs)
        self.nofile = nofile

    def command(self):
        return ["prlimit", f"--nofile={self.nofile}:{self.nofile}", "--"] + super().command()


@pytest.fixture(scope="module")
def server():
    with FsgateServer(extra_args=["--read-timeout", str(READ_TIMEOUT)]) as srv:
        yield srv


@pytest.fixture
def bucket(server):
    name = f"hh-{uuid.uuid4().hex[:12]}"
    server.client().create_bucket(Bucket=name)
    return name


def connect(srv, timeout=10):
    return socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)


def read_response(sock):
    """One HTTP response: (status, {lower-case header: value}, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a complete answer: {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside the answer's body"
        body += chunk
    return status, headers, body


def closed_by_server(sock, within):
    """True when the server ends the connection (EOF or reset) within `within` seconds."""
    sock.settimeout(within)
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def error_code(body):
    m = re.search(rb"<Code>([^<]*)</Code>", body)
    return m.group(1).decode() if m else None


def signed_put_head(srv, bucket, key, headers):
    """A signed PUT's request line and header section (UNSIGNED-PAYLOAD); `headers` are added
    unsigned, after signing."""
    path = f"/{bucket}/{key}"
    signed, _, _, _ = srv.sign_v4("PUT", path, "", {}, "UNSIGNED-PAYLOAD")
    lines = [f"PUT {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in signed.items()]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def assert_still_serving(srv):
    s3 = srv.client()
    bucket = f"hh-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="after", Body=b"still serving")
    assert s3.get_object(Bucket=bucket, Key="after")["Body"].read() == b"still serving"


def assert_no_object(srv, bucket, key):
    listed = srv.client().list_objects_v2(Bucket=bucket).get("Contents", [])
    assert [o["Key"] for o in listed if o["Key"] == key] == []


# -- descriptors run out

def test_server_outlives_more_idle_connections_than_its_open_file_limit():
    with LimitedFsgate(nofile=256) as srv:
        conns = []
        try:
            for _ in range(300):
                conns.append(connect(srv))
            time.sleep(0.5)
            assert srv.proc.poll() is None, srv.log_tail()
            sized = re.search(r"max-connections=(\d+) \(not 16384\)", srv.log_tail(200))
            assert sized and 1 <= int(sized.group(1)) <= 256 // 4, srv.log_tail()
            # The server holds no more than the sized limit: each connection over it
            # was closed at once, or closed an idle one to get in.
            sized = int(sized.group(1))
            open_ones = conns
            deadline = time.monotonic() + 5
            while True:
                open_ones = [c for c in open_ones if not closed_by_server(c, within=0.02)]
                if len(open_ones) <= sized or time.monotonic() > deadline:
                    break
            assert len(open_ones) <= sized
        finally:
            for c in conns:
                c.close()
        assert_still_serving(srv)


def test_server_outlives_running_out_of_descriptors():
    # The limit is lowered under the running server, below what it was sized for: accepts and
    # new connections' reactors fail with EMFILE, and must be survived.
    with FsgateServer() as srv:
        pid = srv.proc.pid
        soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        conns = []
        try:
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (40, hard))
            for _ in range(100):
                conns.append(connect(srv))
            time.sleep(1)
            assert srv.proc.poll() is None, srv.log_tail()
        finally:
            for c in conns:
                c.close()
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
        assert srv.proc.poll() is None, srv.log_tail()
        assert_still_serving(srv)


# -- Transfer-Encoding

@pytest.mark.parametrize("coding", ["identity", "xchunked", "chunked, identity", "gzip, chunked"])
def test_unsupported_transfer_encoding_is_not_implemented_and_stores_nothing(server, bucket, coding):
    smuggled = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    with connect(server) as sock:
        sock.sendall(signed_put_head(server, bucket, "te", {"Transfer-Encoding": coding}) + smuggled)
        status, headers, body = read_response(sock)
        assert (status, error_code(body)) == (501, "NotImplemented"), body
        assert b"<Message>A header you provided implies functionality that is not implemented" \
            b"</Message>" in body
        assert headers["x-amz-request-id"] and headers["connection"].lower() == "close"
        assert closed_by_server(sock, within=5), "the body was read as a next request"
    assert_no_object(server, bucket, "te")


@pytest.mark.parametrize("coding", ["identity", "chunked"])
def test_transfer_encoding_with_content_length_is_a_bad_request(server, bucket, coding):
    with connect(server) as sock:
        sock.sendall(signed_put_head(server, bucket, "te-cl",
                                     {"Transfer-Encoding": coding, "Content-Length": "5"}) + b"hello")
        status, headers, body = read_response(sock)
        assert (status, error_code(body)) == (400, "BadRequest"), body
        assert closed_by_server(sock, within=5)
    assert_no_object(server, bucket, "te-cl")


def test_chunked_transfer_encoding_is_still_read(server, bucket):
    with connect(server) as sock:
        sock.sendall(signed_put_head(server, bucket, "chunked", {"Transfer-Encoding": "chunked"}) +
                     b"5\r\nhello\r\n0\r\n\r\n")
        status, _, body = read_response(sock)
        assert status == 200, body
    got = server.client().get_object(Bucket=bucket, Key="chunked")["Body"].read()
    assert got == b"hello"


# -- a body that is not what its header declared

@pytest.mark.parametrize("digest", ["content-md5", "x-amz-content-sha256"])
def test_a_body_longer_than_declared_fails_its_digest_and_closes_the_connection(server, bucket,
                                                                                digest):
    """Content-Length 10, 20 bytes sent, the digest of the 20: the digest fails on the 10 read,
    and the 10 left over must not be read as the start of the connection's next request."""
    intended = b"0123456789abcdefghij"
    server.client().put_object(Bucket=bucket, Key="there", Body=b"x")
    path = f"/{bucket}/long"
    if digest == "content-md5":
        payload_hash = "UNSIGNED-PAYLOAD"
        extra = {"Content-MD5": base64.b64encode(hashlib.md5(intended).digest()).decode()}
        code = "BadDigest"
    else:
        payload_hash = hashlib.sha256(intended).hexdigest()
        extra = {}
        code = "XAmzContentSHA256Mismatch"
    signed, _, _, _ = server.sign_v4("PUT", path, "", {}, payload_hash)
    lines = [f"PUT {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in {**signed, **extra}.items()]
    put = ("\r\n".join(lines + ["Content-Length: 10"]) + "\r\n\r\n").encode() + intended
    get_path = f"/{bucket}/there"
    get_signed, _, _, _ = server.sign_v4("GET", get_path, "", {}, "UNSIGNED-PAYLOAD")
    get = ("\r\n".join([f"GET {get_path} HTTP/1.1"] +
                        [f"{k}: {v}" for k, v in get_signed.items()]) + "\r\n\r\n").encode()
    with connect(server) as sock:
        sock.sendall(put + get)
        status, headers, body = read_response(sock)
        assert (status, error_code(body)) == (400, code), body
        assert headers["connection"].lower() == "close"
        assert closed_by_server(sock, within=5), "the body's rest was read as a next request"
    assert_no_object(server, bucket, "long")
    assert_still_serving(server)


# -- read timeout and connections per client

REQUEST_TIMEOUT_MESSAGE = (b"<Message>Your socket connection to the server was not read from or "
                           b"written to within the timeout period.</Message>")


def test_a_header_dribbled_byte_by_byte_times_out_as_a_whole(server):
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        answer = b""
        while time.monotonic() - started < READ_TIMEOUT + 4:
            sock.sendall(b"X-Slow: y\r\n"[:1])  # one byte every 0.25 s: never a per-byte timeout
            sock.settimeout(0.25)
            try:
                answer = sock.recv(65536)
                break
            except socket.timeout:
                continue
        elapsed = time.monotonic() - started
        assert answer.startswith(b"HTTP/1.1 400 "), answer
        assert elapsed < READ_TIMEOUT + 1.5
        sock.settimeout(5)
        while b"</Error>" not in answer:
            answer += sock.recv(65536)
        assert b"<Code>RequestTimeout</Code>" in answer and REQUEST_TIMEOUT_MESSAGE in answer
        assert closed_by_server(sock, within=3)


def test_a_stalled_body_is_answered_request_timeout_then_closed(server, bucket):
    with connect(server) as sock:
        sock.sendall(signed_put_head(server, bucket, "stalled", {"Content-Length": "100"}) + b"x" * 10)
        started = time.monotonic()
        sock.settimeout(READ_TIMEOUT + 5)
        status, headers, body = read_response(sock)
        assert time.monotonic() - started < READ_TIMEOUT + 1.5
        assert (status, error_code(body)) == (400, "RequestTimeout"), body
        assert REQUEST_TIMEOUT_MESSAGE in body and headers["connection"].lower() == "close"
        assert closed_by_server(sock, within=3)
    assert_no_object(server, bucket, "stalled")


def test_a_client_over_its_limit_closes_its_own_longest_idle_connection():
    with FsgateServer(extra_args=["--max-connections-per-client", "3"]) as srv:
        held = [connect(srv) for _ in range(3)]
        try:
            for c in held:  # each answered: the server holds all three
                c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                assert read_response(c)[0] == 403
                time.sleep(0.05)  # idle from then on: the first the longest
            time.sleep(0.2)
            with connect(srv) as extra:
                extra.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                assert read_response(extra)[0] == 403
                assert closed_by_server(held[0], within=3)
                for c in held[1:]:
                    c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                    assert read_response(c)[0] == 403
        finally:
            for c in held:
                c.close()


def test_a_client_whose_connections_are_all_busy_is_refused_more():
    with FsgateServer(extra_args=["--max-connections-per-client", "3"]) as srv:
        held = [connect(srv) for _ in range(3)]
        try:
            for c in held:  # each in the middle of a header section: busy, not idle
                c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            time.sleep(0.2)
            with connect(srv) as extra:
                extra.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                assert closed_by_server(extra, within=3)
            for c in held:  # none of them was closed for it
                c.sendall(b"\r\n")
                assert read_response(c)[0] == 403
        finally:
            for c in held:
                c.close()


# -- TLS clients leaving without close_notify

def access_lines(srv):
    with open(srv.log_path, "rb") as f:
        return [l for l in f.read().decode(errors="replace").splitlines() if " access " in l]


def self_signed_tls(tmp_path):
    """A certificate and key for 127.0.0.1 in `tmp_path`, and a client context trusting any."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-subj", "/CN=127.0.0.1", "-days", "1", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return cert, key, context


def test_tls_close_without_close_notify_is_not_a_request(tmp_path):
    cert, key, context = self_signed_tls(tmp_path)
    with FsgateServer(extra_args=["--tls-cert", str(cert), "--tls-key", str(key)]) as srv:
        def tls_connect():
            return context.wrap_socket(connect(srv), server_hostname="127.0.0.1")

        def leave(sock):  # the TCP connection ends; no close_notify is sent
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()

        answered = tls_connect()
        answered.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(answered)[0] == 403
        leave(answered)
        leave(tls_connect())  # a handshake, then nothing
        time.sleep(0.5)
        last = tls_connect()
        last.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        request_id = read_response(last)[1]["x-amz-request-id"]
        leave(last)
        deadline = time.monotonic() + 5
        while not any(request_id in l for l in access_lines(srv)):
            assert time.monotonic() < deadline, srv.log_tail()
            time.sleep(0.05)
        time.sleep(0.3)
        lines = access_lines(srv)
        assert len(lines) == 2 and all(" ListBuckets " in l for l in lines), lines
        assert srv.metric_sum("fsgate_http_requests_total") == 2
