#!/usr/bin/python3
"""Self-test of the SMS (Twilio-style) emulator: starts it as a subprocess and talks HTTP to it.

    /usr/bin/python3 tests/emulators/sms/test_sms.py
"""

import base64
import hashlib
import hmac
import http.client
import os
import re
import socket
import sys
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(HERE))

from common.testing import Process, Receiver, request  # noqa: E402

EMULATOR = os.path.join(HERE, "sms_emulator.py")
ACCOUNT = "AC" + "ab" * 16
TOKEN = "test-token-123"
SERVICE = "MG" + "cd" * 16
RFC2822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                     r"\d{4} \d\d:\d\d:\d\d \+0000$")


class Emulator:
    def __init__(self, *args):
        self.process = Process(EMULATOR, "--port", "0", "--account-sid", ACCOUNT, "--auth-token", TOKEN, *args)
        found = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)", self.process.line)
        if not found:
            self.process.stop()
            raise AssertionError(f"unexpected start line {self.process.line!r}")
        self.base = found.group(1)
        self.messages = f"{self.base}/2010-04-01/Accounts/{ACCOUNT}/Messages"

    @staticmethod
    def auth(user=ACCOUNT, password=TOKEN):
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}

    def send(self, expect=201, headers=None, **form):
        result = request("POST", self.messages + ".json", form=form,
                         headers=self.auth() if headers is None else headers)
        assert result.status == expect, result
        return result.json

    def fetch(self, sid):
        result = request("GET", f"{self.messages}/{sid}.json", headers=self.auth())
        assert result.status == 200, result
        return result.json

    def control(self, method, path, body=None, expect=200):
        result = request(method, f"{self.base}/_control{path}", json_body=body)
        assert result.status == expect, result
        return result.json

    def stop(self):
        return self.process.stop()


def signature(url, form):
    """Twilio's documented algorithm, written again here rather than imported from the emulator."""
    payload = url + "".join(key + form[key] for key in sorted(form))
    return base64.b64encode(hmac.new(TOKEN.encode(), payload.encode(), hashlib.sha1).digest()).decode()


