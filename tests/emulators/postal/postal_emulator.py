#!/usr/bin/python3
"""Postal-mail provider emulator: a small REST API that takes a PDF and two addresses and "posts" a
paper letter, the kind of letter-sending service French companies call to send dunning letters
(lettre simple, lettre recommandée, avec accusé de réception). No standard exists; the shape is
ours and is documented in README.md.

Run with Debian's /usr/bin/python3 (standard library only):
    /usr/bin/python3 tests/emulators/postal/postal_emulator.py --port 0
It prints one line, "listening on http://127.0.0.1:PORT", and serves until SIGTERM or SIGINT:
    POST /v1/letters, GET /v1/letters, GET /v1/letters/{id}, POST /v1/letters/{id}/cancel
    /_control/...   the control API for tests
"""

import argparse
import base64
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse
import zlib

sys.dont_write_bytecode = True  # keep the source tree clean when run from it
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from common import process  # noqa: E402
from common.faults import Faults  # noqa: E402
from common.httpapi import Api, HttpError, Response, Server, parse_multipart, rfc3339  # noqa: E402
from common.webhooks import WebhookSender  # noqa: E402

STATUSES = ("accepted", "printed", "posted", "delivered", "returned", "cancelled")
NEXT = {"accepted": ("printed",), "printed": ("posted",), "posted": ("delivered", "returned")}
RETURN_REASONS = ("npai", "refused", "unclaimed", "damaged")  # npai: n'habite pas à l'adresse indiquée
OPTION_DEFAULTS = {"color": False, "duplex": True, "registered": False, "acknowledgement": False}
ADDRESS_KEYS = {"name", "company", "address_lines", "postal_code", "city", "country"}
FIELDS = {"document", "recipient", "sender", "options", "reference", "callback_url"}
LINE_MAX = 38  # characters per address line (AFNOR NF Z10-011), at most 6 lines
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")

# The emulator's tariff, in euro cents. Invented: real tariffs depend on weight and change yearly.
TARIFF = {"postage": 150, "registered": 500, "acknowledgement": 150, "sheet": 30, "color_page": 20}


def error_body(status, code, message, details=None):
    body = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    return body


def fail(status, code, message, details=None, headers=None):
    return HttpError(status, error_body(status, code, message, details), headers)


# --- checks -------------------------------------------------------------------------------------

_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_OBJECT_STREAM = re.compile(rb"/Type\s*/ObjStm\b")
_STREAM = re.compile(rb"stream\r?\n")


def count_pages(pdf):
    """Page objects in a PDF, including those packed in compressed object streams (PDF 1.5)."""
    pages = len(_PAGE.findall(pdf))
    if pages:
        return pages
    for found in _OBJECT_STREAM.finditer(pdf):
        start = _STREAM.search(pdf, found.end())
        end = pdf.find(b"endstream", start.end()) if start else -1
        if start and end > 0:
            try:
                pages += len(_PAGE.findall(zlib.decompress(pdf[start.end():end].rstrip(b"\r\n"))))
            except zlib.error:
                pass
    return pages


def check_address(value, field):
    """(the address, problems): problems are {"field", "message"}."""
    problems = []

    def problem(where, message):
        problems.append({"field": f"{field}.{where}" if where else field, "message": message})

    if not isinstance(value, dict):
        problem("", "must be a JSON object")
        return None, problems
    for key in sorted(set(value) - ADDRESS_KEYS):
        problem(key, "unknown field")
    address = {}
    for key in ("name", "company", "postal_code", "city", "country"):
        item = value.get(key)
        if item is None and key == "company":
            address[key] = None
            continue
        if not isinstance(item, str) or not item.strip():
            problem(key, "is required" if item is None else "must be a non-empty string")
            continue
        address[key] = " ".join(item.split())
    lines = value.get("address_lines")
    if not isinstance(lines, list) or not lines or not all(isinstance(line, str) and line.strip() for line in lines):
        problem("address_lines", "must be a list of 1 to 4 non-empty strings")
        lines = []
    address["address_lines"] = [" ".join(line.split()) for line in lines]
    for key in ("name", "company"):
        if address.get(key) and len(address[key]) > LINE_MAX:
            problem(key, f"is longer than {LINE_MAX} characters")
    for index, line in enumerate(address["address_lines"]):
        if len(line) > LINE_MAX:
            problem(f"address_lines[{index}]", f"is longer than {LINE_MAX} characters")
    country = address.get("country")
    if country is not None:
        country = address["country"] = country.upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            problem("country", "must be an ISO 3166-1 alpha-2 code such as FR")
    postal_code = address.get("postal_code")
    if postal_code is not None:
        postal_code = address["postal_code"] = postal_code.upper()
        if country == "FR" and not re.fullmatch(r"\d{5}", postal_code):
            problem("postal_code", "a French postal code has 5 digits")
        elif len(postal_code) > 12:
            problem("postal_code", "is longer than 12 characters")
        if address.get("city") and len(postal_code) + 1 + len(address["city"]) > LINE_MAX:
            problem("city", f"postal code and city do not fit on one line of {LINE_MAX} characters")
    used = 1 + (1 if address.get("company") else 0) + len(address["address_lines"]) + 1
    if used > 6:
        problem("address_lines", f"the address takes {used} lines, at most 6 fit in the window")
    return address, problems


