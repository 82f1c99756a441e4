#!/usr/bin/python3
"""SMS provider emulator: the Messages resource of Twilio's 2010-04-01 REST API, on loopback.

Run with Debian's /usr/bin/python3 (standard library only):
    /usr/bin/python3 tests/emulators/sms/sms_emulator.py --port 0
It prints one line, "listening on http://127.0.0.1:PORT", and serves until SIGTERM or SIGINT:
    /2010-04-01/Accounts/{AccountSid}/Messages.json       create (POST), list (GET)
    /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json  fetch
    /_control/...                                          the control API for tests (README.md)
"""

import argparse
import base64
import binascii
import hashlib
import hmac
import math
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True  # keep the source tree clean when run from it
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from common import process  # noqa: E402
from common.faults import Faults  # noqa: E402
from common.httpapi import Api, HttpError, Response, Server, rfc2822  # noqa: E402
from common.webhooks import Timer, WebhookSender  # noqa: E402

API_VERSION = "2010-04-01"
BASE = f"/{API_VERSION}/Accounts"
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
SHORT_CODE = re.compile(r"^\d{3,8}$")
ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
ACCOUNT_SID = re.compile(r"^AC[0-9a-f]{32}$")
FINAL = ("delivered", "undelivered", "failed")

# GSM 03.38: the basic character set (one septet) and its extension table (escape + one septet).
GSM7_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
                 "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = set("^{}\\[~]|€\f")

# Twilio error codes for the generic answers of the shared pipeline.
GENERIC_CODES = {"not_found": 20404, "method_not_allowed": 20004, "internal_error": 20500,
                 "injected_error": 20500, "rate_limited": 20429, "service_unavailable": 20503,
                 "request_too_large": 20001, "invalid_json": 20001, "invalid_fault": 20001,
                 "invalid_request": 20001}


def twilio_error(status, code, message):
    """Twilio's error body: {"code", "message", "more_info", "status"}."""
    number = code if isinstance(code, int) else GENERIC_CODES.get(code, 20001)
    return {"code": number, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{number}",
            "status": status}


def fail(status, code, message, headers=None):
    return HttpError(status, twilio_error(status, code, message), headers)


