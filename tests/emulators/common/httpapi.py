"""JSON-over-HTTP plumbing for the emulators: requests, responses, routing, the request pipeline
(faults -> route -> handler), request counters, and a ThreadingHTTPServer on loopback.

An emulator builds an `Api` with its own error renderer (each real service has its own error
shape), registers routes, and serves it with `Server`. A handler takes a `Request` and returns a
`Response`, or raises `HttpError`; returning None drops the connection without an answer.
"""

import collections
import datetime
import email.utils
import http.server
import json
import re
import socket
import sys
import threading
import traceback
import urllib.parse


# --- time formats -------------------------------------------------------------------------------

def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def rfc3339(moment=None):
    """2026-03-01T09:30:00.123Z (UTC, milliseconds)."""
    moment = moment or utc_now()
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.microsecond // 1000:03d}Z"


def rfc2822(moment=None):
    """Sun, 01 Mar 2026 09:30:00 +0000 (what Twilio's 2010 API uses)."""
    moment = moment or utc_now()
    return email.utils.format_datetime(moment.astimezone(datetime.timezone.utc))


# --- requests and responses ---------------------------------------------------------------------

class HttpError(Exception):
    """An answer with an error body already shaped like the emulated service's errors."""

    def __init__(self, status, body, headers=None):
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


class Request:
    def __init__(self, method, path, query, headers, body, client):
        self.method = method
        self.path = path
        self.query = query  # name -> [values]
        self.headers = headers
        self.body = body
        self.client = client
        self.route = "unmatched"
        self.params = {}

    def arg(self, name, default=None):
        return self.query.get(name, [default])[0]

    def json(self, default=None):
        """The JSON body, `default` when the body is empty; ValueError when it is not JSON."""
        if not self.body.strip():
            return default
        return json.loads(self.body.decode("utf-8"))

    def form(self):
        """An application/x-www-form-urlencoded body as name -> first value."""
        text = self.body.decode("utf-8", "replace")
        return {key: values[0] for key, values in
                urllib.parse.parse_qs(text, keep_blank_values=True).items()}

    @property
    def content_type(self):
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