def check_options(value):
    if value is None:
        return dict(OPTION_DEFAULTS), []
    if not isinstance(value, dict):
        return None, [{"field": "options", "message": "must be a JSON object"}]
    problems = [{"field": f"options.{key}", "message": "unknown option"}
                for key in sorted(set(value) - set(OPTION_DEFAULTS))]
    options = dict(OPTION_DEFAULTS)
    for key in OPTION_DEFAULTS:
        if key in value:
            if not isinstance(value[key], bool):
                problems.append({"field": f"options.{key}", "message": "must be true or false"})
            else:
                options[key] = value[key]
    if options["acknowledgement"] and not options["registered"]:
        problems.append({"field": "options.acknowledgement",
                         "message": "an acknowledgement of receipt needs a registered letter"})
    return options, problems


def s10_tracking_number():
    """A UPU S10 number for a registered item: RR + 8 digits + check digit + FR."""
    digits = f"{secrets.randbelow(10 ** 8):08d}"
    total = sum(int(d) * w for d, w in zip(digits, (8, 6, 4, 2, 3, 5, 9, 7)))
    check = 11 - total % 11
    check = 0 if check == 10 else 5 if check == 11 else check
    return f"RR{digits}{check}FR"


def price(pages, options):
    sheets = math.ceil(pages / 2) if options["duplex"] else pages
    cents = TARIFF["postage"] + sheets * TARIFF["sheet"]
    cents += pages * TARIFF["color_page"] if options["color"] else 0
    cents += TARIFF["registered"] if options["registered"] else 0
    cents += TARIFF["acknowledgement"] if options["acknowledgement"] else 0
    return sheets, cents


# --- the store ----------------------------------------------------------------------------------

