"""The official Python client (jwplatform 2.2.2 from PyPI) against the simulator.

Run with: `cargo xtask test --only clients` (which installs the client into a venv and starts
the simulator; JW_SIM_URL names it). The client is used unchanged but for its transport: its v2
client and its upload helper open `http.client.HTTPSConnection`s to api.jwplayer.com:443 and to
the upload links' hosts; here every such connection goes to the simulator's loopback HTTP
address instead. The v1 client is given the simulator's scheme, host and port through its own
constructor options. The v1 upload flows are the client's own examples (`examples/` in
jwplayer/jwplatform-py: video_s3_create.py, video_singlepart_create.py,
video_multipart_create.py), done with `requests` as they do. Every stored file's MD5 is checked
through the simulator's admin API.
"""

import hashlib
import http.client
import http.server
import json
import logging
import os
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request
import warnings

import requests

import jwplatform
from jwplatform.client import JWPlatformClient
from jwplatform.errors import ClientError
from jwplatform.upload import MaxRetriesExceededError
from jwplatform.v1 import errors as v1_errors

SIM = urllib.parse.urlsplit(os.environ.get("JW_SIM_URL", "http://127.0.0.1:4010"))
SITE_ID = os.environ.get("JW_SIM_SITE_ID", "simsite1")
API_KEY = os.environ.get("JW_SIM_API_KEY", "simkey01")
API_SECRET = os.environ.get("JW_SIM_API_SECRET", "sim-v1-secret")
V2_SECRET = os.environ.get("JW_SIM_V2_SECRET", "sim-v2-secret")
MIB = 1024 * 1024


class _ToSimulator(http.client.HTTPConnection):
    """The transport redirect: an `HTTPSConnection(host, port)` that connects to the
    simulator's loopback HTTP address, whatever host and port the client names."""

    def __init__(self, host, port=None, *args, **kwargs):
        super().__init__(SIM.hostname, SIM.port, timeout=kwargs.get("timeout", 60))


http.client.HTTPSConnection = _ToSimulator

# The client logs the failures these tests cause on purpose, and leaves its part connections
# to the garbage collector: neither is a finding here.
logging.basicConfig(level=logging.CRITICAL)


class Case(unittest.TestCase):
    def setUp(self):
        # Inside the runner's own warnings context (it resets filters per run).
        warnings.simplefilter("ignore", ResourceWarning)
        admin("faults", "DELETE")
        admin("log", "DELETE")


def data(size, seed):
    """Deterministic bytes that are not an MP4 (the simulator takes them as long enough)."""
    out = bytearray()
    block = hashlib.sha256(bytes([seed])).digest()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block * 64
    return bytes(out[:size])


def write_file(size, seed):
    f = tempfile.NamedTemporaryFile(prefix="jw-client-", suffix=".mp4", delete=False)
    payload = data(size, seed)
    f.write(payload)
    f.close()
    return f.name, hashlib.md5(payload).hexdigest()


