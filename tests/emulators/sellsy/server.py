"""HTTP plumbing: routing, the request pipeline (quotas → injected faults → bearer check → handler),
request counters, and the ThreadingHTTPServer handler."""

import collections
import http.server
import json
import re
import socket
import sys
import threading
import time
import traceback
import urllib.parse

from auth import OAuthError
from common import ApiError


class Request:
    def __init__(self, method, path, query, headers, body, in_batch=False):
        self.method = method
        self.path = path
        self.query = query  # name -> [values]; repeated names such as embed[] keep every value
        self.headers = headers
        self.body = body
        self.route = "unmatched"
        self.in_batch = in_batch  # a sub-request of POST /v2/batch

    def param(self, name, default=None):
        return self.query.get(name, [default])[0]

    def json(self, required=True):
        if not self.body.strip():
            if required:
                raise ApiError(400, "A JSON body is required", "request.empty_body")
            return None
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "The body is not valid JSON", "request.malformed_json") from None

    def form_or_json(self):
        """The token endpoint takes JSON (S3) or a form (S4) (R §1)."""
        text = self.body.decode("utf-8", "replace").strip()
        if "json" in (self.headers.get("Content-Type") or "") or text.startswith("{"):
            body = self.json()
            if not isinstance(body, dict):
                raise OAuthError(400, "invalid_request", "The body must be a JSON object")
            return body
        return {key: values[0] for key, values in urllib.parse.parse_qs(text).items()}


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
    def empty(cls, status=204):
        return cls(status, b"", content_type=None)


class Route:
    def __init__(self, method, template, handler):
        self.method = method
        self.template = template
        self.handler = handler
        pattern = ""
        for literal, name in re.findall(r"([^{]*)(?:\{(\w+)\})?", template):
            pattern += re.escape(literal)
            if name:
                # Ids are integers in Sellsy (R §2); other parameters are one path segment.
                kind = r"\d+" if name == "id" or name.endswith("Id") else r"[^/]+?"
                pattern += f"(?P<{name}>{kind})"
        self.regex = re.compile(pattern + "$")

    def match(self, path):
        found = self.regex.match(path)
        if not found:
            return None
        return {name: int(value) if value.isdigit() and (name == "id" or name.endswith("Id")) else value
                for name, value in found.groupdict().items()}


class Router:
    def __init__(self):
        self.routes = []

    def add(self, method, template, handler):
        self.routes.append(Route(method, template, handler))

    def match(self, method, path):
        allowed = []
        for route in self.routes:
            params = route.match(path)
            if params is not None:
                if route.method == method:
                    return route, params
                allowed.append(route.method)
        if allowed:
            raise ApiError(405, f"Method {method} not allowed here", "route.method_not_allowed",
                           headers={"Allow": ", ".join(sorted(set(allowed)))})
        raise ApiError(404, f"No route for {path}", "route.not_found")


# ---------------------------------------------------------------------------------------------

FAULT_MODES = ("error", "rate_limit", "garbage", "truncated", "expire_token", "slow", "disconnect")


class Faults:
    """Control-API fault injection: the next `count` requests whose path starts with `path` (and of
    `method`, when given), after skipping `after` of them, get the fault `mode`."""

    def __init__(self):
        self._lock = threading.Lock()
        self.rules = []
        self._ids = 0

    def add(self, spec):
        if not isinstance(spec, dict) or spec.get("mode") not in FAULT_MODES or not isinstance(spec.get("path"), str):
            raise ApiError(400, "a fault needs a path prefix and a mode among " + "|".join(FAULT_MODES),
                           "control.fault")
        unknown = set(spec) - {"path", "mode", "method", "count", "after", "status", "delay_ms"}
        if unknown:
            raise ApiError(400, "unknown fault keys: " + ", ".join(sorted(unknown)), "control.fault")
        with self._lock:
            self._ids += 1
            rule = {"id": self._ids, "method": None, "count": 1, "after": 0, "status": 500, "delay_ms": 1000,
                    **spec, "seen": 0, "fired": 0}
            self.rules.append(rule)
            return dict(rule)

    def take(self, method, path):
        with self._lock:
            for rule in self.rules:
                if rule["fired"] >= rule["count"] or not path.startswith(rule["path"]):
                    continue
                if rule["method"] and rule["method"].upper() != method:
                    continue
                rule["seen"] += 1
                if rule["seen"] > rule["after"]:
                    rule["fired"] += 1
                    return dict(rule)
            return None

    def clear(self):
        with self._lock:
            self.rules = []

    def report(self):
        with self._lock:
            return [dict(rule) for rule in self.rules]