class Letters:
    def __init__(self, options):
        self.webhook_secret = options.webhook_secret
        self.default_callback = options.webhook_url
        self._lock = threading.Lock()
        self.letters = {}  # id -> letter (the API shape)
        self.internal = {}  # id -> {"seq", "document", "idempotency_key", "filename"}
        self.idempotency = {}  # key -> (fingerprint, letter id)
        self.seq = 0
        self.webhooks = WebhookSender(attempts=options.webhook_attempts, backoff_ms=options.webhook_backoff_ms)

    def create(self, request_data, idempotency_key):
        """(status, letter, replayed)."""
        # What makes two requests the same letter: the document's bytes and the decoded fields, not
        # the raw body (a client retrying with a new multipart boundary sends the same letter).
        fingerprint = hashlib.sha256(json.dumps(
            {key: value for key, value in request_data.items() if key not in ("document", "filename")},
            sort_keys=True).encode()).hexdigest()
        with self._lock:
            if idempotency_key is not None and idempotency_key in self.idempotency:
                known, letter_id = self.idempotency[idempotency_key]
                if known != fingerprint:
                    raise fail(409, "idempotency_conflict",
                               "this Idempotency-Key was used with a different request")
                return 201, json.loads(json.dumps(self.letters[letter_id])), True
            self.seq += 1
            now = rfc3339()
            options = request_data["options"]
            sheets, cents = price(request_data["pages"], options)
            letter = {
                "id": "ltr_" + secrets.token_hex(12), "object": "letter", "status": "accepted",
                "reference": request_data["reference"], "recipient": request_data["recipient"],
                "sender": request_data["sender"], "options": options,
                "document": {"filename": request_data["filename"], "size": len(request_data["document"]),
                             "sha256": request_data["document_sha256"]},
                "pages": request_data["pages"], "sheets": sheets, "price_cents": cents, "currency": "EUR",
                "tracking_number": s10_tracking_number() if options["registered"] else None,
                "return_reason": None, "callback_url": request_data["callback_url"],
                "events": [{"status": "accepted", "at": now}], "created_at": now, "updated_at": now,
            }
            self.letters[letter["id"]] = letter
            self.internal[letter["id"]] = {"seq": self.seq, "document": request_data["document"],
                                           "idempotency_key": idempotency_key}
            if idempotency_key is not None:
                self.idempotency[idempotency_key] = (fingerprint, letter["id"])
            return 201, json.loads(json.dumps(letter)), False

    def get(self, letter_id):
        with self._lock:
            letter = self.letters.get(letter_id)
            return json.loads(json.dumps(letter)) if letter else None

    def page(self, limit, before_seq, status, reference):
        """(letters newest first with seq < before_seq, has_more, the last seq)."""
        with self._lock:
            ordered = sorted(self.letters.values(), key=lambda l: self.internal[l["id"]]["seq"], reverse=True)
            found = [l for l in ordered if self.internal[l["id"]]["seq"] < before_seq
                     and (status is None or l["status"] == status)
                     and (reference is None or l["reference"] == reference)]
            chunk = json.loads(json.dumps(found[:limit]))
            last = self.internal[chunk[-1]["id"]]["seq"] if chunk else None
            return chunk, len(found) > limit, last

    def move(self, letter_id, target, reason=None):
        """Moves a letter to `target` through the statuses in between, one event and one webhook
        each. Returns the letter; HttpError 404/409/400."""
        with self._lock:
            letter = self.letters.get(letter_id)
            if letter is None:
                raise fail(404, "not_found", f"no letter {letter_id}")
            path, status = [], letter["status"]
            if target == "cancelled":
                path = ["cancelled"] if status == "accepted" else None
            else:
                while status != target and status in NEXT:
                    status = target if target in NEXT[status] else NEXT[status][0]
                    path.append(status)
                if status != target:
                    path = None
            if not path:
                raise fail(409, "invalid_transition" if target != "cancelled" else "not_cancellable",
                           f"letter {letter_id} is {letter['status']} and cannot become {target}")
            if target == "returned":
                if reason is None:
                    reason = "npai"
                if reason not in RETURN_REASONS:
                    raise fail(400, "invalid_request", "reason must be one of " + ", ".join(RETURN_REASONS))
            events = []
            for status in path:
                now = rfc3339()
                letter["status"] = status
                letter["updated_at"] = now
                event = {"status": status, "at": now}
                if status == "returned":
                    letter["return_reason"] = reason
                    event["reason"] = reason
                letter["events"].append(event)
                events.append((status, json.loads(json.dumps(letter))))
            callback = letter["callback_url"] or self.default_callback
        if callback:
            for status, snapshot in events:
                self._webhook(callback, status, snapshot)
        return events[-1][1]

    def _webhook(self, url, status, letter):
        event_id = "evt_" + secrets.token_hex(12)
        body = json.dumps({"id": event_id, "type": f"letter.{status}", "created_at": rfc3339(), "data": letter},
                          ensure_ascii=False, separators=(",", ":")).encode()
        secret = self.webhook_secret.encode()

        def headers(attempt):
            stamp = str(int(time.time()))
            signature = hmac.new(secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            return {"Content-Type": "application/json", "User-Agent": "RelancePostalEmulator/1",
                    "Postal-Event-Id": event_id, "Postal-Delivery-Attempt": str(attempt),
                    "Postal-Signature": f"t={stamp},v1={signature}"}

        self.webhooks.send(url, body, headers, f"{letter['id']} {status}")

    def control_listing(self):
        with self._lock:
            return [{**json.loads(json.dumps(letter)),
                     "idempotency_key": self.internal[letter["id"]]["idempotency_key"]}
                    for letter in sorted(self.letters.values(), key=lambda l: self.internal[l["id"]]["seq"])]

    def document(self, letter_id):
        with self._lock:
            internal = self.internal.get(letter_id)
            return internal["document"] if internal else None

    def reset(self):
        self.webhooks.reset()
        with self._lock:
            self.letters.clear()
            self.internal.clear()
            self.idempotency.clear()


# --- the API ------------------------------------------------------------------------------------

def build_api(options):
    faults = Faults()
    api = Api(error_body, faults, max_body=options.max_document_bytes + 1024 * 1024)
    letters = Letters(options)
    api.letters = letters

    def authenticate(request):
        header = request.headers.get("Authorization") or ""
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(key.strip(), options.api_key):
            raise fail(401, "unauthorized", "a valid API key is required: Authorization: Bearer <key>",
                       headers={"WWW-Authenticate": 'Bearer realm="postal"'})

    def json_field(parts, name, required):
        part = parts.get(name)
        if part is None:
            if required:
                raise fail(400, "missing_field", f"the multipart field {name!r} is required")
            return None
        try:
            return json.loads(part.data.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise fail(400, "invalid_json", f"the field {name!r} is not valid JSON") from None

    def create(request):
        authenticate(request)
        key = request.headers.get("Idempotency-Key")
        if key is not None and not IDEMPOTENCY_KEY.match(key):
            raise fail(400, "invalid_request", "Idempotency-Key is 1 to 255 visible ASCII characters")
        if request.content_type != "multipart/form-data":
            raise fail(400, "invalid_request", "the body must be multipart/form-data")
        try:
            received = parse_multipart(request.headers.get("Content-Type"), request.body)
        except ValueError as error:
            raise fail(400, "invalid_request", f"malformed multipart body: {error}") from None
        parts = {}
        for part in received:
            if part.name not in FIELDS:
                raise fail(400, "invalid_request", f"unknown field {part.name!r}; expected "
                                                   + ", ".join(sorted(FIELDS)))
            if part.name in parts:
                raise fail(400, "invalid_request", f"the field {part.name!r} is given twice")
            parts[part.name] = part
        document = parts.get("document")
        if document is None:
            raise fail(400, "missing_field", "the multipart field 'document' (a PDF file) is required")
        if len(document.data) > options.max_document_bytes:
            raise fail(413, "document_too_large", f"the document exceeds {options.max_document_bytes} bytes")
        recipient, problems = check_address(json_field(parts, "recipient", True), "recipient")
        sender, sender_problems = check_address(json_field(parts, "sender", True), "sender")
        letter_options, option_problems = check_options(json_field(parts, "options", False))
        problems += sender_problems + option_problems
        reference = parts["reference"].text() if "reference" in parts else None
        if reference is not None and not 1 <= len(reference) <= 100:
            problems.append({"field": "reference", "message": "is 1 to 100 characters"})
        callback = parts["callback_url"].text().strip() if "callback_url" in parts else None
        if callback is not None:
            url = urllib.parse.urlsplit(callback)
            if url.scheme not in ("http", "https") or not url.hostname:
                problems.append({"field": "callback_url", "message": "must be an http or https URL"})
        if problems:
            fields = {problem["field"].split(".")[0] for problem in problems}
            code = "invalid_address" if fields & {"recipient", "sender"} else \
                "invalid_options" if fields == {"options"} else "invalid_request"
            raise fail(422, code, "the letter cannot be sent as described", problems)
        if not document.data.startswith(b"%PDF-"):
            raise fail(422, "invalid_document", "the document is not a PDF (it must start with %PDF-)")
        pages = count_pages(document.data)
        if pages == 0:
            raise fail(422, "invalid_document", "the PDF has no page")
        if pages > options.max_pages:
            raise fail(422, "too_many_pages", f"the PDF has {pages} pages, at most {options.max_pages} are printed")
        status, letter, replayed = letters.create({
            "document": document.data, "document_sha256": hashlib.sha256(document.data).hexdigest(),
            "filename": document.filename, "pages": pages, "recipient": recipient, "sender": sender,
            "options": letter_options, "reference": reference, "callback_url": callback}, key)
        return Response.json(status, letter, {"Idempotent-Replayed": "true"} if replayed else None)

    def fetch(request, letter_id):
        authenticate(request)
        letter = letters.get(letter_id)
        if letter is None:
            raise fail(404, "not_found", f"no letter {letter_id}")
        return Response.json(200, letter)

    def listing(request):
        authenticate(request)
        try:
            limit = int(request.arg("limit", "20"))
        except ValueError:
            limit = 0
        if not 1 <= limit <= 100:
            raise fail(400, "invalid_request", "limit is an integer from 1 to 100")
        status = request.arg("status")
        if status is not None and status not in STATUSES:
            raise fail(400, "invalid_request", "status is one of " + ", ".join(STATUSES))
        cursor = request.arg("cursor")
        before = 2 ** 62
        if cursor:
            try:
                before = int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
            except (ValueError, UnicodeDecodeError):
                raise fail(400, "invalid_request", "cursor is not one this API gave") from None
        chunk, more, last = letters.page(limit, before, status, request.arg("reference"))
        next_cursor = base64.urlsafe_b64encode(str(last).encode()).decode().rstrip("=") if more else None
        return Response.json(200, {"object": "list", "data": chunk, "has_more": more, "next_cursor": next_cursor})

    def cancel(request, letter_id):
        authenticate(request)
        return Response.json(200, letters.move(letter_id, "cancelled"))

    api.add("POST", "/v1/letters", create)
    api.add("GET", "/v1/letters", listing)
    api.add("GET", "/v1/letters/{letter_id}", fetch)
    api.add("POST", "/v1/letters/{letter_id}/cancel", cancel)
    register_control(api, letters, faults)
    return api


def register_control(api, letters, faults):
    def listing(request):
        return Response.json(200, {"letters": letters.control_listing()})

    def reset(request):
        letters.reset()
        api.stats.reset()
        return Response.empty()

    def one(request, letter_id):
        for letter in letters.control_listing():
            if letter["id"] == letter_id:
                return Response.json(200, letter)
        raise fail(404, "not_found", f"no letter {letter_id}")

    def document(request, letter_id):
        data = letters.document(letter_id)
        if data is None:
            raise fail(404, "not_found", f"no letter {letter_id}")
        return Response(200, data, content_type="application/pdf")

    def advance(request, letter_id):
        try:
            body = request.json({}) or {}
        except ValueError:
            raise fail(400, "invalid_json", "the body is not JSON") from None
        target = body.get("to")
        if target is None:
            letter = letters.get(letter_id)
            if letter is None:
                raise fail(404, "not_found", f"no letter {letter_id}")
            target = NEXT.get(letter["status"], (letter["status"],))[0]
        if target not in STATUSES or target == "accepted":
            raise fail(400, "invalid_request", "to is one of printed, posted, delivered, returned, cancelled")
        return Response.json(200, letters.move(letter_id, target, body.get("reason")))

    def stats(request):
        return Response.json(200, api.stats.report())

    api.add("GET", "/_control/letters", listing)
    api.add("DELETE", "/_control/letters", reset)
    api.add("GET", "/_control/letters/{letter_id}", one)
    api.add("GET", "/_control/letters/{letter_id}/document", document)
    api.add("POST", "/_control/letters/{letter_id}/advance", advance)
    api.add("GET", "/_control/stats", stats)
    faults.register(api)
    letters.webhooks.register(api, "/_control/webhooks")


def parse_options(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--api-key", default="test_postal_relance", help="the Bearer API key")
    parser.add_argument("--webhook-secret", default="whsec_relance_test", help="HMAC-SHA256 key of Postal-Signature")
    parser.add_argument("--webhook-url", help="where status webhooks go for letters sent without callback_url")
    parser.add_argument("--webhook-attempts", type=int, default=5, help="attempts per webhook delivery")
    parser.add_argument("--webhook-backoff-ms", type=int, default=500, help="first retry delay, doubled each time")
    parser.add_argument("--max-document-bytes", type=int, default=10 * 1024 * 1024, help="larger PDFs get a 413")
    parser.add_argument("--max-pages", type=int, default=50, help="longer PDFs get a 422")
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    options = parser.parse_args(argv)
    process.check_loopback(parser, options.host)
    return options


def main(argv=None):
    options = parse_options(argv)
    api = build_api(options)
    server = Server((options.host, options.port), api, options.verbose)
    host = f"[{options.host}]" if ":" in options.host else options.host
    return process.run_until_signal(f"listening on http://{host}:{server.port}",
                                    [process.serve_http(server), api.letters.webhooks.stop])


if __name__ == "__main__":
    sys.exit(main())