def admin(path, method="GET", body=None):
    """The simulator's admin API (/_sim/...), JSON in and out."""
    req = urllib.request.Request(
        f"{SIM.scheme}://{SIM.netloc}/_sim/{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as r:
        text = r.read()
    return json.loads(text) if text else None


def stored(key):
    """The stored file of `key` (MD5 re-read from disk must match the recorded one)."""
    m = admin(f"media/{key}?verify=true")
    assert m["disk_md5"] == m["md5"], m
    return m


class V2Client(Case):
    """The v2 client: `Media.create_media_and_get_upload_context` + `Media.upload` pick
    `direct` up to 5 MiB and `multipart` above, check every ETag against the MD5 they computed,
    `Media.resume` continues a half-done multipart upload; `Media.get` polls the status."""

    def setUp(self):
        super().setUp()
        self.client = JWPlatformClient(V2_SECRET)
        # Observes the create replies (the media id is not in the upload context); the call
        # itself is the client's.
        self.created = []
        create = self.client.Media.create

        def observed(*args, **kwargs):
            resp = create(*args, **kwargs)
            self.created.append(resp.json_body)
            return resp

        self.client.Media.create = observed

    def wait_ready(self, media_id):
        for _ in range(300):
            media = self.client.Media.get(SITE_ID, media_id=media_id).json_body
            if media["status"] not in ("created", "processing"):
                self.assertEqual(media["status"], "ready", media)
                return media
            time.sleep(0.1)
        self.fail(f"media {media_id} never became ready")

    def test_direct_3_mib(self):
        path, md5 = write_file(3 * MIB, 1)
        self.addCleanup(os.unlink, path)
        with open(path, "rb") as f:
            ctx = self.client.Media.create_media_and_get_upload_context(f, site_id=SITE_ID)
            self.assertEqual(ctx.upload_method, "direct")
            self.assertTrue(ctx.direct_link)
            self.client.Media.upload(f, ctx)
        media_id = self.created[-1]["id"]
        media = self.wait_ready(media_id)
        self.assertEqual(media["md5"], md5)
        self.assertEqual(stored(media_id)["md5"], md5)
        puts = [e for e in admin("log") if e["method"] == "PUT"]
        self.assertEqual(len(puts), 1, puts)
        self.assertEqual(puts[0]["target"], "s3")

    def test_multipart_12_mib_with_its_md5_checks(self):
        path, md5 = write_file(12 * MIB, 2)
        self.addCleanup(os.unlink, path)
        with open(path, "rb") as f:
            ctx = self.client.Media.create_media_and_get_upload_context(f, site_id=SITE_ID)
            self.assertEqual(ctx.upload_method, "multipart")
            self.client.Media.upload(f, ctx)
        media_id = self.created[-1]["id"]
        self.assertEqual(self.wait_ready(media_id)["md5"], md5)
        self.assertEqual(stored(media_id)["size"], 12 * MIB)
        log = admin("log")
        self.assertEqual(len([e for e in log if e["target"] == "part"]), 3)
        self.assertEqual(len([e for e in log if e["target"] == "complete"]), 1)

    def test_multipart_wrong_etag_is_caught_and_retried(self):
        # The client compares each part's ETag with its own MD5: a wrong one is a retry.
        admin("faults", "POST", {"rules": [{"target": "part", "nth": 2, "fault": {"kind": "wrong_etag"}}]})
        path, md5 = write_file(11 * MIB, 3)
        self.addCleanup(os.unlink, path)
        with open(path, "rb") as f:
            ctx = self.client.Media.create_media_and_get_upload_context(f, site_id=SITE_ID)
            self.client.Media.upload(f, ctx)
        media_id = self.created[-1]["id"]
        self.assertEqual(self.wait_ready(media_id)["md5"], md5)
        parts = [e["path"] for e in admin("log") if e["target"] == "part"]
        self.assertEqual(len(parts), 4, parts)

    def test_multipart_resume_of_a_half_done_upload(self):
        # Part 2 fails as often as the client retries: its upload gives up after part 1.
        admin("faults", "POST", {"rules": [
            {"target": "part", "nth": 2, "times": 3, "fault": {"kind": "status", "status": 500}}
        ]})
        path, md5 = write_file(12 * MIB, 4)
        self.addCleanup(os.unlink, path)
        with open(path, "rb") as f:
            ctx = self.client.Media.create_media_and_get_upload_context(f, site_id=SITE_ID)
            with self.assertRaises(MaxRetriesExceededError):
                self.client.Media.upload(f, ctx)
            media_id = self.created[-1]["id"]
            self.assertEqual(stored(media_id)["status"], "created")
            # The same context later: the listing shows part 1's etag, which equals its MD5,
            # so part 1 is skipped; 2 and 3 are sent, then complete.
            self.assertTrue(ctx.can_resume())
            self.client.Media.resume(f, ctx)
        self.assertEqual(self.wait_ready(media_id)["md5"], md5)
        log = admin("log")
        first = [e for e in log if e["target"] == "part" and e["path"].endswith("/parts/1")]
        self.assertEqual(len(first), 1, "part 1 was sent once")
        self.assertEqual(len([e for e in log if e["target"] == "parts_list"]), 2)

    def test_fetch_and_status_polling(self):
        payload = data(2 * MIB + 3, 5)

        class Source(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Source)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.shutdown)
        url = f"http://127.0.0.1:{server.server_address[1]}/clip.mp4"
        resp = self.client.Media.create(
            SITE_ID, body={"upload": {"method": "fetch", "download_url": url}, "metadata": {"title": "py fetch"}}
        )
        media = resp.json_body
        self.assertEqual(media["status"], "processing")
        self.assertEqual(self.wait_ready(media["id"])["md5"], hashlib.md5(payload).hexdigest())

    def test_errors_are_v2_shaped(self):
        bad = JWPlatformClient("not-the-secret")
        with self.assertRaises(ClientError) as e:
            bad.Media.get(SITE_ID, media_id="nothing1")
        self.assertTrue(e.exception.has_error_code("unauthorized"), str(e.exception))
        with self.assertRaises(ClientError) as e:
            self.client.Media.get(SITE_ID, media_id="nothing1")
        self.assertTrue(e.exception.has_error_code("not_found"), str(e.exception))
        # A route the simulator does not serve still answers a v2 error the client reads.
        with self.assertRaises(ClientError) as e:
            self.client.Player.list(SITE_ID)
        self.assertTrue(e.exception.errors, str(e.exception))


