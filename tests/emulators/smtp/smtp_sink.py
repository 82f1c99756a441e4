#!/usr/bin/python3
"""SMTP sink: a real ESMTP server on loopback (aiosmtpd) that keeps every message it accepts, with a
JSON control API over HTTP for tests.

Run with Debian's /usr/bin/python3 (python3-aiosmtpd):
    /usr/bin/python3 tests/emulators/smtp/smtp_sink.py --smtp-port 0 --control-port 0
It prints one line, "smtp 127.0.0.1:SMTP_PORT control http://127.0.0.1:CONTROL_PORT", and serves
until SIGTERM or SIGINT. Endpoints, faults and the spool format are in README.md.
"""

import argparse
import asyncio
import base64
import collections
import email
import email.header
import email.policy
import email.utils
import hashlib
import json
import logging
import os
import re
import sys
import threading
import time
import warnings

sys.dont_write_bytecode = True  # keep the source tree clean when run from it
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

from common import process  # noqa: E402
from common.httpapi import Api, HttpError, Response, Server, rfc3339  # noqa: E402

SERVER_NAME = "smtp-sink.relance.test"


# --- parsing a received message -----------------------------------------------------------------

# Parsing uses the compat32 policy and decodes by hand: email.policy.default builds an object per
# header and costs about 8x more, which would cap a throughput benchmark at a few dozen messages/s.
# Parsing is also lazy (see Store): the SMTP path only stores, spools and answers.

_FOLD = re.compile(r"\r?\n(?=[ \t])")
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


