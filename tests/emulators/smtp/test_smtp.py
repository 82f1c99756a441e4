#!/usr/bin/python3
"""Self-test of the SMTP sink: starts it as a subprocess, sends real messages with smtplib and
checks what the control API reports.

    /usr/bin/python3 tests/emulators/smtp/test_smtp.py
"""

import email.policy
import email.utils
import hashlib
import json
import os
import re
import smtplib
import sys
import tempfile
import threading
import time
import unittest
from email.message import EmailMessage

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(HERE))

from common.testing import Process, request  # noqa: E402

SINK = os.path.join(HERE, "smtp_sink.py")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


class Sink:
    def __init__(self, *args):
        self.process = Process(SINK, "--smtp-port", "0", "--control-port", "0", *args)
        found = re.fullmatch(r"smtp 127\.0\.0\.1:(\d+) control (http://127\.0\.0\.1:\d+)", self.process.line)
        if not found:
            self.process.stop()
            raise AssertionError(f"unexpected start line {self.process.line!r}")
        self.smtp_port, self.control = int(found.group(1)), found.group(2)

    def call(self, method, path, body=None, expect=200):
        result = request(method, self.control + path, json_body=body)
        if expect is not None and result.status != expect:
            raise AssertionError(f"{method} {path}: {result.status} {result.body[:500]!r}")
        return result

    def get(self, path):
        return self.call("GET", path).json

    def smtp(self):
        return smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=10)

    def stop(self):
        return self.process.stop()


def invoice_mail(subject="Relance : facture n° F-2026-042 — échéance dépassée", to="client@example.test",
                 message_id=None, attachment=PDF):
    message = EmailMessage()
    message["From"] = "Émilie Durand <relances@fournisseur.test>"
    message["To"] = f"Client Société <{to}>"
    message["Cc"] = "compta@example.test"
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate()
    message["Message-ID"] = message_id or email.utils.make_msgid(domain="relance.test")
    message.set_content("Bonjour,\nvotre facture F-2026-042 est échue.\nCordialement")
    message.add_alternative("<p>Bonjour,</p><p>votre facture <b>F-2026-042</b> est échue.</p>", subtype="html")
    if attachment is not None:
        message.add_attachment(attachment, maintype="application", subtype="pdf", filename="Facture F-2026-042.pdf")
    return message


def wire(message):
    """The message as SMTP carries it (CRLF line ends)."""
    return message.as_bytes(policy=email.policy.SMTP)


class SmtpSinkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.spool = os.path.join(cls.tmp.name, "spool.jsonl")
        cls.sink = Sink("--spool", cls.spool)

    @classmethod
    def tearDownClass(cls):
        status = cls.sink.stop()
        cls.tmp.cleanup()
        assert status == 0, f"the sink exited with {status} on SIGTERM"

    def setUp(self):
        self.sink.call("DELETE", "/messages", expect=204)
        self.sink.call("DELETE", "/faults", expect=204)

    def test_ehlo_advertises_size_8bitmime_smtputf8_and_no_auth(self):
        with self.sink.smtp() as client:
            code, _ = client.ehlo("relance.test")
            self.assertEqual(code, 250)
            self.assertEqual(client.esmtp_features["size"], str(32 * 1024 * 1024))
            self.assertIn("8bitmime", client.esmtp_features)
            self.assertIn("smtputf8", client.esmtp_features)
            self.assertNotIn("auth", client.esmtp_features)

    def test_message_with_attachment_and_utf8_subject(self):
        message = invoice_mail()
        with self.sink.smtp() as client:
            refused = client.send_message(message, to_addrs=["client@example.test", "compta@example.test",
                                                             "archive@fournisseur.test"])
        self.assertEqual(refused, {})
        listing = self.sink.get("/messages")
        self.assertEqual(listing["count"], 1)
        got = listing["messages"][0]
        self.assertEqual(got["mail_from"], "relances@fournisseur.test")
        self.assertEqual(got["rcpt_tos"], ["client@example.test", "compta@example.test", "archive@fournisseur.test"])
        self.assertEqual(got["message_id"], message["Message-ID"])
        self.assertEqual(got["subject"], "Relance : facture n° F-2026-042 — échéance dépassée")
        self.assertEqual(got["from"], "Émilie Durand <relances@fournisseur.test>")
        self.assertEqual(got["to"], "Client Société <client@example.test>")
        self.assertEqual(got["to_addresses"], ["client@example.test"])
        self.assertEqual(got["cc"], "compta@example.test")
        self.assertEqual(got["text"], "Bonjour,\nvotre facture F-2026-042 est échue.\nCordialement\n")
        self.assertIn("<b>F-2026-042</b>", got["html"])
        self.assertEqual(got["attachments"], [{
            "filename": "Facture F-2026-042.pdf", "content_type": "application/pdf", "disposition": "attachment",
            "content_id": None, "size": len(PDF), "sha256": hashlib.sha256(PDF).hexdigest()}])
        self.assertRegex(got["received_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertIsInstance(got["seq"], int)
        self.assertEqual(self.sink.get(f"/messages/{got['seq']}")["message_id"], message["Message-ID"])

        raw = self.sink.call("GET", f"/messages/{got['seq']}/raw")
        self.assertEqual(raw.headers["Content-Type"], "message/rfc822")
        self.assertEqual(hashlib.sha256(raw.body).hexdigest(), got["raw_sha256"])
        self.assertIn(b"Message-ID: " + message["Message-ID"].encode(), raw.body)
        self.assertEqual(self.sink.call("GET", f"/messages/{got['seq']}/attachments/0").body, PDF)
        self.assertEqual(self.sink.get("/count")["count"], 1)

    def test_smtputf8_address(self):
        message = invoice_mail(to="élodie@exemple.test")
        with self.sink.smtp() as client:
            client.send_message(message)  # smtplib asks for SMTPUTF8 itself for a non-ASCII address
        got = self.sink.get("/messages")["messages"][0]
        self.assertTrue(got["smtp_utf8"])
        self.assertIn("élodie@exemple.test", got["rcpt_tos"])
        self.assertEqual(got["to_addresses"], ["élodie@exemple.test"])

    def test_rejected_recipient(self):
        self.sink.call("POST", "/faults", {"rcpt": {"address": "Parti@Example.test", "code": 550,
                                                    "message": "5.1.1 <parti@example.test>: mailbox unavailable"}})
        with self.sink.smtp() as client:
            refused = client.sendmail("relances@fournisseur.test", ["client@example.test", "parti@example.test"],
                                      wire(invoice_mail()))
            self.assertEqual(refused, {"parti@example.test": (550, b"5.1.1 <parti@example.test>: mailbox unavailable")})
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as caught:
                client.sendmail("relances@fournisseur.test", ["parti@example.test"], wire(invoice_mail()))
            self.assertEqual(caught.exception.recipients["parti@example.test"][0], 550)
        messages = self.sink.get("/messages")["messages"]
        self.assertEqual([m["rcpt_tos"] for m in messages], [["client@example.test"]])
        self.assertEqual(self.sink.get("/stats")["rcpt_rejected"], 2)

        # A 4xx rejection limited to one RCPT: the retry goes through.
        self.sink.call("POST", "/faults", {"rcpt": {"address": "plein@example.test", "code": 452, "count": 1}})
        with self.sink.smtp() as client:
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as caught:
                client.sendmail("relances@fournisseur.test", ["plein@example.test"], wire(invoice_mail()))
            self.assertEqual(caught.exception.recipients["plein@example.test"][0], 452)
            self.assertEqual(client.sendmail("relances@fournisseur.test", ["plein@example.test"],
                                             wire(invoice_mail())), {})
        self.assertEqual(self.sink.get("/count")["count"], 2)

    def test_transient_failures_then_success(self):
        self.sink.call("POST", "/faults", {"transient": 2})
        with self.sink.smtp() as client:
            for _ in range(2):
                with self.assertRaises(smtplib.SMTPDataError) as caught:
                    client.send_message(invoice_mail())
                self.assertEqual(caught.exception.smtp_code, 451)
            client.send_message(invoice_mail())
        self.assertEqual(self.sink.get("/count")["count"], 1)
        stats = self.sink.get("/stats")
        self.assertEqual((stats["transactions"], stats["accepted"], stats["transient_failures"]), (3, 1, 2))
        self.assertEqual(self.sink.get("/faults")["transient"], 0)

    def test_disconnect_at_data(self):
        self.sink.call("POST", "/faults", {"disconnect": 1})
        with self.assertRaises(smtplib.SMTPServerDisconnected):
            with self.sink.smtp() as client:
                client.send_message(invoice_mail())
        self.assertEqual(self.sink.get("/count")["count"], 0)
        with self.sink.smtp() as client:
            client.send_message(invoice_mail())
        self.assertEqual(self.sink.get("/count")["count"], 1)

        # The ambiguous case: the message was taken, the client never saw the 250.
        self.sink.call("POST", "/faults", {"disconnect_after_accept": 1})
        with self.assertRaises(smtplib.SMTPServerDisconnected):
            with self.sink.smtp() as client:
                client.send_message(invoice_mail())
        self.assertEqual(self.sink.get("/count")["count"], 2)
        self.assertEqual(self.sink.get("/stats")["disconnects"], 2)

    def test_delay(self):
        self.sink.call("POST", "/faults", {"delay_ms": 400})
        with self.sink.smtp() as client:
            started = time.monotonic()
            client.send_message(invoice_mail())
            self.assertGreaterEqual(time.monotonic() - started, 0.4)
        self.sink.call("DELETE", "/faults", expect=204)
        self.assertEqual(self.sink.get("/faults")["delay_ms"], 0)

    def test_wait_for_a_count(self):
        def send_later():
            time.sleep(0.3)
            with self.sink.smtp() as client:
                for _ in range(3):
                    client.send_message(invoice_mail())

        sender = threading.Thread(target=send_later)
        sender.start()
        started = time.monotonic()
        reached = self.sink.call("POST", "/wait", {"count": 3, "timeout_ms": 5000}).json
        sender.join()
        self.assertTrue(reached["reached"])
        self.assertEqual(reached["count"], 3)
        self.assertLess(time.monotonic() - started, 5)
        timed_out = self.sink.call("POST", "/wait", {"count": 4, "timeout_ms": 200}, expect=504).json
        self.assertEqual((timed_out["reached"], timed_out["count"]), (False, 3))

    def test_filters_and_duplicate_message_ids(self):
        same = email.utils.make_msgid(domain="relance.test")
        with self.sink.smtp() as client:
            client.send_message(invoice_mail(to="a@example.test", message_id=same))
            client.send_message(invoice_mail(to="b@example.test", message_id=same))
            client.send_message(invoice_mail(to="c@example.test"))
        counts = self.sink.get("/count")
        self.assertEqual((counts["count"], counts["distinct_message_ids"]), (3, 2))
        self.assertEqual(counts["duplicate_message_ids"], [same])
        self.assertEqual(self.sink.get("/messages?to=B@example.test")["count"], 1)
        self.assertEqual(self.sink.get("/messages?message_id=" + same.replace("@", "%40"))["count"], 2)
        first = self.sink.get("/messages")["messages"][0]["seq"]
        self.assertEqual(self.sink.get(f"/messages?since={first}")["count"], 2)

    def test_spool_is_written_before_the_reply(self):
        with self.sink.smtp() as client:
            message = invoice_mail()
            client.send_message(message)
            with open(self.spool, encoding="utf-8") as handle:  # already there when send_message returns
                lines = [json.loads(line) for line in handle]
        self.assertEqual([line["message_id"] for line in lines], [message["Message-ID"]])
        self.assertNotIn("raw_base64", lines[0])
        self.assertEqual(lines[0]["rcpt_tos"], ["client@example.test", "compta@example.test"])
        listed = self.sink.get("/messages")["messages"][0]
        for key in ("seq", "received_at", "mail_from", "size", "raw_sha256"):
            self.assertEqual(lines[0][key], listed[key])

    def test_control_errors(self):
        self.sink.call("GET", "/messages/999999", expect=404)
        self.sink.call("GET", "/messages/abc/raw", expect=404)
        bad = self.sink.call("POST", "/faults", {"transient": -1}, expect=400).json
        self.assertEqual(bad["error"]["code"], "invalid_fault")
        self.sink.call("POST", "/faults", {"nonsense": 1}, expect=400)
        self.sink.call("GET", "/nowhere", expect=404)
        self.sink.call("PUT", "/messages", expect=405)


class SmtpSinkOptionsTest(unittest.TestCase):
    def test_auth_plain_and_login_and_size_limit(self):
        sink = Sink("--user", "relance", "--password", "s3cret", "--max-size", "4000")
        try:
            with sink.smtp() as client:
                client.ehlo("relance.test")
                self.assertEqual(set(client.esmtp_features["auth"].split()), {"LOGIN", "PLAIN"})
                self.assertEqual(client.esmtp_features["size"], "4000")
                with self.assertRaises(smtplib.SMTPSenderRefused) as caught:
                    client.send_message(invoice_mail(attachment=None))
                self.assertEqual(caught.exception.smtp_code, 530)
                with self.assertRaises(smtplib.SMTPAuthenticationError) as caught:
                    client.login("relance", "wrong")
                self.assertEqual(caught.exception.smtp_code, 535)
                client.user, client.password = "relance", "s3cret"
                code, _ = client.auth("PLAIN", client.auth_plain)
                self.assertEqual(code, 235)
                client.send_message(invoice_mail(attachment=None))
                with self.assertRaises(smtplib.SMTPSenderRefused) as caught:  # SIZE= on MAIL FROM is over 4000
                    client.send_message(invoice_mail())
                self.assertEqual(caught.exception.smtp_code, 552)
            with sink.smtp() as client:
                client.ehlo("relance.test")
                client.user, client.password = "relance", "s3cret"
                code, _ = client.auth("LOGIN", client.auth_login, initial_response_ok=False)
                self.assertEqual(code, 235)
                client.send_message(invoice_mail(attachment=None))
            messages = sink.get("/messages")["messages"]
            self.assertEqual([m["auth_user"] for m in messages], ["relance", "relance"])
            stats = sink.get("/stats")
            self.assertEqual(stats["auth_succeeded"], 2)
            self.assertGreaterEqual(stats["auth_failed"], 1)  # login() tries PLAIN, then LOGIN
        finally:
            self.assertEqual(sink.stop(), 0)

    def test_spool_survives_a_restart(self):
        with tempfile.TemporaryDirectory() as tmp:
            spool = os.path.join(tmp, "spool.jsonl")
            sink = Sink("--spool", spool, "--spool-raw")
            try:
                with sink.smtp() as client:
                    first, second = invoice_mail(), invoice_mail()
                    client.send_message(first)
                    client.send_message(second)
            finally:
                self.assertEqual(sink.stop(), 0)
            with open(spool, "a", encoding="utf-8") as handle:
                handle.write('{"seq": 3, "cut by a ki')  # a line torn by a kill is skipped
            sink = Sink("--spool", spool, "--spool-raw")
            try:
                listing = sink.get("/messages")
                self.assertEqual([m["message_id"] for m in listing["messages"]],
                                 [first["Message-ID"], second["Message-ID"]])
                raw = sink.call("GET", f"/messages/{listing['messages'][0]['seq']}/raw").body
                self.assertIn(first["Message-ID"].encode(), raw)
                with sink.smtp() as client:
                    client.send_message(invoice_mail())
                self.assertEqual([m["seq"] for m in sink.get("/messages")["messages"]], [1, 2, 3])
            finally:
                self.assertEqual(sink.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
