"""HTTP fault injection, driven by an emulator's control API.

A rule: {"mode": ..., "count": 1, "after": 0, "path": "", "method": null, "status": ...,
"retry_after": 1, "delay_ms": 1000}. The next `count` requests whose path starts with `path` (and
of `method`, if given), after `after` of them went through untouched, get the fault. Modes:

    error        an error answer, `status` (default 500), in the service's error shape
    rate_limit   429 with Retry-After: `retry_after` seconds (default 1)
    unavailable  503 with Retry-After: `retry_after` seconds (default 1)
    disconnect   the connection is closed without an answer (the request is not processed)
    slow         the request waits `delay_ms` (default 1000), then is processed normally

Rules are tried in the order they were added; a spent rule stays listed with its counters.
"""

import threading
import time

from common.httpapi import HttpError, Response

MODES = ("error", "rate_limit", "unavailable", "disconnect", "slow")
KEYS = {"mode", "count", "after", "path", "method", "status", "retry_after", "delay_ms"}
_DEFAULT_STATUS = {"error": 500, "rate_limit": 429, "unavailable": 503}


class Faults:
    PROCEED = object()  # what a fault that only delays returns: go on with the request

    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []
        self._ids = 0

    @staticmethod
    def check(spec):
        """The problem with a rule, or None."""
        if not isinstance(spec, dict):
            return "a fault rule is a JSON object"
        unknown = set(spec) - KEYS
        if unknown:
            return "unknown fault keys: " + ", ".join(sorted(unknown))
        if spec.get("mode") not in MODES:
            return "mode must be one of " + ", ".join(MODES)
        for key in ("count", "after", "status", "retry_after", "delay_ms"):
            if key in spec and (not isinstance(spec[key], int) or isinstance(spec[key], bool) or spec[key] < 0):
                return f"{key} must be a non-negative integer"
        if "status" in spec and not 400 <= spec["status"] <= 599:
            return "status must be between 400 and 599"
        for key in ("path", "method"):
            if spec.get(key) is not None and not isinstance(spec[key], str):
                return f"{key} must be a string"
        return None

    def add(self, spec, error):
        """Adds a rule; `error` renders the HttpError body for a bad rule."""
        problem = self.check(spec)
        if problem:
            raise HttpError(400, error(400, "invalid_fault", problem))
        with self._lock:
            self._ids += 1
            mode = spec["mode"]
            rule = {"id": self._ids, "count": 1, "after": 0, "path": "", "method": None,
                    "status": _DEFAULT_STATUS.get(mode), "retry_after": 1, "delay_ms": 1000,
                    **spec, "seen": 0, "fired": 0}
            self._rules.append(rule)
            return dict(rule)

    def take(self, method, path):
        """The rule that fires for this request (counting it), or None."""
        with self._lock:
            for rule in self._rules:
                if rule["fired"] >= rule["count"] or not path.startswith(rule["path"]):
                    continue
                if rule["method"] and rule["method"].upper() != method:
                    continue
                rule["seen"] += 1
                if rule["seen"] > rule["after"]:
                    rule["fired"] += 1
                    return dict(rule)
            return None

    def apply(self, rule, error):
        """The faulty Response, None for a dropped connection, or PROCEED."""
        mode = rule["mode"]
        if mode == "disconnect":
            return None
        if mode == "slow":
            time.sleep(rule["delay_ms"] / 1000)
            return self.PROCEED
        status = rule["status"]
        headers = {}
        if mode in ("rate_limit", "unavailable"):
            headers["Retry-After"] = str(rule["retry_after"])
        code = {"rate_limit": "rate_limited", "unavailable": "service_unavailable"}.get(mode, "injected_error")
        message = {"rate_limit": "Too many requests", "unavailable": "Service unavailable"}.get(
            mode, "Injected server error")
        return Response.json(status, error(status, code, message), headers)

    def clear(self):
        with self._lock:
            self._rules = []

    def report(self):
        with self._lock:
            return [dict(rule) for rule in self._rules]

    def register(self, api, prefix="/_control/faults"):
        """GET (list), POST (add one rule, or a list of rules), DELETE (clear) on `prefix`."""

        def listing(request):
            return Response.json(200, {"faults": self.report()})

        def add(request):
            try:
                body = request.json()
            except ValueError:
                raise HttpError(400, api.error(400, "invalid_json", "the body is not JSON")) from None
            specs = body if isinstance(body, list) else [body]
            return Response.json(201, {"faults": [self.add(spec, api.error) for spec in specs]})

        def clear(request):
            self.clear()
            return Response.empty()

        api.add("GET", prefix, listing)
        api.add("POST", prefix, add)
        api.add("DELETE", prefix, clear)