def _unfold(value):
    """A raw header value as text: unfolded, 8-bit (SMTPUTF8) bytes read as UTF-8."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        value = value.encode("ascii", "surrogateescape").decode("utf-8", "replace")
    return _FOLD.sub("", value).strip()


def decode_header_value(value):
    """A header value with its RFC 2047 encoded words decoded."""
    if value is None:
        return None
    text = _unfold(str(value))
    if "=?" not in text:
        return text
    try:
        return str(email.header.make_header(email.header.decode_header(text)))
    except (ValueError, LookupError, UnicodeError):
        return text


def quick_message_id(raw):
    """The Message-ID from the header block, without parsing the message."""
    found = _MESSAGE_ID.search(raw, 0, raw.find(b"\r\n\r\n") if b"\r\n\r\n" in raw else len(raw))
    return _unfold(found.group(1).decode("ascii", "surrogateescape")) if found else None


def _split_parts(message):
    """(text/plain body, text/html body, the other leaf parts): a body is the first part of its
    type that is not marked as an attachment."""
    text = html = None
    others = []
    for part in message.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        if part.get_content_disposition() != "attachment" and kind == "text/plain" and text is None:
            text = part
        elif part.get_content_disposition() != "attachment" and kind == "text/html" and html is None:
            html = part
        else:
            others.append(part)
    return text, html, others


def _body_text(part):
    data = part.get_payload(decode=True) or b""
    try:
        text = data.decode(part.get_content_charset() or "utf-8", "replace")
    except LookupError:
        text = data.decode("utf-8", "replace")
    return text.replace("\r\n", "\n")  # SMTP carries CRLF line ends; the decoded bodies use LF


def parse_message(raw):
    """What the control API shows of a message: decoded headers, bodies and attachments."""
    summary = {"message_id": None, "subject": None, "from": None, "to": None, "cc": None,
               "reply_to": None, "date": None, "to_addresses": [], "cc_addresses": [], "headers": [],
               "text": None, "html": None, "attachments": []}
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
        raw_headers = list(message.raw_items())
        summary["headers"] = [[name, decode_header_value(value)] for name, value in raw_headers]
        first = {}
        for name, value in raw_headers:
            first.setdefault(name.lower(), value)
        for key, name in (("message_id", "message-id"), ("subject", "subject"), ("from", "from"), ("to", "to"),
                          ("cc", "cc"), ("reply_to", "reply-to"), ("date", "date")):
            summary[key] = decode_header_value(first.get(name))
        for key, name in (("to_addresses", "to"), ("cc_addresses", "cc")):
            values = [_unfold(value) for header, value in raw_headers if header.lower() == name]
            summary[key] = [address for _, address in email.utils.getaddresses(values) if address]
        text, html, others = _split_parts(message)
        summary["text"] = _body_text(text) if text is not None else None
        summary["html"] = _body_text(html) if html is not None else None
        for part in others:
            data = part.get_payload(decode=True) or b""
            summary["attachments"].append({
                "filename": decode_header_value(part.get_filename()),
                "content_type": part.get_content_type(),
                "disposition": part.get_content_disposition(),
                "content_id": decode_header_value(part["Content-ID"]),
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            })
    except Exception as error:  # keep the message; say why it could not be read
        summary["parse_error"] = f"{error.__class__.__name__}: {error}"
    return summary


def attachment_bytes(raw, index):
    """The decoded bytes and type of the index-th attachment, as parse_message lists them."""
    others = _split_parts(email.message_from_bytes(raw, policy=email.policy.compat32))[2]
    if not 0 <= index < len(others):
        return None, None
    return others[index].get_payload(decode=True) or b"", others[index].get_content_type()


# --- the store ----------------------------------------------------------------------------------

class Store:
    """Accepted messages, the spool file, and waiting for a count.

    On the SMTP path a message gets its envelope, size, digest and Message-ID, is spooled, and its
    raw bytes are kept; the decoded fields (parse_message) are filled in when the control API first
    shows the message, or when its raw bytes leave the window of the last `keep_raw` messages."""

    def __init__(self, spool_path=None, spool_raw=False, fsync=False, keep_raw=10000):
        self._cond = threading.Condition()
        self.entries = []
        self.raw = collections.OrderedDict()  # seq -> bytes, the most recent `keep_raw`
        self._unparsed = {}  # seq -> entry whose decoded fields are not filled in yet
        self.keep_raw = keep_raw
        self.seq = 0
        self.spool_path = spool_path
        self.spool_raw = spool_raw
        self.fsync = fsync
        self._spool = None
        if spool_path:
            self._load_spool()
            self._spool = open(spool_path, "a", encoding="utf-8")

    def _load_spool(self):
        if not os.path.exists(self.spool_path):
            return
        with open(self.spool_path, "rb+") as handle:
            data = handle.read()
            if data and not data.endswith(b"\n"):
                # A line torn by a kill: that message was never acknowledged. Cut it off so the
                # next line starts on a line of its own.
                handle.truncate(data.rfind(b"\n") + 1)
                data = data[:data.rfind(b"\n") + 1]
        for line in data.split(b"\n"):  # not splitlines(): U+2028 may sit inside a JSON string
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            raw = entry.pop("raw_base64", None)
            self.entries.append(entry)
            self.seq = max(self.seq, entry["seq"])
            if raw is not None:
                self._unparsed[entry["seq"]] = entry
                self._keep(entry["seq"], base64.b64decode(raw))

    def _keep(self, seq, raw):
        if self.keep_raw == 0:
            self._parse(seq, raw)
            return
        self.raw[seq] = raw
        while self.keep_raw > 0 and len(self.raw) > self.keep_raw:
            old_seq, old_raw = self.raw.popitem(last=False)
            self._parse(old_seq, old_raw)

    def _parse(self, seq, raw):
        entry = self._unparsed.pop(seq, None)
        if entry is not None:
            entry.update(parse_message(raw))

    def _complete(self, entries):
        for entry in entries:
            if entry["seq"] in self._unparsed:
                self._parse(entry["seq"], self.raw[entry["seq"]])
        return [dict(entry) for entry in entries]

    def add(self, envelope_info, raw):
        """Stores a message, spooled (and flushed) before the 250 goes out; returns its entry."""
        digest = hashlib.sha256(raw).hexdigest()
        message_id = quick_message_id(raw)
        with self._cond:
            self.seq += 1
            entry = {"seq": self.seq, "received_at": rfc3339(), **envelope_info, "size": len(raw),
                     "raw_sha256": digest, "message_id": message_id}
            if self._spool is not None:
                line = dict(entry)
                if self.spool_raw:
                    line["raw_base64"] = base64.b64encode(raw).decode("ascii")
                self._spool.write(json.dumps(line, ensure_ascii=False) + "\n")
                self._spool.flush()
                if self.fsync:
                    os.fsync(self._spool.fileno())
            self.entries.append(entry)
            self._unparsed[self.seq] = entry
            self._keep(self.seq, raw)
            self._cond.notify_all()
            return dict(entry)

    def reset(self):
        with self._cond:
            self.entries = []
            self.raw.clear()
            self._unparsed.clear()
            if self._spool is not None:
                self._spool.truncate(0)
                self._spool.seek(0)
                self._spool.flush()
            self._cond.notify_all()

    def find(self, seq):
        """(the entry, decoded, and its raw bytes or None), or (None, None)."""
        with self._cond:
            for entry in self.entries:
                if entry["seq"] == seq:
                    return self._complete([entry])[0], self.raw.get(seq)
            return None, None

    def select(self, since=0, to=None, message_id=None):
        with self._cond:
            found = [entry for entry in self.entries if entry["seq"] > since]
            if to:
                to = to.lower()
                found = [entry for entry in found if to in (address.lower() for address in entry["rcpt_tos"])]
            if message_id:
                found = [entry for entry in found if entry["message_id"] == message_id]
            return self._complete(found)

    def counts(self):
        with self._cond:
            ids = collections.Counter(entry["message_id"] for entry in self.entries if entry["message_id"])
            return {"count": len(self.entries), "distinct_message_ids": len(ids),
                    "without_message_id": sum(1 for entry in self.entries if not entry["message_id"]),
                    "duplicate_message_ids": sorted(mid for mid, n in ids.items() if n > 1),
                    "last_seq": self.seq}

    def wait(self, count, timeout_s):
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while len(self.entries) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def close(self):
        if self._spool is not None:
            self._spool.close()


# --- faults -------------------------------------------------------------------------------------

class Faults:
    """SMTP faults set through POST /faults (see README.md)."""

    KEYS = {"rcpt", "transient", "disconnect", "disconnect_after_accept", "delay_ms"}

    def __init__(self):
        self._lock = threading.Lock()
        self.clear()

    def clear(self):
        with self._lock:
            self.rcpt = {}  # lower-case address -> {"address", "code", "message", "remaining"}
            self.transient = 0
            self.disconnect = 0
            self.disconnect_after_accept = 0
            self.delay_ms = 0

    def set(self, body):
        """Applies a POST /faults body; returns the problem or None."""
        if not isinstance(body, dict) or not body or set(body) - self.KEYS:
            return "a fault body is an object with some of: " + ", ".join(sorted(self.KEYS))
        rules = body.get("rcpt", [])
        rules = rules if isinstance(rules, list) else [rules]
        for rule in rules:
            if not isinstance(rule, dict) or not isinstance(rule.get("address"), str):
                return "rcpt needs an address"
            code = rule.get("code", 550)
            if not isinstance(code, int) or not 400 <= code <= 599:
                return "rcpt code must be a 4xx or 5xx reply code"
            if "count" in rule and (not isinstance(rule["count"], int) or rule["count"] < 1):
                return "rcpt count must be a positive integer"
        for key in ("transient", "disconnect", "disconnect_after_accept", "delay_ms"):
            if key in body and (not isinstance(body[key], int) or isinstance(body[key], bool) or body[key] < 0):
                return f"{key} must be a non-negative integer"
        with self._lock:
            for rule in rules:
                code = rule.get("code", 550)
                default = ("5.1.1" if code >= 500 else "4.2.1") + " Recipient address rejected"
                self.rcpt[rule["address"].lower()] = {"address": rule["address"], "code": code,
                                                      "message": rule.get("message", default),
                                                      "remaining": rule.get("count")}
            for key in ("transient", "disconnect", "disconnect_after_accept", "delay_ms"):
                if key in body:
                    setattr(self, key, body[key])
        return None

    def report(self):
        with self._lock:
            return {"rcpt": list(self.rcpt.values()), "transient": self.transient, "disconnect": self.disconnect,
                    "disconnect_after_accept": self.disconnect_after_accept, "delay_ms": self.delay_ms}

    def take_rcpt(self, address):
        """The SMTP reply rejecting `address`, or None."""
        with self._lock:
            rule = self.rcpt.get(address.lower())
            if rule is None:
                return None
            if rule["remaining"] is not None:
                rule["remaining"] -= 1
                if rule["remaining"] <= 0:
                    del self.rcpt[address.lower()]
            return f"{rule['code']} {rule['message']}"

    def take_data(self):
        """(delay in seconds, action) for the end of a DATA: action is None, "disconnect",
        "disconnect_after_accept" or "transient"."""
        with self._lock:
            for action in ("disconnect", "disconnect_after_accept", "transient"):
                if getattr(self, action) > 0:
                    setattr(self, action, getattr(self, action) - 1)
                    return self.delay_ms / 1000, action
            return self.delay_ms / 1000, None


class Stats:
    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self.values = collections.Counter({name: 0 for name in (
                "connections", "auth_succeeded", "auth_failed", "transactions", "accepted",
                "rcpt_rejected", "transient_failures", "disconnects")})

    def bump(self, name):
        with self._lock:
            self.values[name] += 1

    def report(self):
        with self._lock:
            return dict(self.values)


# --- the SMTP side ------------------------------------------------------------------------------

class SinkHandler:
    """aiosmtpd handler hooks."""

    def __init__(self, store, faults, stats):
        self.store = store
        self.faults = faults
        self.stats = stats

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        rejection = self.faults.take_rcpt(address)
        if rejection:
            self.stats.bump("rcpt_rejected")
            return rejection
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.stats.bump("transactions")
        delay, action = self.faults.take_data()
        if delay:
            await asyncio.sleep(delay)
        if action == "transient":
            self.stats.bump("transient_failures")
            return "451 4.3.0 Temporary failure, please try again later"
        if action == "disconnect":
            return await self._drop(server)
        entry = self.store.add(self._envelope(session, envelope), envelope.original_content)
        self.stats.bump("accepted")
        if action == "disconnect_after_accept":
            return await self._drop(server)
        return f"250 2.0.0 OK queued as {entry['seq']}"

    async def _drop(self, server):
        """Closes the connection without a reply; the aborted transport cancels this task."""
        self.stats.bump("disconnects")
        server.transport.abort()
        await asyncio.sleep(3600)
        return "421 4.4.2 Connection dropped"  # not reached

    @staticmethod
    def _envelope(session, envelope):
        return {"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                "mail_options": list(envelope.mail_options), "smtp_utf8": bool(envelope.smtp_utf8),
                "helo": session.host_name, "peer": list(session.peer) if session.peer else None,
                "auth_user": session.auth_data.login.decode("utf-8", "replace")
                if isinstance(session.auth_data, LoginPassword) else None}


class Authenticator:
    def __init__(self, user, password, stats):
        self.user = user.encode("utf-8")
        self.password = password.encode("utf-8")
        self.stats = stats

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if mechanism in ("PLAIN", "LOGIN") and isinstance(auth_data, LoginPassword) \
                and auth_data.login == self.user and auth_data.password == self.password:
            self.stats.bump("auth_succeeded")
            return AuthResult(success=True, auth_data=auth_data)
        self.stats.bump("auth_failed")
        return AuthResult(success=False, handled=False)


class SinkController(Controller):
    """aiosmtpd's threaded Controller, able to bind port 0 and counting connections."""

    counting = False

    def __init__(self, *args, stats, **kwargs):
        super().__init__(*args, **kwargs)
        self.stats = stats

    def _create_server(self):
        async def bind():
            server = await self.loop.create_server(self._factory_invoker, host=self.hostname, port=self.port)
            self.port = server.sockets[0].getsockname()[1]  # what _trigger_server() connects to
            return server
        return bind()

    def factory(self):
        if self.counting:
            self.stats.bump("connections")
        return super().factory()