def segments(body):
    """(encoding, number of segments) the way carriers count them: GSM-7 160 septets alone or 153
    per part, else UCS-2 70 UTF-16 units alone or 67 per part."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in body):
        septets = sum(2 if ch in GSM7_EXTENSION else 1 for ch in body)
        return "GSM-7", 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(body.encode("utf-16-le")) // 2
    return "UCS-2", 1 if units <= 70 else math.ceil(units / 67)


def twilio_signature(auth_token, url, params):
    """X-Twilio-Signature: base64 HMAC-SHA1 of the URL followed by each POST parameter, sorted by
    name, as name + value."""
    data = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


class Messages:
    """The message store, the status machine and the status callbacks."""

    def __init__(self, options):
        self.account_sid = options.account_sid
        self.auth_token = options.auth_token
        self.advance_ms = options.advance_ms
        self.service_sender = options.service_sender
        self.price_per_segment = options.price_per_segment
        self._cond = threading.Condition()
        self.records = {}  # sid -> record
        self.order = []  # sids, oldest first
        self.unreachable = {number: 30003 for number in options.unreachable}
        self.timer = Timer("sms-status")
        self.callbacks = WebhookSender(attempts=2, backoff_ms=options.callback_retry_ms, retry_on_status=False)

    # --- records ---

    def create(self, to, sender, service_sid, body, callback):
        encoding, parts = segments(body)
        now = rfc2822()
        sid = "SM" + secrets.token_hex(16)
        uri = f"{BASE}/{self.account_sid}/Messages/{sid}.json"
        resource = {
            "account_sid": self.account_sid, "api_version": API_VERSION, "body": body,
            "date_created": now, "date_sent": None, "date_updated": now, "direction": "outbound-api",
            "error_code": None, "error_message": None, "from": sender, "messaging_service_sid": service_sid,
            "num_media": "0", "num_segments": "0" if sender is None else str(parts), "price": None,
            "price_unit": "USD", "sid": sid, "status": "accepted" if sender is None else "queued",
            "subresource_uris": {"media": f"{BASE}/{self.account_sid}/Messages/{sid}/Media.json",
                                 "feedback": f"{BASE}/{self.account_sid}/Messages/{sid}/Feedback.json"},
            "to": to, "uri": uri,
        }
        record = {"resource": resource, "status_callback": callback, "encoding": encoding, "segments": parts,
                  "history": [{"status": resource["status"], "at": now}]}
        with self._cond:
            self.records[sid] = record
            self.order.append(sid)
            self._cond.notify_all()
        if self.advance_ms > 0:
            self.timer.schedule(self.advance_ms / 1000, self._auto_advance, sid)
        return dict(resource)

    def get(self, sid):
        with self._cond:
            record = self.records.get(sid)
            return dict(record["resource"]) if record else None

    def listing(self, to=None, sender=None, date_sent=None):
        with self._cond:
            found = [dict(self.records[sid]["resource"]) for sid in reversed(self.order)]  # newest first
        if to:
            found = [m for m in found if m["to"] == to]
        if sender:
            found = [m for m in found if m["from"] == sender]
        if date_sent:
            found = [m for m in found if m["date_sent"] and self._day(m["date_sent"]) == date_sent]
        return found

    @staticmethod
    def _day(rfc2822_value):
        return time.strftime("%Y-%m-%d", time.strptime(rfc2822_value[5:16], "%d %b %Y"))

    def control_listing(self):
        with self._cond:
            return [{**self.records[sid]["resource"], "status_callback": self.records[sid]["status_callback"],
                     "encoding": self.records[sid]["encoding"], "history": list(self.records[sid]["history"])}
                    for sid in self.order]

    def reset(self):
        self.timer.clear()
        self.callbacks.reset()
        with self._cond:
            self.records.clear()
            self.order.clear()
            self._cond.notify_all()

    # --- the status machine ---

    def next_status(self, resource):
        status = resource["status"]
        if status == "accepted":
            return "queued"
        if status == "queued":
            return "sent"
        if status == "sent":
            return "undelivered" if resource["to"] in self.unreachable else "delivered"
        return None

    def _auto_advance(self, sid):
        resource = self.advance(sid)
        if resource is not None and resource["status"] not in FINAL:
            self.timer.schedule(self.advance_ms / 1000, self._auto_advance, sid)

    def advance(self, sid, target=None):
        """Moves a message one step, or through each step up to `target` (a callback per step).
        Returns the resource, None when it is unknown or already final; ValueError when `target`
        cannot be reached from where the message is."""
        with self._cond:
            record = self.records.get(sid)
            if record is None:
                return None
            path, probe = [], dict(record["resource"])
            while (status := self.next_status(probe)) is not None:
                path.append((probe["status"], status))
                probe["status"] = status
                if target is None or status == target:
                    break
            reachable = [status for _, status in path]
            if target is not None and target != record["resource"]["status"] and target not in reachable:
                raise ValueError(f"a message to {probe['to']} that is {record['resource']['status']} "
                                 f"cannot become {target} (statuses: accepted, queued, sent, then delivered, "
                                 f"or undelivered for the numbers of /_control/unreachable)")
            if not path or (target is not None and target == record["resource"]["status"]):
                return dict(record["resource"]) if target is not None else None
        snapshot = None
        for previous, status in path:
            snapshot = self._step(record, previous, status)
            if snapshot is None:  # another advance (the timer, a control call) moved it meanwhile
                return self.get(sid)
        return snapshot

    def _step(self, record, previous, status):
        with self._cond:
            resource = record["resource"]
            if resource["status"] != previous:
                return None
            now = rfc2822()
            resource["status"] = status
            resource["date_updated"] = now
            if status == "queued" and resource["from"] is None:
                resource["from"] = self.service_sender
                resource["num_segments"] = str(record["segments"])
            if status == "sent":
                resource["date_sent"] = now
                resource["price"] = f"-{self.price_per_segment * record['segments']:.5f}"
            if status == "undelivered":
                resource["error_code"] = self.unreachable.get(resource["to"], 30003)
                resource["error_message"] = "Unreachable destination handset"
            record["history"].append({"status": status, "at": now})
            callback = record["status_callback"]
            snapshot = dict(resource)
            self._cond.notify_all()
        if callback:
            self._callback(callback, snapshot)
        return snapshot

    def _callback(self, url, resource):
        """Twilio's status callback: a form POST, signed with the auth token."""
        params = {"AccountSid": resource["account_sid"], "ApiVersion": API_VERSION, "From": resource["from"] or "",
                  "MessageSid": resource["sid"], "MessageStatus": resource["status"], "SmsSid": resource["sid"],
                  "SmsStatus": resource["status"], "To": resource["to"]}
        if resource["messaging_service_sid"]:
            params["MessagingServiceSid"] = resource["messaging_service_sid"]
        if resource["error_code"] is not None:
            params["ErrorCode"] = str(resource["error_code"])
        body = urllib.parse.urlencode(params).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                   "User-Agent": "TwilioProxy/1.1",
                   "X-Twilio-Signature": twilio_signature(self.auth_token, url, params),
                   # Seen on Twilio's webhooks by the receivers that deduplicate them; the same token
                   # goes with every retry of one callback.
                   "I-Twilio-Idempotency-Token": f"{resource['sid']}-{resource['status']}-{secrets.token_hex(8)}"}
        self.callbacks.send(url, body, headers, f"{resource['sid']} {resource['status']}")

    def wait(self, count, status, timeout_s):
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                reached = sum(1 for record in self.records.values()
                              if (record["resource"]["status"] == status if status else
                                  record["resource"]["status"] in FINAL))
                if reached >= count:
                    return True, reached
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False, reached
                self._cond.wait(remaining)

    def stop(self):
        self.timer.stop()
        self.callbacks.stop()


