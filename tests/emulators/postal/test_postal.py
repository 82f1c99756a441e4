#!/usr/bin/python3
"""Self-test of the postal-mail emulator: starts it as a subprocess and talks HTTP to it.

    /usr/bin/python3 tests/emulators/postal/test_postal.py
"""

import hashlib
import hmac
import http.client
import json
import os
import re
import sys
import unittest
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(HERE))

from common.testing import Process, Receiver, multipart, request  # noqa: E402

EMULATOR = os.path.join(HERE, "postal_emulator.py")
KEY = "pk_test_123"
SECRET = "whsec_test"


def pdf(pages):
    """A small, well-formed PDF with `pages` pages (what a letter renderer would hand over)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{' '.join(f'{3 + i} 0 R' for i in range(pages))}] /Count {pages} >>"]
    objects += ["<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * pages
    out, offsets = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def pdf_with_object_stream(pages):
    """A PDF 1.5 whose page objects sit in a compressed object stream."""
    packed = zlib.compress(b" ".join(b"<< /Type /Page /Parent 2 0 R >>" for _ in range(pages)))
    return (b"%%PDF-1.5\n1 0 obj\n<< /Type /ObjStm /N %d /First 10 /Filter /FlateDecode /Length %d >>\nstream\n"
            % (pages, len(packed)) + packed + b"\nendstream\nendobj\n%%EOF\n")


RECIPIENT = {"name": "SARL Dupont Frères", "address_lines": ["Service comptabilité", "12 rue de la Paix"],
             "postal_code": "75002", "city": "Paris", "country": "FR"}
SENDER = {"name": "Fournisseur SAS", "address_lines": ["3 avenue des Champs"], "postal_code": "69001",
          "city": "Lyon", "country": "fr"}


class Emulator:
    def __init__(self, *args):
        self.process = Process(EMULATOR, "--port", "0", "--api-key", KEY, "--webhook-secret", SECRET, *args)
        found = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)", self.process.line)
        if not found:
            self.process.stop()
            raise AssertionError(f"unexpected start line {self.process.line!r}")
        self.base = found.group(1)

    def send(self, document=None, recipient=RECIPIENT, sender=SENDER, options=None, expect=201, key=KEY,
             idempotency_key=None, extra=(), **fields):
        parts = []
        if document is not False:
            parts.append(("document", ("relance.pdf", "application/pdf", pdf(3) if document is None else document)))
        for name, value in (("recipient", recipient), ("sender", sender), ("options", options)):
            if value is not None:
                parts.append((name, value if isinstance(value, str) else json.dumps(value)))
        parts += [(name, value) for name, value in fields.items()] + list(extra)
        content_type, body = multipart(parts)
        headers = {"Content-Type": content_type}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        result = request("POST", self.base + "/v1/letters", body=body, headers=headers)
        assert expect is None or result.status == expect, result
        return result

    def api(self, method, path, expect=200, key=KEY):
        result = request(method, self.base + path, headers={"Authorization": f"Bearer {key}"})
        assert result.status == expect, result
        return result.json

    def control(self, method, path, body=None, expect=200):
        result = request(method, f"{self.base}/_control{path}", json_body=body)
        assert result.status == expect, result
        return result.json

    def stop(self):
        return self.process.stop()


class PostalEmulatorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emulator = Emulator("--max-document-bytes", "200000", "--webhook-backoff-ms", "50")
        cls.receiver = Receiver()

    @classmethod
    def tearDownClass(cls):
        cls.receiver.close()
        assert cls.emulator.stop() == 0, "the emulator did not stop cleanly on SIGTERM"

    def setUp(self):
        self.emulator.control("DELETE", "/letters", expect=204)
        self.emulator.control("DELETE", "/faults", expect=204)
        self.receiver.requests.clear()
        self.receiver.answers = []

    def test_authentication(self):
        for key in (None, "wrong"):
            result = self.emulator.send(key=key, expect=401)
            self.assertEqual(result.json["error"]["code"], "unauthorized")
            self.assertEqual(result.headers["WWW-Authenticate"], 'Bearer realm="postal"')
        self.emulator.api("GET", "/v1/letters", key="wrong", expect=401)
        self.assertEqual(self.emulator.control("GET", "/letters")["letters"], [])

    def test_send_a_letter(self):
        document = pdf(3)
        letter = self.emulator.send(document, reference="act_42").json
        self.assertRegex(letter["id"], r"^ltr_[0-9a-f]{24}$")
        self.assertEqual((letter["object"], letter["status"], letter["pages"], letter["sheets"]),
                         ("letter", "accepted", 3, 2))
        self.assertEqual((letter["price_cents"], letter["currency"]), (150 + 2 * 30, "EUR"))
        self.assertEqual(letter["options"], {"color": False, "duplex": True, "registered": False,
                                             "acknowledgement": False})
        self.assertEqual(letter["recipient"], {**RECIPIENT, "company": None})
        self.assertEqual(letter["sender"]["country"], "FR")  # normalised
        self.assertEqual(letter["document"], {"filename": "relance.pdf", "size": len(document),
                                              "sha256": hashlib.sha256(document).hexdigest()})
        self.assertIsNone(letter["tracking_number"])
        self.assertEqual(letter["reference"], "act_42")
        self.assertRegex(letter["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual([e["status"] for e in letter["events"]], ["accepted"])
        self.assertEqual(self.emulator.api("GET", f"/v1/letters/{letter['id']}"), letter)
        stored = request("GET", f"{self.emulator.base}/_control/letters/{letter['id']}/document")
        self.assertEqual((stored.body, stored.headers["Content-Type"]), (document, "application/pdf"))

    def test_registered_letter_with_acknowledgement_in_colour(self):
        letter = self.emulator.send(options={"registered": True, "acknowledgement": True, "color": True,
                                             "duplex": False}).json
        self.assertEqual(letter["sheets"], 3)
        self.assertEqual(letter["price_cents"], 150 + 3 * 30 + 3 * 20 + 500 + 150)
        number = letter["tracking_number"]
        self.assertRegex(number, r"^RR\d{9}FR$")
        total = sum(int(d) * w for d, w in zip(number[2:10], (8, 6, 4, 2, 3, 5, 9, 7)))
        check = {10: 0, 11: 5}.get(11 - total % 11, 11 - total % 11)
        self.assertEqual(int(number[10]), check)  # the UPU S10 check digit

    def test_pages_in_compressed_object_streams_are_counted(self):
        self.assertEqual(self.emulator.send(pdf_with_object_stream(4)).json["pages"], 4)

    def test_bad_requests(self):
        missing = self.emulator.send(document=False, expect=400).json["error"]
        self.assertEqual(missing["code"], "missing_field")
        self.assertEqual(self.emulator.send(recipient=None, expect=400).json["error"]["code"], "missing_field")
        self.assertEqual(self.emulator.send(recipient="{not json", expect=400).json["error"]["code"], "invalid_json")
        self.assertEqual(self.emulator.send(extra=[("colour", "yes")], expect=400).json["error"]["code"],
                         "invalid_request")
        not_multipart = request("POST", self.emulator.base + "/v1/letters", json_body={"document": "x"},
                                headers={"Authorization": f"Bearer {KEY}"})
        self.assertEqual((not_multipart.status, not_multipart.json["error"]["code"]), (400, "invalid_request"))

        self.assertEqual(self.emulator.send(b"GIF89a...", expect=422).json["error"]["code"], "invalid_document")
        no_page = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
        self.assertEqual(self.emulator.send(no_page, expect=422).json["error"]["message"], "the PDF has no page")
        self.assertEqual(self.emulator.send(pdf(51), expect=422).json["error"]["code"], "too_many_pages")

        bad = {"name": "M. Jean-Baptiste de La Rochefoucauld-Liancourt", "address_lines": ["1 rue X", ""],
               "postal_code": "7500", "country": "France", "floor": 3}
        error = self.emulator.send(recipient=bad, expect=422).json["error"]
        self.assertEqual(error["code"], "invalid_address")
        self.assertEqual({d["field"] for d in error["details"]},
                         {"recipient.floor", "recipient.city", "recipient.address_lines", "recipient.name",
                          "recipient.country"})
        french = self.emulator.send(recipient={**RECIPIENT, "postal_code": "7500"}, expect=422).json["error"]
        self.assertEqual([d["field"] for d in french["details"]], ["recipient.postal_code"])
        crowded = {**RECIPIENT, "company": "Groupe Dupont", "address_lines": ["a", "b", "c", "d"]}
        self.assertEqual(self.emulator.send(recipient=crowded, expect=422).json["error"]["details"][0]["field"],
                         "recipient.address_lines")
        options = self.emulator.send(options={"acknowledgement": True, "stapled": True}, expect=422).json["error"]
        self.assertEqual(options["code"], "invalid_options")
        self.assertEqual([d["field"] for d in options["details"]], ["options.stapled", "options.acknowledgement"])
        self.assertEqual(self.emulator.send(callback_url="file:///etc", expect=422).json["error"]["details"][0]["field"],
                         "callback_url")

        too_big = self.emulator.send(b"%PDF-1.4\n" + b"0" * 200000, expect=413).json["error"]
        self.assertEqual(too_big["code"], "document_too_large")
        content_type, body = multipart([("document", ("big.pdf", "application/pdf", b"0" * (1300 * 1024)))])
        huge = request("POST", self.emulator.base + "/v1/letters", body=body,
                       headers={"Content-Type": content_type, "Authorization": f"Bearer {KEY}"})
        self.assertEqual((huge.status, huge.json["error"]["code"]), (413, "request_too_large"))
        self.assertEqual(self.emulator.control("GET", "/letters")["letters"], [])

    def test_idempotency_key(self):
        first = self.emulator.send(idempotency_key="act_42-attempt").json
        again = self.emulator.send(idempotency_key="act_42-attempt")  # a new multipart boundary, the same letter
        self.assertEqual(again.json["id"], first["id"])
        self.assertEqual(again.headers["Idempotent-Replayed"], "true")
        other = self.emulator.send(recipient={**RECIPIENT, "city": "Paris Cedex 02"}, idempotency_key="act_42-attempt",
                                   expect=409).json["error"]
        self.assertEqual(other["code"], "idempotency_conflict")
        self.emulator.send(idempotency_key="with space", expect=400)
        self.emulator.send(idempotency_key="k" * 256, expect=400)
        self.assertNotEqual(self.emulator.send(idempotency_key="another").json["id"], first["id"])
        self.assertNotEqual(self.emulator.send().json["id"], first["id"])
        letters = self.emulator.control("GET", "/letters")["letters"]
        self.assertEqual([letter["idempotency_key"] for letter in letters], ["act_42-attempt", "another", None])

    def test_status_flow_and_signed_webhooks(self):
        letter = self.emulator.send(callback_url=self.receiver.url + "/postal/events").json
        self.assertEqual(self.emulator.control("POST", f"/letters/{letter['id']}/advance")["status"], "printed")
        delivered = self.emulator.control("POST", f"/letters/{letter['id']}/advance", {"to": "delivered"})
        self.assertEqual([e["status"] for e in delivered["events"]], ["accepted", "printed", "posted", "delivered"])
        self.emulator.control("POST", f"/letters/{letter['id']}/advance", expect=409)
        hooks = self.receiver.wait(3)
        events = [json.loads(hook["body"]) for hook in hooks]
        self.assertEqual([event["type"] for event in events], ["letter.printed", "letter.posted", "letter.delivered"])
        self.assertEqual([event["data"]["status"] for event in events], ["printed", "posted", "delivered"])
        self.assertEqual(len({event["id"] for event in events}), 3)
        for hook, event in zip(hooks, events):
            self.assertEqual(hook["path"], "/postal/events")
            self.assertEqual(hook["headers"]["Postal-Event-Id"], event["id"])
            stamp, signature = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", hook["headers"]["Postal-Signature"]).groups()
            expected = hmac.new(SECRET.encode(), stamp.encode() + b"." + hook["body"], hashlib.sha256).hexdigest()
            self.assertEqual(signature, expected)
        self.assertEqual(self.emulator.api("GET", f"/v1/letters/{letter['id']}")["status"], "delivered")

    def test_returned_letter(self):
        letter = self.emulator.send().json
        self.emulator.control("POST", f"/letters/{letter['id']}/advance", {"to": "returned", "reason": "lost"},
                              expect=400)
        self.assertEqual(self.emulator.api("GET", f"/v1/letters/{letter['id']}")["status"], "accepted")
        returned = self.emulator.control("POST", f"/letters/{letter['id']}/advance", {"to": "returned"})
        self.assertEqual((returned["status"], returned["return_reason"]), ("returned", "npai"))
        self.assertEqual(returned["events"][-1], {"status": "returned", "at": returned["updated_at"], "reason": "npai"})
        self.emulator.control("POST", f"/letters/{letter['id']}/advance", {"to": "delivered"}, expect=409)
        self.emulator.control("POST", "/letters/ltr_nope/advance", expect=404)

    def test_cancel(self):
        letter = self.emulator.send().json
        cancelled = self.emulator.api("POST", f"/v1/letters/{letter['id']}/cancel")
        self.assertEqual(cancelled["status"], "cancelled")
        self.assertEqual(self.emulator.api("POST", f"/v1/letters/{letter['id']}/cancel", expect=409)["error"]["code"],
                         "not_cancellable")
        printed = self.emulator.send().json
        self.emulator.control("POST", f"/letters/{printed['id']}/advance")
        self.emulator.api("POST", f"/v1/letters/{printed['id']}/cancel", expect=409)
        self.emulator.api("POST", "/v1/letters/ltr_nope/cancel", expect=404)

    def test_list_with_pagination_and_filters(self):
        ids = [self.emulator.send(reference=f"ref{i % 2}").json["id"] for i in range(5)]
        self.emulator.control("POST", f"/letters/{ids[0]}/advance")
        seen, cursor = [], None
        while True:
            page = self.emulator.api("GET", "/v1/letters?limit=2" + (f"&cursor={cursor}" if cursor else ""))
            self.assertEqual(page["object"], "list")
            self.assertLessEqual(len(page["data"]), 2)
            seen += [letter["id"] for letter in page["data"]]
            if not page["has_more"]:
                self.assertIsNone(page["next_cursor"])
                break
            cursor = page["next_cursor"]
        self.assertEqual(seen, ids[::-1])  # newest first, each once
        self.assertEqual([l["id"] for l in self.emulator.api("GET", "/v1/letters?status=printed")["data"]], [ids[0]])
        self.assertEqual([l["id"] for l in self.emulator.api("GET", "/v1/letters?reference=ref1")["data"]],
                         [ids[3], ids[1]])
        for query in ("limit=0", "limit=101", "limit=x", "status=lost", "cursor=%%%"):
            self.assertEqual(self.emulator.api("GET", f"/v1/letters?{query}", expect=400)["error"]["code"],
                             "invalid_request")
        self.assertEqual(self.emulator.api("GET", "/v1/letters/ltr_nope", expect=404)["error"]["code"], "not_found")
        self.assertEqual(self.emulator.api("GET", "/v2/letters", expect=404)["error"]["code"], "not_found")

    def test_faults(self):
        self.emulator.control("POST", "/faults", [{"mode": "error", "count": 1, "path": "/v1/letters"},
                                                 {"mode": "rate_limit", "count": 1, "retry_after": 3},
                                                 {"mode": "unavailable", "count": 1}], expect=201)
        answers = [self.emulator.send(expect=None) for _ in range(4)]
        self.assertEqual([a.status for a in answers], [500, 429, 503, 201])
        self.assertEqual([a.json["error"]["code"] for a in answers[:3]],
                         ["injected_error", "rate_limited", "service_unavailable"])
        self.assertEqual(answers[1].headers["Retry-After"], "3")
        self.emulator.control("POST", "/faults", {"mode": "disconnect", "method": "POST"}, expect=201)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)):
            self.emulator.send(expect=None)
        self.emulator.control("POST", "/faults", {"mode": "slow", "delay_ms": 200, "after": 1}, expect=201)
        self.emulator.api("GET", "/v1/letters")
        self.emulator.api("GET", "/v1/letters")
        self.assertEqual(len(self.emulator.control("GET", "/letters")["letters"]), 1)
        report = self.emulator.control("GET", "/faults")["faults"]
        self.assertEqual([(rule["mode"], rule["fired"]) for rule in report],
                         [("error", 1), ("rate_limit", 1), ("unavailable", 1), ("disconnect", 1), ("slow", 1)])
        self.assertEqual(self.emulator.control("POST", "/faults", {"mode": "error", "status": 200}, expect=400)
                         ["error"]["code"], "invalid_fault")

    def test_webhook_retries_with_backoff(self):
        self.receiver.answers = [500, 503]
        letter = self.emulator.send(callback_url=self.receiver.url + "/hook").json
        self.emulator.control("POST", f"/letters/{letter['id']}/advance")
        hooks = self.receiver.wait(3)
        self.assertEqual([hook["status"] for hook in hooks], [500, 503, 200])
        self.assertEqual([hook["headers"]["Postal-Delivery-Attempt"] for hook in hooks], ["1", "2", "3"])
        self.assertEqual(len({hook["headers"]["Postal-Event-Id"] for hook in hooks}), 1)
        self.assertGreaterEqual(hooks[2]["at"] - hooks[1]["at"], 0.09)  # 50 ms, then 100 ms
        done = self.emulator.control("POST", "/webhooks/wait", {"timeout_ms": 5000})
        self.assertEqual((done["delivered"], done["attempts"], done["pending"]), (1, 3, 0))


if __name__ == "__main__":
    unittest.main(verbosity=2)