# --- the control API ----------------------------------------------------------------------------

def error_body(status, code, message):
    return {"error": {"code": code, "message": message}}


def control_api(store, faults, stats, smtp_address):
    api = Api(error_body, control_prefix="/")

    def bad(message, code="invalid_request"):
        return HttpError(400, error_body(400, code, message))

    def body_of(request):
        try:
            return request.json({})
        except ValueError:
            raise bad("the body is not JSON", "invalid_json") from None

    def seq_of(value):
        if not value.isdigit():
            raise HttpError(404, error_body(404, "not_found", f"no message {value}"))
        entry, raw = store.find(int(value))
        if entry is None:
            raise HttpError(404, error_body(404, "not_found", f"no message {value}"))
        return entry, raw

    def info(request):
        return Response.json(200, {"smtp": {"host": smtp_address[0], "port": smtp_address[1]},
                                   "counts": store.counts(), "faults": faults.report()})

    def messages(request):
        since = request.arg("since", "0")
        if not since.isdigit():
            raise bad("since must be a sequence number")
        found = store.select(int(since), request.arg("to"), request.arg("message_id"))
        return Response.json(200, {"count": len(found), "messages": found})

    def one(request, seq):
        return Response.json(200, seq_of(seq)[0])

    def raw(request, seq):
        entry, data = seq_of(seq)
        if data is None:
            raise HttpError(404, error_body(404, "raw_not_kept", f"the raw bytes of message {seq} are not kept"))
        return Response(200, data, content_type="message/rfc822")

    def attachment(request, seq, index):
        entry, data = seq_of(seq)
        if data is None or not index.isdigit():
            raise HttpError(404, error_body(404, "not_found", "no such attachment"))
        content, content_type = attachment_bytes(data, int(index))
        if content is None:
            raise HttpError(404, error_body(404, "not_found", "no such attachment"))
        return Response(200, content, content_type=content_type)

    def reset(request):
        store.reset()
        stats.reset()
        return Response.empty()

    def count(request):
        return Response.json(200, store.counts())

    def get_faults(request):
        return Response.json(200, faults.report())

    def set_faults(request):
        problem = faults.set(body_of(request))
        if problem:
            raise bad(problem, "invalid_fault")
        return Response.json(200, faults.report())

    def clear_faults(request):
        faults.clear()
        return Response.empty()

    def wait(request):
        body = body_of(request)
        wanted, timeout_ms = body.get("count"), body.get("timeout_ms", 10000)
        if not isinstance(wanted, int) or not isinstance(timeout_ms, (int, float)) or wanted < 0 or timeout_ms < 0:
            raise bad('wait takes {"count": N, "timeout_ms": T}')
        reached = store.wait(wanted, timeout_ms / 1000)
        return Response.json(200 if reached else 504, {**store.counts(), "reached": reached})

    def get_stats(request):
        return Response.json(200, stats.report())

    api.add("GET", "/", info)
    api.add("GET", "/messages", messages)
    api.add("DELETE", "/messages", reset)
    api.add("GET", "/messages/{seq}", one)
    api.add("GET", "/messages/{seq}/raw", raw)
    api.add("GET", "/messages/{seq}/attachments/{index}", attachment)
    api.add("GET", "/count", count)
    api.add("GET", "/faults", get_faults)
    api.add("POST", "/faults", set_faults)
    api.add("DELETE", "/faults", clear_faults)
    api.add("POST", "/wait", wait)
    api.add("GET", "/stats", get_stats)
    return api