class Stats:
    """Requests served outside /_control, by route template and by status, for tests that count calls;
    the sub-requests of POST /v2/batch apart, under `batched`."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self.by_route = collections.Counter()
            self.by_status = collections.Counter()
            self.total = 0
            self.batched = collections.Counter()

    def record(self, method, route, status):
        with self._lock:
            self.by_route[f"{method} {route}"] += 1
            self.by_status[str(status)] += 1
            self.total += 1

    def record_batched(self, method, route, status):
        with self._lock:
            self.batched[f"{method} {route} {status}"] += 1

    def report(self):
        with self._lock:
            return {"total": self.total, "by_route": dict(self.by_route), "by_status": dict(self.by_status),
                    "batched": dict(self.batched)}


PROCEED = object()  # what a fault that only delays or expires tokens returns: go on with the request


def rate_limited(headers, retry_after):
    """429 with Sellsy's error body; Retry-After is an addition no source mentions (R §4 [I])."""
    error = ApiError(429, "Too many requests: the API quota is exhausted", "quota.exceeded")
    return Response.json(429, error.body(), {**headers, "Retry-After": str(retry_after)})


class Pipeline:
    """Runs one request through the emulator: `app` gives router, quotas, tokens, faults."""

    def __init__(self, app):
        self.app = app

    @staticmethod
    def area(path):
        for prefix, area in (("/v2/", "api"), ("/oauth2/", "login"), ("/_control/", "control")):
            if path.startswith(prefix):
                return area
        return "files"

    def handle(self, request):
        """A Response, or None to drop the connection without answering."""
        app, area = self.app, self.area(request.path)
        quota_headers = {}
        if area == "api":
            quota_headers, retry_after = app.quotas.hit()
            if retry_after is not None:
                return rate_limited(quota_headers, retry_after)
        try:
            fault = app.faults.take(request.method, request.path) if area != "control" else None
            if fault:
                response = self._inject(fault, quota_headers)
                if response is not PROCEED:
                    return response
            route, params = app.router.match(request.method, request.path)
            request.route = route.template
            if area == "api":
                app.tokens.check(request.headers.get("Authorization"))
            response = route.handler(request, **params)
            if response is None:  # a batch whose sub-request met a disconnect fault
                return None
        except ApiError as error:
            response = Response.json(error.status, error.body(), error.headers)
        except OAuthError as error:
            response = Response.json(error.status, error.body)
        except Exception:  # an emulator bug: answer like a server error and show the trace
            traceback.print_exc(file=sys.stderr)
            response = Response.json(500, ApiError(500, "Internal server error", "server.error").body())
        for name, value in quota_headers.items():  # a batch sets them after its sub-requests
            response.headers.setdefault(name, value)
        return response

    def _inject(self, fault, quota_headers):
        """The faulty Response, None for a dropped connection, or PROCEED."""
        mode = fault["mode"]
        if mode == "error":
            error = ApiError(fault["status"], "Injected server error", "server.error")
            return Response.json(error.status, error.body(), quota_headers)
        if mode == "rate_limit":
            return rate_limited({**quota_headers, "X-Quota-Remaining-By-Second": "0"}, 1)
        if mode == "garbage":
            return Response(200, b"<html><body>502 Bad Gateway</body></html>", headers=quota_headers)
        if mode == "truncated":
            return Response(200, b'{"data":[{"id":1,"name":"Trunc', headers=quota_headers)
        if mode == "disconnect":
            return None
        if mode == "expire_token":
            self.app.tokens.expire_all()
        elif mode == "slow":
            time.sleep(fault["delay_ms"] / 1000)
        return PROCEED


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so a backfill does not reconnect for every page
    server_version = "SellsyEmulator"

    def setup(self):
        super().setup()
        # Headers and body leave in two writes; without this, Nagle's algorithm and the client's
        # delayed ACK can stall every keep-alive response by tens of milliseconds.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self):
        url = urllib.parse.urlsplit(self.path)
        request = Request(self.command, url.path, urllib.parse.parse_qs(url.query, keep_blank_values=True),
                          self.headers, self._read_body())
        response = self.server.pipeline.handle(request)
        if Pipeline.area(request.path) != "control":  # count what a connector asked, not the test harness
            self.server.stats.record(self.command, request.route, response.status if response else "dropped")
        if response is None:
            self.close_connection = True
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

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, pipeline, stats, verbose=False):
        super().__init__(address, Handler)
        self.pipeline = pipeline
        self.stats = stats
        self.verbose = verbose
