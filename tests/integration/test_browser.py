"""A real browser against the gateway: headless Chromium (Debian's `chromium`,
driven over its DevTools pipe) loads a page from another origin (a small
HTTP server on another port) that

  1. uploads a file with a POST form (boto3's generate_presigned_post fields,
     success_action_redirect back to the page's origin),
  2. PUTs a text with fetch() to a presigned URL (a preflighted request),
  3. reads the form's object with fetch() from a presigned URL,

and writes what it saw into the page. With the bucket's CORS rule set all
three pass; without it the form still uploads (a form navigation needs no
CORS) but both fetches fail, and the PUT never reaches the bucket. A
screenshot of the page is left in the test's tmp folder.
"""

import http.server
import json
import threading

import pytest

from chromium_cdp import Chromium
from fsgate_server import etag_of

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>fsgate browser test</title></head>
<body style="font-family: sans-serif">
<h1>fsgate from another origin</h1>
<form id="upload" method="POST" enctype="multipart/form-data" target="sink"></form>
<iframe name="sink" id="sink" style="height: 3em; width: 90%"></iframe>
<pre id="result">running…</pre>
<script>
const cfg = CONFIG;
const out = {};

async function formUpload() {
  const form = document.getElementById("upload");
  form.action = cfg.post.url;
  for (const [name, value] of Object.entries(cfg.post.fields)) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.appendChild(input);
  }
  const file = document.createElement("input");
  file.type = "file";
  file.name = "file";
  const files = new DataTransfer();
  files.items.add(new File([cfg.post.content], "hello.txt", {type: "text/plain"}));
  file.files = files.files;
  form.appendChild(file);  // the file comes last, as S3 wants
  const sink = document.getElementById("sink");
  const landed = new Promise(resolve => sink.addEventListener("load", resolve, {once: true}));
  form.submit();
  await landed;
  try { out.form = sink.contentWindow.location.search; } catch (e) { out.form = "error: " + e; }
}

async function put() {
  try {
    const r = await fetch(cfg.put_url, {method: "PUT", body: cfg.put_body,
                                        headers: {"Content-Type": "text/plain"}});
    out.put = r.status + " " + r.headers.get("ETag");
  } catch (e) { out.put = "error: " + e.name; }
}

async function get() {
  try {
    const r = await fetch(cfg.get_url);
    out.get = r.status + " " + await r.text();
  } catch (e) { out.get = "error: " + e.name; }
}

window.addEventListener("load", async () => {
  await formUpload();
  await put();
  await get();
  document.getElementById("result").textContent = JSON.stringify(out, null, 1);
  document.body.dataset.result = JSON.stringify(out);
});
</script>
</body></html>
"""


class PageServer:
    """Serves the test page (and the form's redirect target) on its own port."""

    def __init__(self):
        self.page = b""
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = outer.page if self.path == "/page.html" else b"<p>uploaded</p>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def page_server():
    srv = PageServer()
    yield srv
    srv.close()


@pytest.mark.parametrize("with_cors", [True, False], ids=["cors", "no-cors"])
def test_browser_uploads_and_reads(server, s3, bucket, page_server, tmp_path, with_cors):
    if with_cors:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{
            "AllowedOrigins": [page_server.origin], "AllowedMethods": ["GET", "PUT", "POST"],
            "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 60}]})
    done = page_server.origin + "/done"
    content = "hello from a form"
    post = s3.generate_presigned_post(
        bucket, "upload/${filename}", Fields={"success_action_redirect": done},
        Conditions=[{"success_action_redirect": done}, ["starts-with", "$key", "upload/"]],
        ExpiresIn=120)
    config = {
        "post": {"url": post["url"], "fields": post["fields"], "content": content},
        "put_url": s3.generate_presigned_url(
            "put_object", Params={"Bucket": bucket, "Key": "put.txt", "ContentType": "text/plain"},
            ExpiresIn=120),
        "put_body": "hello from fetch",
        "get_url": s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": "upload/hello.txt"}, ExpiresIn=120),
    }
    page_server.page = PAGE.replace("CONFIG", json.dumps(config)).encode()

    with Chromium(tmp_path / "profile") as browser:
        tab = browser.open(page_server.origin + "/page.html")
        result = json.loads(browser.wait_for(tab, "document.body.dataset.result"))
        browser.screenshot(tab, tmp_path / "browser.png")
    assert (tmp_path / "browser.png").stat().st_size > 1000

    # The form upload needs no CORS: the redirect carries the new object's names.
    etag = etag_of(content.encode()).strip('"')
    assert result["form"] == f"?bucket={bucket}&key=upload%2Fhello.txt&etag=%22{etag}%22"
    assert s3.get_object(Bucket=bucket, Key="upload/hello.txt")["Body"].read() == content.encode()
    if with_cors:
        assert result["put"] == "200 " + etag_of(b"hello from fetch")
        assert result["get"] == "200 " + content
        assert s3.get_object(Bucket=bucket, Key="put.txt")["Body"].read() == b"hello from fetch"
    else:
        assert result["put"] == "error: TypeError"
        assert result["get"] == "error: TypeError"
        listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
        assert [o["Key"] for o in listed] == ["upload/hello.txt"], "the preflight stopped the PUT"