def build_api(options):
    faults = Faults()
    api = Api(twilio_error, faults, max_body=1024 * 1024)
    messages = Messages(options)
    api.messages = messages

    def authenticate(request, account_sid):
        header = request.headers.get("Authorization") or ""
        user = password = None
        if header.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(header[6:], validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                pass
        if user != options.account_sid or not hmac.compare_digest(password or "", options.auth_token) \
                or account_sid != options.account_sid:
            raise fail(401, 20003, "Authenticate", {"WWW-Authenticate": 'Basic realm="Twilio API"'})

    def create(request, AccountSid):
        authenticate(request, AccountSid)
        form = request.form()
        to, sender = form.get("To", "").strip(), form.get("From", "").strip() or None
        service_sid = form.get("MessagingServiceSid", "").strip() or None
        body, callback = form.get("Body", ""), form.get("StatusCallback", "").strip() or None
        if not to:
            raise fail(400, 21604, "A 'To' phone number is required.")
        if sender is None and service_sid is None:
            raise fail(400, 21603, "A 'From' phone number is required.")
        if not body:
            raise fail(400, 21602, "Message body is required.")
        if not E164.match(to):
            raise fail(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if sender is not None and not (E164.match(sender) or SHORT_CODE.match(sender)
                                       or ALPHANUMERIC_SENDER.match(sender)):
            raise fail(400, 21212, f"The 'From' number {sender} is not a valid phone number, shortcode, "
                                   "or alphanumeric sender ID.")
        if len(body) > 1600:
            raise fail(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        if sender == to:
            raise fail(400, 21266, f"'To' and 'From' number cannot be the same: {to}")
        if callback is not None:
            parts = urllib.parse.urlsplit(callback)
            if parts.scheme not in ("http", "https") or not parts.hostname or "_" in parts.hostname:
                raise fail(400, 21609, f"The StatusCallback URL {callback} is not a valid URL.")
        resource = messages.create(to, sender, service_sid, body, callback)
        return Response.json(201, resource, {"Twilio-Request-Id": "RQ" + secrets.token_hex(16)})

    def fetch(request, AccountSid, MessageSid):
        authenticate(request, AccountSid)
        resource = messages.get(MessageSid)
        if resource is None:
            raise fail(404, 20404, f"The requested resource {request.path} was not found")
        return Response.json(200, resource)

    def listing(request, AccountSid):
        authenticate(request, AccountSid)
        try:
            page = int(request.arg("Page", "0"))
            size = int(request.arg("PageSize", "50"))
        except ValueError:
            raise fail(400, 20001, "Page and PageSize must be integers") from None
        if page < 0 or not 1 <= size <= 1000:
            raise fail(400, 20001, "PageSize must be between 1 and 1000, Page must not be negative")
        found = messages.listing(request.arg("To"), request.arg("From"), request.arg("DateSent"))
        chunk = found[page * size:(page + 1) * size]
        filters = {key: request.arg(key) for key in ("To", "From", "DateSent") if request.arg(key)}

        def uri(number):
            return f"{BASE}/{AccountSid}/Messages.json?" + urllib.parse.urlencode(
                {**filters, "PageSize": size, "Page": number})

        return Response.json(200, {
            "messages": chunk, "page": page, "page_size": size, "start": page * size,
            "end": page * size + max(len(chunk) - 1, 0), "uri": uri(page), "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1) if (page + 1) * size < len(found) else None,
            "previous_page_uri": uri(page - 1) if page > 0 else None})

    api.add("POST", f"{BASE}/{{AccountSid}}/Messages.json", create)
    api.add("GET", f"{BASE}/{{AccountSid}}/Messages.json", listing)
    api.add("GET", f"{BASE}/{{AccountSid}}/Messages/{{MessageSid}}.json", fetch)
    register_control(api, messages, faults)
    return api


def register_control(api, messages, faults):
    def body_of(request):
        try:
            body = request.json({})
        except ValueError:
            raise fail(400, "invalid_json", "the body is not JSON") from None
        if not isinstance(body, dict):
            raise fail(400, "invalid_request", "the body must be a JSON object")
        return body

    def listing(request):
        return Response.json(200, {"messages": messages.control_listing()})

    def reset(request):
        messages.reset()
        api.stats.reset()
        return Response.empty()

    def advance(request, sid):
        target = body_of(request).get("to")
        try:
            resource = messages.advance(sid, target)
        except ValueError as error:
            raise fail(409, "invalid_request", str(error)) from None
        if resource is None:
            if messages.get(sid) is None:
                raise fail(404, "not_found", f"no message {sid}")
            raise fail(409, "invalid_request", f"message {sid} is already {messages.get(sid)['status']}")
        return Response.json(200, resource)

    def wait(request):
        body = body_of(request)
        count, status = body.get("count", 1), body.get("status")
        reached, seen = messages.wait(count, status, body.get("timeout_ms", 10000) / 1000)
        return Response.json(200 if reached else 504, {"reached": reached, "count": seen})

    def unreachable(request):
        return Response.json(200, {"numbers": [{"number": n, "error_code": c}
                                               for n, c in sorted(messages.unreachable.items())]})

    def add_unreachable(request):
        body = body_of(request)
        numbers, code = body.get("numbers"), body.get("error_code", 30003)
        if not isinstance(numbers, list) or not all(isinstance(n, str) and E164.match(n) for n in numbers) \
                or not isinstance(code, int):
            raise fail(400, "invalid_request", '{"numbers": ["+33612345678", ...], "error_code": 30003}')
        for number in numbers:
            messages.unreachable[number] = code
        return unreachable(request)

    def clear_unreachable(request):
        messages.unreachable.clear()
        return Response.empty()

    def stats(request):
        return Response.json(200, api.stats.report())

    api.add("GET", "/_control/messages", listing)
    api.add("DELETE", "/_control/messages", reset)
    api.add("POST", "/_control/messages/wait", wait)
    api.add("POST", "/_control/messages/{sid}/advance", advance)
    api.add("GET", "/_control/unreachable", unreachable)
    api.add("POST", "/_control/unreachable", add_unreachable)
    api.add("DELETE", "/_control/unreachable", clear_unreachable)
    api.add("GET", "/_control/stats", stats)
    faults.register(api)
    messages.callbacks.register(api)


def parse_options(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--account-sid", default="AC" + "0" * 31 + "1", help="the one account (AC + 32 hex)")
    parser.add_argument("--auth-token", default="relance-test-auth-token", help="its auth token (Basic password)")
    parser.add_argument("--advance-ms", type=int, default=200,
                        help="delay between status steps (queued, sent, delivered); 0 = only by the control API")
    parser.add_argument("--unreachable", action="append", default=[], metavar="E164",
                        help="a number whose messages end undelivered with error 30003 (repeatable)")
    parser.add_argument("--service-sender", default="+15005550006",
                        help="the From given to messages sent with a MessagingServiceSid")
    parser.add_argument("--price-per-segment", type=float, default=0.0079, help="price shown once sent (USD)")
    parser.add_argument("--callback-retry-ms", type=int, default=500,
                        help="delay before the one retry of a status callback that could not connect")
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    options = parser.parse_args(argv)
    process.check_loopback(parser, options.host)
    if not ACCOUNT_SID.match(options.account_sid):
        parser.error("--account-sid is AC followed by 32 lower-case hex digits")
    return options


def main(argv=None):
    options = parse_options(argv)
    api = build_api(options)
    server = Server((options.host, options.port), api, options.verbose)
    host = f"[{options.host}]" if ":" in options.host else options.host
    return process.run_until_signal(f"listening on http://{host}:{server.port}",
                                    [process.serve_http(server), api.messages.stop])


if __name__ == "__main__":
    sys.exit(main())