class V1Client(Case):
    """The v1 client (signed calls, 9-digit nonce, api_kit) and the upload flows of the
    client's examples."""

    def setUp(self):
        super().setUp()
        self.client = jwplatform.v1.Client(API_KEY, API_SECRET, scheme=SIM.scheme, host=SIM.hostname, port=SIM.port)

    def v2_status(self, key):
        client = JWPlatformClient(V2_SECRET)
        for _ in range(300):
            media = client.Media.get(SITE_ID, media_id=key).json_body
            if media["status"] not in ("created", "processing"):
                self.assertEqual(media["status"], "ready", media)
                return media
            time.sleep(0.1)
        self.fail(f"media {key} never became ready")

    @staticmethod
    def upload_url(response):
        link = response["link"]
        return "{}://{}{}".format(link["protocol"], link["address"], link["path"])

    def test_s3_create_and_put(self):
        # examples/video_s3_create.py
        path, md5 = write_file(3 * MIB + 1, 6)
        self.addCleanup(os.unlink, path)
        response = self.client.videos.create(upload_method="s3", title="py v1 s3")
        with open(path, "rb") as f:
            r = requests.put(self.upload_url(response), params=response["link"]["query"], data=f)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.headers["ETag"], f'"{md5}"')
        key = response["media"]["key"]
        self.assertEqual(stored(key)["md5"], md5)
        self.assertEqual(stored(key)["metadata"], {"title": "py v1 s3"})
        self.assertEqual(self.v2_status(key)["md5"], md5)

    def test_single_form_upload(self):
        # examples/video_singlepart_create.py
        path, md5 = write_file(2 * MIB + 7, 7)
        self.addCleanup(os.unlink, path)
        response = self.client.videos.create(upload_method="single", title="py v1 single")
        query = response["link"]["query"]
        query["api_format"] = "json"
        with open(path, "rb") as f:
            r = requests.post(self.upload_url(response), params=query, files={"file": f})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["video"]["md5"], md5)
        self.assertEqual(stored(response["media"]["key"])["md5"], md5)
        self.assertEqual(self.v2_status(response["media"]["key"])["md5"], md5)

    def test_chunked_upload_as_in_its_example(self):
        # examples/video_multipart_create.py: upload_method=multipart, chunks of 10,000,000
        # bytes POSTed with X-Session-ID, X-Content-Range, Content-Disposition.
        size = 25_000_000
        path, md5 = write_file(size, 8)
        self.addCleanup(os.unlink, path)
        response = self.client.videos.create(upload_method="multipart", title="py v1 chunked")
        url = self.upload_url(response)
        query = response["link"]["query"]
        query["api_format"] = "json"
        headers = {"X-Session-ID": response["session_id"]}
        offset = 0
        statuses = []
        with open(path, "rb") as f:
            chunk = f.read(10_000_000)
            while chunk:
                end = offset + len(chunk) - 1
                headers.update({
                    "X-Content-Range": f"bytes {offset}-{end}/{size}",
                    "Content-Disposition": f'attachment; filename="{size}"',
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(len(chunk)),
                })
                r = requests.post(url, params=query, headers=headers, data=chunk)
                r.raise_for_status()
                statuses.append(r.status_code)
                offset += len(chunk)
                chunk = f.read(10_000_000)
        self.assertEqual(statuses, [201, 201, 200])
        key = response["media"]["key"]
        self.assertEqual(stored(key)["md5"], md5)
        self.assertEqual(self.v2_status(key)["md5"], md5)

    def test_refusals_raise_the_clients_own_error_classes(self):
        bad = jwplatform.v1.Client(API_KEY, "wrong", scheme=SIM.scheme, host=SIM.hostname, port=SIM.port)
        with self.assertRaises(v1_errors.JWPlatformSignatureInvalidError):
            bad.videos.create(upload_method="s3")
        with self.assertRaises(v1_errors.JWPlatformNotFoundError):
            self.client.videos.update(video_key="nothing1")
        with self.assertRaises(v1_errors.JWPlatformParameterMissingError):
            self.client.videos.update()
        stranger = jwplatform.v1.Client("nobody01", API_SECRET, scheme=SIM.scheme, host=SIM.hostname, port=SIM.port)
        with self.assertRaises(v1_errors.JWPlatformApiKeyInvalidError):
            stranger.videos.create()


if __name__ == "__main__":
    unittest.main(verbosity=2)