class SmsEmulatorTest(unittest.TestCase):
    """One emulator whose statuses move on their own every 50 ms."""

    @classmethod
    def setUpClass(cls):
        cls.emulator = Emulator("--advance-ms", "50", "--callback-retry-ms", "100")
        cls.receiver = Receiver()

    @classmethod
    def tearDownClass(cls):
        cls.receiver.close()
        assert cls.emulator.stop() == 0, "the emulator did not stop cleanly on SIGTERM"

    def setUp(self):
        self.emulator.control("DELETE", "/messages", expect=204)
        self.emulator.control("DELETE", "/faults", expect=204)
        self.emulator.control("DELETE", "/unreachable", expect=204)
        self.receiver.requests.clear()

    def test_authentication(self):
        for headers in ({}, Emulator.auth(password="wrong"), Emulator.auth(user="AC" + "0" * 32),
                        {"Authorization": "Bearer " + TOKEN}, {"Authorization": "Basic %%%"}):
            error = self.emulator.send(expect=401, headers=headers, To="+33612345678", From="+33700000000", Body="x")
            self.assertEqual(error, {"code": 20003, "message": "Authenticate",
                                     "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401})
        other = request("GET", f"{self.emulator.base}/2010-04-01/Accounts/AC{'0' * 32}/Messages.json",
                        headers=Emulator.auth())
        self.assertEqual((other.status, other.headers["WWW-Authenticate"]), (401, 'Basic realm="Twilio API"'))

    def test_create_answers_the_message_resource(self):
        message = self.emulator.send(To="+33612345678", From="+33700000001", Body="Votre facture F-42 est échue.")
        self.assertRegex(message["sid"], r"^SM[0-9a-f]{32}$")
        self.assertEqual({key: message[key] for key in ("account_sid", "to", "from", "body", "status",
                                                          "num_segments", "num_media", "direction", "api_version",
                                                          "error_code", "error_message", "messaging_service_sid",
                                                          "date_sent", "price", "price_unit")},
                         {"account_sid": ACCOUNT, "to": "+33612345678", "from": "+33700000001",
                          "body": "Votre facture F-42 est échue.", "status": "queued", "num_segments": "1",
                          "num_media": "0", "direction": "outbound-api", "api_version": "2010-04-01",
                          "error_code": None, "error_message": None, "messaging_service_sid": None,
                          "date_sent": None, "price": None, "price_unit": "USD"})
        self.assertRegex(message["date_created"], RFC2822)
        self.assertEqual(message["uri"], f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{message['sid']}.json")
        self.assertEqual(self.emulator.fetch(message["sid"])["sid"], message["sid"])

    def test_bad_input_gets_twilio_errors(self):
        cases = [
            ({"From": "+33700000001", "Body": "x"}, 21604),
            ({"To": "+33612345678", "Body": "x"}, 21603),
            ({"To": "+33612345678", "From": "+33700000001"}, 21602),
            ({"To": "+33612345678", "From": "+33700000001", "Body": ""}, 21602),
            ({"To": "0612345678", "From": "+33700000001", "Body": "x"}, 21211),
            ({"To": "+33 6 12 34 56 78", "From": "+33700000001", "Body": "x"}, 21211),
            ({"To": "+33612345678", "From": "not a sender!", "Body": "x"}, 21212),
            ({"To": "+33612345678", "From": "+33700000001", "Body": "x" * 1601}, 21617),
            ({"To": "+33612345678", "From": "+33612345678", "Body": "x"}, 21266),
            ({"To": "+33612345678", "From": "+33700000001", "Body": "x", "StatusCallback": "ftp://h/x"}, 21609),
        ]
        for form, code in cases:
            error = self.emulator.send(expect=400, **form)
            self.assertEqual((error["code"], error["status"]), (code, 400), form)
            self.assertEqual(error["more_info"], f"https://www.twilio.com/docs/errors/{code}")
            self.assertTrue(error["message"])
        self.assertEqual(self.emulator.control("GET", "/messages")["messages"], [])
        # An alphanumeric sender ID and a short code are valid senders.
        self.emulator.send(To="+33612345678", From="RELANCE", Body="x")
        self.emulator.send(To="+33612345678", From="36180", Body="x")

    def test_segments(self):
        def parts(body):
            return self.emulator.send(To="+33612345678", From="+33700000001", Body=body)["num_segments"]

        self.assertEqual(parts("a" * 160), "1")
        self.assertEqual(parts("a" * 161), "2")
        self.assertEqual(parts("é" * 306), "2")  # é is in the GSM-7 set
        self.assertEqual(parts("€" * 80), "1")  # two septets each: 160
        self.assertEqual(parts("€" * 81), "2")
        self.assertEqual(parts("ç" * 70), "1")  # ç is not: UCS-2, 70 per message
        self.assertEqual(parts("ç" * 71), "2")

    def test_status_flow_and_signed_callbacks(self):
        url = self.receiver.url + "/sms/status?org=1"
        message = self.emulator.send(To="+33612345678", From="+33700000001", Body="Rappel", StatusCallback=url)
        callbacks = self.receiver.wait(2)
        forms = self.receiver.forms()
        self.assertEqual([form["MessageStatus"] for form in forms], ["sent", "delivered"])
        for callback, form in zip(callbacks, forms):
            self.assertEqual(callback["path"], "/sms/status?org=1")
            self.assertEqual(form["MessageSid"], message["sid"])
            self.assertEqual(form["SmsSid"], message["sid"])
            self.assertEqual(form["AccountSid"], ACCOUNT)
            self.assertEqual((form["To"], form["From"], form["ApiVersion"]), ("+33612345678", "+33700000001",
                                                                             "2010-04-01"))
            self.assertNotIn("ErrorCode", form)
            self.assertEqual(callback["headers"]["X-Twilio-Signature"], signature(url, form))
            self.assertTrue(callback["headers"]["Content-Type"].startswith("application/x-www-form-urlencoded"))
            self.assertTrue(callback["headers"]["I-Twilio-Idempotency-Token"])
        fetched = self.emulator.fetch(message["sid"])
        self.assertEqual(fetched["status"], "delivered")
        self.assertRegex(fetched["date_sent"], RFC2822)
        self.assertEqual(fetched["price"], "-0.00790")
        history = self.emulator.control("GET", "/messages")["messages"][0]["history"]
        self.assertEqual([step["status"] for step in history], ["queued", "sent", "delivered"])

    def test_unreachable_number_ends_undelivered(self):
        self.emulator.control("POST", "/unreachable", {"numbers": ["+33699999999"]})
        self.assertEqual(self.emulator.control("GET", "/unreachable")["numbers"],
                         [{"number": "+33699999999", "error_code": 30003}])
        message = self.emulator.send(To="+33699999999", From="+33700000001", Body="x",
                                     StatusCallback=self.receiver.url + "/cb")
        self.receiver.wait(2)
        self.assertEqual([(f["MessageStatus"], f.get("ErrorCode")) for f in self.receiver.forms()],
                         [("sent", None), ("undelivered", "30003")])
        fetched = self.emulator.fetch(message["sid"])
        self.assertEqual((fetched["status"], fetched["error_code"]), ("undelivered", 30003))
        self.assertTrue(fetched["error_message"])

    def test_messaging_service(self):
        message = self.emulator.send(To="+33612345678", MessagingServiceSid=SERVICE, Body="x")
        self.assertEqual((message["status"], message["from"], message["num_segments"],
                          message["messaging_service_sid"]), ("accepted", None, "0", SERVICE))
        self.emulator.control("POST", "/messages/wait", {"count": 1, "status": "delivered", "timeout_ms": 5000})
        fetched = self.emulator.fetch(message["sid"])
        self.assertEqual((fetched["status"], fetched["from"], fetched["num_segments"]),
                         ("delivered", "+15005550006", "1"))

    def test_list_and_pagination(self):
        sids = [self.emulator.send(To=to, From="+33700000001", Body=str(i))["sid"]
                for i, to in enumerate(["+33611111111", "+33622222222", "+33611111111"])]
        first = request("GET", self.emulator.messages + ".json?PageSize=2", headers=Emulator.auth()).json
        self.assertEqual([m["sid"] for m in first["messages"]], [sids[2], sids[1]])  # newest first
        self.assertEqual((first["page"], first["page_size"], first["start"], first["end"]), (0, 2, 0, 1))
        self.assertIsNone(first["previous_page_uri"])
        second = request("GET", self.emulator.base + first["next_page_uri"], headers=Emulator.auth()).json
        self.assertEqual([m["sid"] for m in second["messages"]], [sids[0]])
        self.assertIsNone(second["next_page_uri"])
        filtered = request("GET", self.emulator.messages + ".json?" + urllib.parse.urlencode({"To": "+33611111111"}),
                           headers=Emulator.auth()).json
        self.assertEqual([m["sid"] for m in filtered["messages"]], [sids[2], sids[0]])
        missing = request("GET", f"{self.emulator.messages}/SM{'0' * 32}.json", headers=Emulator.auth())
        self.assertEqual((missing.status, missing.json["code"]), (404, 20404))

    def test_faults(self):
        rules = self.emulator.control("POST", "/faults", [{"mode": "error", "count": 1},
                                                         {"mode": "rate_limit", "count": 1, "retry_after": 2},
                                                         {"mode": "unavailable", "count": 1}], expect=201)["faults"]
        self.assertEqual(len(rules), 3)
        answers = [request("POST", self.emulator.messages + ".json", headers=Emulator.auth(),
                           form={"To": "+33612345678", "From": "+33700000001", "Body": "x"}) for _ in range(4)]
        self.assertEqual([a.status for a in answers], [500, 429, 503, 201])
        self.assertEqual([a.json.get("code") for a in answers[:3]], [20500, 20429, 20503])
        self.assertEqual(answers[1].headers["Retry-After"], "2")
        self.assertEqual(len(self.emulator.control("GET", "/messages")["messages"]), 1)
        self.assertEqual([rule["fired"] for rule in self.emulator.control("GET", "/faults")["faults"]], [1, 1, 1])

        self.emulator.control("POST", "/faults", {"mode": "disconnect", "count": 1, "method": "POST"}, expect=201)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionResetError)):
            request("POST", self.emulator.messages + ".json", headers=Emulator.auth(),
                    form={"To": "+33612345678", "From": "+33700000001", "Body": "x"})
        self.assertEqual(len(self.emulator.control("GET", "/messages")["messages"]), 1)
        bad = self.emulator.control("POST", "/faults", {"mode": "explode"}, expect=400)
        self.assertEqual(bad["code"], 20001)

    def test_no_idempotency(self):
        """Twilio documents no idempotency key for creating a message: a retried POST sends twice."""
        form = {"To": "+33612345678", "From": "+33700000001", "Body": "x"}
        headers = {**Emulator.auth(), "Idempotency-Key": "same", "I-Twilio-Idempotency-Token": "same"}
        first = self.emulator.send(headers=headers, **form)
        second = self.emulator.send(headers=headers, **form)
        self.assertNotEqual(first["sid"], second["sid"])

    def test_callback_that_cannot_connect_is_retried_once(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            dead = f"http://127.0.0.1:{probe.getsockname()[1]}/cb"  # nobody listens once closed
        self.emulator.send(To="+33612345678", From="+33700000001", Body="x", StatusCallback=dead)
        self.emulator.control("POST", "/messages/wait", {"count": 1, "timeout_ms": 5000})
        done = self.emulator.control("POST", "/callbacks/wait", {"count": 2, "timeout_ms": 5000})
        self.assertEqual((done["failed"], done["attempts"]), (2, 4))
        deliveries = self.emulator.control("GET", "/callbacks")["deliveries"]
        self.assertEqual([d["attempts"] for d in deliveries], [2, 2])

    def test_a_callback_answered_with_an_error_is_not_retried(self):
        self.receiver.answers = [500]
        self.emulator.send(To="+33612345678", From="+33700000001", Body="x", StatusCallback=self.receiver.url)
        self.emulator.control("POST", "/callbacks/wait", {"count": 2, "timeout_ms": 5000})
        self.assertEqual([r["status"] for r in self.receiver.requests], [500, 200])
        self.assertEqual(self.emulator.control("GET", "/callbacks")["attempts"], 2)


class ManualAdvanceTest(unittest.TestCase):
    def test_statuses_move_only_through_the_control_api(self):
        emulator = Emulator("--advance-ms", "0", "--unreachable", "+33699999999")
        receiver = Receiver()
        try:
            sid = emulator.send(To="+33612345678", From="+33700000001", Body="x",
                                StatusCallback=receiver.url)["sid"]
            self.assertEqual(emulator.fetch(sid)["status"], "queued")
            self.assertEqual(emulator.control("POST", f"/messages/{sid}/advance")["status"], "sent")
            self.assertEqual(emulator.control("POST", f"/messages/{sid}/advance", {"to": "delivered"})["status"],
                             "delivered")
            emulator.control("POST", f"/messages/{sid}/advance", expect=409)
            receiver.wait(2)
            self.assertEqual([f["MessageStatus"] for f in receiver.forms()], ["sent", "delivered"])

            lost = emulator.send(To="+33699999999", From="+33700000001", Body="x")["sid"]
            emulator.control("POST", f"/messages/{lost}/advance", {"to": "delivered"}, expect=409)
            self.assertEqual(emulator.fetch(lost)["status"], "queued")  # a refused advance changes nothing
            self.assertEqual(emulator.control("POST", f"/messages/{lost}/advance", {"to": "undelivered"})["status"],
                             "undelivered")
            emulator.control("POST", f"/messages/SM{'0' * 32}/advance", expect=404)
            timed_out = emulator.control("POST", "/messages/wait", {"count": 3, "timeout_ms": 100}, expect=504)
            self.assertEqual(timed_out, {"reached": False, "count": 2})
            stats = emulator.control("GET", "/stats")
            self.assertEqual(stats["by_route"]["POST /2010-04-01/Accounts/{AccountSid}/Messages.json"], 2)
        finally:
            receiver.close()
            self.assertEqual(emulator.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