# --- main ---------------------------------------------------------------------------------------

def parse_options(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address for both ports")
    parser.add_argument("--smtp-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--control-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--user", help="require AUTH PLAIN or LOGIN with this user (no TLS needed)")
    parser.add_argument("--password", help="the password that goes with --user")
    parser.add_argument("--max-size", type=int, default=32 * 1024 * 1024,
                        help="SIZE limit in bytes, advertised in EHLO (default 32 MiB)")
    parser.add_argument("--spool", help="append every accepted message to this JSON Lines file (flushed "
                                        "before the 250); reloaded at start")
    parser.add_argument("--spool-raw", action="store_true", help="also write the raw message (base64) to the spool")
    parser.add_argument("--fsync", action="store_true", help="fsync the spool after each message")
    parser.add_argument("--keep-raw", type=int, default=10000,
                        help="raw messages kept in memory for /raw, the most recent first (-1 = all, 0 = none)")
    parser.add_argument("--verbose", action="store_true", help="log SMTP sessions and HTTP requests on stderr")
    options = parser.parse_args(argv)
    process.check_loopback(parser, options.host)
    if (options.user is None) != (options.password is None):
        parser.error("--user and --password go together")
    return options


def main(argv=None):
    options = parse_options(argv)
    logging.basicConfig(level=logging.INFO if options.verbose else logging.ERROR, stream=sys.stderr)
    # AUTH without TLS is what this loopback sink is for; aiosmtpd warns on every connection.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    logging.getLogger("mail.log").setLevel(logging.INFO if options.verbose else logging.ERROR)

    store = Store(options.spool, options.spool_raw, options.fsync, options.keep_raw)
    faults, stats = Faults(), Stats()
    smtp_options = {"data_size_limit": options.max_size, "enable_SMTPUTF8": True, "decode_data": False,
                    "ident": "Relance SMTP sink"}
    if options.user is not None:
        smtp_options.update(authenticator=Authenticator(options.user, options.password, stats),
                            auth_required=True, auth_require_tls=False)
    controller = SinkController(SinkHandler(store, faults, stats), hostname=options.host, port=options.smtp_port,
                                server_hostname=SERVER_NAME, stats=stats, **smtp_options)
    controller.start()
    controller.counting = True
    smtp_address = (options.host, controller.port)

    server = Server((options.host, options.control_port), control_api(store, faults, stats, smtp_address),
                    options.verbose)
    stop_http = process.serve_http(server)
    host = f"[{options.host}]" if ":" in options.host else options.host
    line = f"smtp {host}:{controller.port} control http://{host}:{server.port}"
    return process.run_until_signal(line, [stop_http, controller.stop, store.close])


if __name__ == "__main__":
    sys.exit(main())
