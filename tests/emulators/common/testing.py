"""What the emulators' self-tests share: start an emulator as a subprocess and read its start line,
plain HTTP calls (http.client, so no proxy from the environment gets in the way), multipart
bodies, and a local receiver for callbacks."""

import http.client
import http.server
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid


class Process:
    """An emulator started with Debian's interpreter; `line` is its first stdout line."""

    def __init__(self, script, *args, timeout_s=15):
        self.popen = subprocess.Popen([sys.executable, "-B", script, *args], stdout=subprocess.PIPE,
                                      stderr=None, text=True)
        selector = selectors.DefaultSelector()
        selector.register(self.popen.stdout, selectors.EVENT_READ)
        ready = selector.select(timeout_s)
        selector.close()
        self.line = self.popen.stdout.readline().strip() if ready else ""
        if not self.line:
            self.popen.kill()
            self.popen.wait()
            raise RuntimeError(f"{os.path.basename(script)} printed no start line within {timeout_s}s")

    def stop(self, sig=signal.SIGTERM):
        """Signals the process and returns its exit status."""
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        try:
            status = self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            status = self.popen.wait()
        self.popen.stdout.close()
        return status


class HttpResult:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body) if self.body else None

    def __repr__(self):
        return f"HttpResult({self.status}, {self.body[:300]!r})"


def request(method, url, body=None, headers=None, json_body=None, form=None, timeout_s=10):
    """One HTTP call on a fresh connection; body may be bytes, or given as json_body / form."""
    sent = dict(headers or {})
    if json_body is not None:
        body = json.dumps(json_body).encode()
        sent.setdefault("Content-Type", "application/json")
    elif form is not None:
        body = urllib.parse.urlencode(form).encode()
        sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout_s)
    try:
        connection.request(method, (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                           body=body, headers=sent)
        response = connection.getresponse()
        return HttpResult(response.status, response.headers, response.read())
    finally:
        connection.close()


def multipart(fields, boundary=None):
    """(content_type, body) for multipart/form-data; `fields` is a list of (name, value) where value
    is str, or (filename, content_type, bytes) for a file."""
    boundary = boundary or "----relance" + uuid.uuid4().hex
    chunks = []
    for name, value in fields:
        chunks.append(f"--{boundary}\r\n".encode())
        if isinstance(value, tuple):
            filename, content_type, data = value
            chunks.append(f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                          f"Content-Type: {content_type}\r\n\r\n".encode())
            chunks.append(data)
        else:
            chunks.append(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
            chunks.append(value.encode("utf-8"))
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(chunks)


class Receiver:
    """A loopback HTTP server recording every request it gets. `answers` is a list of statuses to
    give in turn (then 200)."""

    def __init__(self):
        self.requests = []
        self.answers = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._cond:
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers.items()),
                                              "body": body, "status": status, "at": time.monotonic()})
                    receiver._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def wait(self, count, timeout_s=10):
        """The first `count` requests, once they arrived; AssertionError on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{len(self.requests)} callbacks after {timeout_s}s, expected {count}")
                self._cond.wait(remaining)
            return list(self.requests[:count])

    def forms(self):
        with self._cond:
            return [{k: v[0] for k, v in urllib.parse.parse_qs(r["body"].decode()).items()} for r in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