class Response:
    def __init__(self, status, body=b"", content_type="application/json", headers=None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = dict(headers or {})

    @classmethod
    def json(cls, status, value, headers=None):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return cls(status, text.encode("utf-8"), headers=headers)

    @classmethod
    def empty(cls, status=204, headers=None):
        return cls(status, b"", content_type=None, headers=headers)


# --- routing and the pipeline -------------------------------------------------------------------

class Route:
    def __init__(self, method, template, handler):
        self.method = method
        self.template = template
        self.handler = handler
        pattern = ""
        for literal, name in re.findall(r"([^{]*)(?:\{(\w+)\})?", template):
            pattern += re.escape(literal)
            if name:
                pattern += f"(?P<{name}>[^/]+?)"
        self.regex = re.compile(pattern + "$")


class Stats:
    """Requests served outside /_control, by "METHOD /route/{template}" and by status."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self.by_route = collections.Counter()
            self.by_status = collections.Counter()
            self.total = 0

    def record(self, method, route, status):
        with self._lock:
            self.by_route[f"{method} {route}"] += 1
            self.by_status[str(status)] += 1
            self.total += 1

    def report(self):
        with self._lock:
            return {"total": self.total, "by_route": dict(self.by_route), "by_status": dict(self.by_status)}


class Api:
    """Routes plus the pipeline every request goes through.

    `error(status, code, message)` renders the service's error body. `faults` (a faults.Faults or
    None) is consulted for every request outside `control_prefix`."""

    def __init__(self, error, faults=None, control_prefix="/_control/", max_body=16 * 1024 * 1024):
        self.routes = []
        self.error = error
        self.faults = faults
        self.control_prefix = control_prefix
        self.max_body = max_body
        self.stats = Stats()

    def add(self, method, template, handler):
        self.routes.append(Route(method, template, handler))

    def is_control(self, path):
        return path.startswith(self.control_prefix)

    def match(self, method, path):
        allowed = []
        for route in self.routes:
            found = route.regex.match(path)
            if found:
                if route.method == method:
                    return route, {k: urllib.parse.unquote(v) for k, v in found.groupdict().items()}
                allowed.append(route.method)
        if allowed:
            raise HttpError(405, self.error(405, "method_not_allowed", f"{method} is not allowed on {path}"),
                            {"Allow": ", ".join(sorted(set(allowed)))})
        raise HttpError(404, self.error(404, "not_found", f"The requested resource {path} was not found"))

    def handle(self, request):
        """A Response, or None to drop the connection."""
        try:
            if self.faults is not None and not self.is_control(request.path):
                fault = self.faults.take(request.method, request.path)
                if fault is not None:
                    outcome = self.faults.apply(fault, self.error)
                    if outcome is not self.faults.PROCEED:
                        return outcome
            route, params = self.match(request.method, request.path)
            request.route = route.template
            request.params = params
            return route.handler(request, **params)
        except HttpError as error:
            return Response.json(error.status, error.body, error.headers)
        except Exception:  # an emulator bug: answer a server error and show the trace
            traceback.print_exc(file=sys.stderr)
            return Response.json(500, self.error(500, "internal_error", "Internal server error"))


# --- the server ---------------------------------------------------------------------------------

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "RelanceEmulator"

    def setup(self):
        super().setup()
        # Headers and body leave in two writes; without this, Nagle's algorithm and the client's
        # delayed ACK can stall a keep-alive answer by tens of milliseconds.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self):
        api = self.server.api
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > api.max_body:
            self.close_connection = True
            remaining = length if length <= 4 * api.max_body else 0
            while remaining > 0:  # read it, so the client is not reset while it is still sending
                chunk = self.rfile.read(min(65536, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
            response = Response.json(413, api.error(413, "request_too_large",
                                                    f"The request body exceeds {api.max_body} bytes"),
                                     {"Connection": "close"})
            request = Request(self.command, url.path, {}, self.headers, b"", self.client_address)
        else:
            request = Request(self.command, url.path,
                              urllib.parse.parse_qs(url.query, keep_blank_values=True),
                              self.headers, self._read_body(length), self.client_address)
            response = api.handle(request)
        if not api.is_control(request.path):
            api.stats.record(self.command, request.route, response.status if response else "dropped")
        if response is None:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def _read_body(self, length):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(length) if length else b""

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, api, verbose=False):
        self.api = api
        self.verbose = verbose
        super().__init__(address, Handler)

    @property
    def port(self):
        return self.server_address[1]


# --- multipart/form-data ------------------------------------------------------------------------

class Part:
    def __init__(self, headers, data):
        self.headers = headers  # lower-case name -> value
        self.data = data
        disposition = headers.get("content-disposition", "")
        self.name = _header_param(disposition, "name")
        self.filename = _header_param(disposition, "filename")
        self.content_type = headers.get("content-type", "text/plain").split(";")[0].strip().lower()

    def text(self):
        return self.data.decode("utf-8")


def _header_param(value, name):
    """A parameter of a Content-Disposition / Content-Type value (quoted or token, RFC 7578)."""
    found = re.search(r';\s*' + name + r'\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))', value, re.IGNORECASE)
    if not found:
        return None
    if found.group(1) is not None:
        return re.sub(r'\\(.)', r'\1', found.group(1))
    return found.group(2)


def parse_multipart(content_type_header, body):
    """The parts of a multipart/form-data body, in order; ValueError when it is malformed."""
    boundary = _header_param(content_type_header or "", "boundary")
    if not boundary:
        raise ValueError("the Content-Type has no boundary")
    delimiter = b"--" + boundary.encode("latin-1")
    if not body.startswith(delimiter):
        start = body.find(b"\r\n" + delimiter)
        if start < 0:
            raise ValueError("the body does not contain the boundary")
        body = body[start + 2:]
    parts = []
    position = len(delimiter)
    while True:
        if body[position:position + 2] == b"--":
            return parts  # the closing delimiter
        if body[position:position + 2] != b"\r\n":
            raise ValueError("malformed boundary line")
        header_end = body.find(b"\r\n\r\n", position + 2)
        if header_end < 0:
            raise ValueError("a part has no end of headers")
        headers = {}
        raw_headers = body[position + 2:header_end].decode("utf-8", "replace")
        for line in raw_headers.split("\r\n"):
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        next_delimiter = body.find(b"\r\n" + delimiter, header_end + 4)
        if next_delimiter < 0:
            raise ValueError("the body has no closing boundary")
        parts.append(Part(headers, body[header_end + 4:next_delimiter]))
        position = next_delimiter + 2 + len(delimiter)
