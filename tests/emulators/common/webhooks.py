"""A timer thread (run a function at a due time) and a webhook sender built on it, with retries,
a delivery log and a way for tests to wait for deliveries."""

import collections
import heapq
import http.client
import itertools
import threading
import time
import urllib.parse

from common.httpapi import HttpError, Response, rfc3339


class Timer:
    """One background thread running scheduled callables in due-time order."""

    def __init__(self, name="timer"):
        self._queue = []
        self._ids = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def schedule(self, delay_s, function, *args):
        with self._cond:
            heapq.heappush(self._queue, (time.monotonic() + max(0.0, delay_s), next(self._ids), function, args))
            self._cond.notify()

    def clear(self):
        with self._cond:
            self._queue = []

    def pending(self):
        with self._cond:
            return len(self._queue)

    def stop(self):
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=5)

    def _run(self):
        while True:
            with self._cond:
                while not self._stopped and (not self._queue or self._queue[0][0] > time.monotonic()):
                    self._cond.wait(None if not self._queue else self._queue[0][0] - time.monotonic())
                if self._stopped:
                    return
                _, _, function, args = heapq.heappop(self._queue)
            try:
                function(*args)
            except Exception:  # keep the thread alive; an emulator bug shows on stderr
                import traceback
                traceback.print_exc()


def post(url, body, headers, timeout_s):
    """POSTs without urllib (which would honour http_proxy even for loopback). Returns the status."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"unsupported callback URL {url!r}")
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=timeout_s)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers={"Content-Length": str(len(body)), **headers})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


class WebhookSender:
    """Sends callbacks from its own thread, in order, retrying failed attempts.

    `attempts`: attempts per delivery; `backoff_ms`: first retry delay, doubled each time;
    `retry_on_status`: whether a non-2xx answer is retried (else only connection failures are)."""

    def __init__(self, attempts=5, backoff_ms=200, retry_on_status=True, timeout_s=5.0, keep=5000):
        self.attempts = attempts
        self.backoff_ms = backoff_ms
        self.retry_on_status = retry_on_status
        self.timeout_s = timeout_s
        self._timer = Timer("webhooks")
        self._cond = threading.Condition()
        self._log = collections.deque(maxlen=keep)
        self._ids = itertools.count(1)
        self._generation = 0  # bumped by reset(): attempts of older deliveries are dropped
        self._reset_counters()

    def _reset_counters(self):
        self.counters = {"queued": 0, "delivered": 0, "failed": 0, "attempts": 0}
        self._in_flight = 0

    def send(self, url, body, headers, label):
        """Queues a delivery; `headers` may be a function of the attempt number (1, 2, ...)."""
        with self._cond:
            delivery = {"id": next(self._ids), "url": url, "label": label, "attempts": 0,
                        "outcome": "pending", "statuses": [], "queued_at": rfc3339()}
            generation = self._generation
            self.counters["queued"] += 1
            self._in_flight += 1
        self._timer.schedule(0, self._attempt, delivery, body, headers, generation)

    def _attempt(self, delivery, body, headers, generation):
        with self._cond:
            if generation != self._generation:
                return
        delivery["attempts"] += 1
        try:
            status = post(delivery["url"], body, headers(delivery["attempts"]) if callable(headers) else headers,
                          self.timeout_s)
            success, retryable = 200 <= status < 300, self.retry_on_status
        except (OSError, http.client.HTTPException, ValueError) as error:
            status, success, retryable = f"error: {error.__class__.__name__}", False, True
        with self._cond:
            if generation != self._generation:
                return
            self.counters["attempts"] += 1
            delivery["statuses"].append(status)
            if not success and retryable and delivery["attempts"] < self.attempts:
                delay = self.backoff_ms * 2 ** (delivery["attempts"] - 1) / 1000
                self._timer.schedule(delay, self._attempt, delivery, body, headers, generation)
                return
            delivery["outcome"] = "delivered" if success else "failed"
            delivery["finished_at"] = rfc3339()
            self.counters["delivered" if success else "failed"] += 1
            self._in_flight -= 1
            self._log.append(delivery)
            self._cond.notify_all()

    def report(self):
        with self._cond:
            return {**self.counters, "pending": self._in_flight, "deliveries": [dict(d) for d in self._log]}

    def reset(self):
        self._timer.clear()
        with self._cond:
            self._generation += 1
            self._log.clear()
            self._reset_counters()
            self._cond.notify_all()

    def wait(self, count, timeout_s):
        """Waits until `count` deliveries finished (delivered or failed) and none is pending, if
        count is None. True when reached."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                finished = self.counters["delivered"] + self.counters["failed"]
                if (finished >= count) if count is not None else self._in_flight == 0:
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)

    def stop(self):
        self._timer.stop()

    def register(self, api, prefix="/_control/callbacks"):
        """GET `prefix` (the delivery log), POST `prefix`/wait {"count": N?, "timeout_ms": T}."""

        def listing(request):
            return Response.json(200, self.report())

        def wait(request):
            try:
                body = request.json({}) or {}
            except ValueError:
                raise HttpError(400, api.error(400, "invalid_json", "the body is not JSON")) from None
            reached = self.wait(body.get("count"), body.get("timeout_ms", 10000) / 1000)
            report = self.report()
            del report["deliveries"]
            return Response.json(200 if reached else 504, report)

        api.add("GET", prefix, listing)
        api.add("POST", prefix + "/wait", wait)
