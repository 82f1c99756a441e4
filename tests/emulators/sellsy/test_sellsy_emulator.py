#!/usr/bin/python3
"""Self-test of the Sellsy emulator: starts it as a subprocess on a free port and talks HTTP to it.

    /usr/bin/python3 tests/emulators/sellsy/test_sellsy_emulator.py
"""

import base64
import datetime
import hashlib
import http.client
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = {"client_id": "relance-test-client", "client_secret": "relance-test-secret"}


class Emulator:
    """One emulator process and a small HTTP client for it."""

    def __init__(self, *args):
        self.process = subprocess.Popen([sys.executable, "-B", os.path.join(HERE, "sellsy_emulator.py"),
                                         "--port", "0", *args], stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().strip()
        if not line.startswith("listening on http://127.0.0.1:"):
            self.process.kill()
            raise RuntimeError(f"unexpected first line: {line!r}")
        self.base = line.split(" ", 2)[2]
        self.port = int(line.rsplit(":", 1)[1])
        self.token = None

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()

    def request(self, method, path, body=None, token=None, raw=None, headers=None):
        """Returns (status, headers, decoded JSON or raw bytes when the body is not JSON)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if payload is not None and "Content-Type" not in sent:
            sent["Content-Type"] = "application/json"
        try:
            connection.request(method, path, body=payload, headers=sent)
            response = connection.getresponse()
            data = response.read()
            try:
                decoded = json.loads(data) if data else None
            except ValueError:
                decoded = data
            return response.status, response.headers, decoded
        finally:
            connection.close()

    def new_token(self):
        status, _, body = self.request("POST", "/oauth2/access-tokens",
                                       {"grant_type": "client_credentials", **CLIENT})
        assert status == 200, body
        return body["access_token"]

    def api(self, method, path, body=None, **kwargs):
        """A Sellsy call with a valid bearer token."""
        if self.token is None:
            self.token = self.new_token()
        return self.request(method, "/v2" + path, body, token=self.token, **kwargs)

    def control(self, method, path, body=None):
        status, _, answer = self.request(method, "/_control" + path, body)
        if status >= 400:
            raise AssertionError(f"control {method} {path} answered {status}: {answer}")
        return answer

    def walk(self, path, search=None, limit=100, **params):
        """Every row of a list (GET) or search (POST) by following seek cursors."""
        rows, offset = [], None
        while True:
            query = {"limit": limit, **params, **({"offset": offset} if offset else {})}
            url = f"{path}?{urllib.parse.urlencode(query)}"
            if search is None:
                status, _, body = self.api("GET", url)
            else:
                status, _, body = self.api("POST", url, {"filters": search})
            assert status == 200, body
            rows += body["data"]
            if body["pagination"]["count"] < limit:
                return rows, body["pagination"]
            offset = body["pagination"]["offset"]


class Receiver:
    """A local webhook endpoint recording the form-encoded `notif` deliveries."""

    def __init__(self):
        self.deliveries = []
        self.status = 200
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.deliveries.append({"form": urllib.parse.parse_qs(body), "agent": self.headers["User-Agent"],
                                            "type": self.headers["Content-Type"], "at": time.monotonic()})
                self.send_response(receiver.status)
                self.send_header("Content-Length", "16")
                self.end_headers()
                self.wfile.write(b'{"success":true}')

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/sellsy/secret-token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def notifs(self):
        return [json.loads(d["form"]["notif"][0]) for d in self.deliveries]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def company_body(name, kind="client"):
    return {"type": kind, "name": name}


def invoice_body(company_id, amount="100.00", due_date="2099-12-31", status="due", **extra):
    return {"related": [{"type": "company", "id": company_id}], "date": "2024-03-01", "due_date": due_date,
            "status": status, "rows": [{"type": "single", "unit_amount": amount, "quantity": "1", "tax_id": 1}],
            **extra}


class SellsyEmulatorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emulator = Emulator("--rate-limit", "0")
        cls.receiver = Receiver()

    @classmethod
    def tearDownClass(cls):
        cls.emulator.stop()
        cls.receiver.stop()

    def setUp(self):
        self.emulator.control("POST", "/reset")
        self.receiver.deliveries.clear()
        self.receiver.status = 200

    def assert_sellsy_error(self, answer, status):
        code, headers, body = answer
        self.assertEqual(code, status, body)
        self.assertEqual(set(body), {"error"})
        self.assertEqual(set(body["error"]), {"code", "message", "context", "details"})
        self.assertEqual(body["error"]["code"], status)
        self.assertIn("X-Quota-Remaining-By-Second", headers)
        return body["error"]

    @staticmethod
    def due(document):
        return document["status"], document["amounts"]["total_remaining_due_incl_tax"]

    def company(self, name="ACME", kind="client"):
        status, _, body = self.emulator.api("POST", "/companies", company_body(name, kind))
        self.assertEqual(status, 201, body)
        return body

    # -- authentication ------------------------------------------------------------------------

    def test_token_flow_and_expiry(self):
        emulator = self.emulator
        status, _, body = emulator.request("POST", "/oauth2/access-tokens",
                                           {"grant_type": "client_credentials", **CLIENT})
        self.assertEqual((status, body["token_type"], body["expires_in"]), (200, "Bearer", 3600))
        self.assertNotIn("refresh_token", body)
        form = urllib.parse.urlencode({"grant_type": "client_credentials", **CLIENT})
        status, _, by_form = emulator.request("POST", "/oauth2/access-tokens", raw=form,
                                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200)
        status, _, bad = emulator.request("POST", "/oauth2/access-tokens",
                                          {"grant_type": "client_credentials", **CLIENT, "client_secret": "no"})
        self.assertEqual((status, bad["error"]), (401, "invalid_client"))
        self.assertEqual(emulator.request("POST", "/oauth2/access-tokens", {"grant_type": "password", **CLIENT})[2]
                         ["error"], "unsupported_grant_type")

        self.assertEqual(self.assert_sellsy_error(emulator.request("GET", "/v2/companies"), 401)["context"],
                         "auth.missing_token")
        token = by_form["access_token"]
        self.assertEqual(emulator.request("GET", "/v2/companies", token=token)[0], 200)
        emulator.control("POST", "/tokens/expire")
        error = self.assert_sellsy_error(emulator.request("GET", "/v2/companies", token=token), 401)
        self.assertEqual(error["context"], "auth.expired_token")
        # Expiry by time: a token outlives 3599 s, not 3601 s.
        fresh = emulator.new_token()
        emulator.control("PUT", "/clock", {"offset_seconds": 3599})
        self.assertEqual(emulator.request("GET", "/v2/companies", token=fresh)[0], 200)
        emulator.control("PUT", "/clock", {"offset_seconds": 3601})
        self.assertEqual(emulator.request("GET", "/v2/companies", token=fresh)[0], 401)
        emulator.control("PUT", "/clock", {"offset_seconds": 0})
        emulator.token = None

    def test_authorization_code_with_pkce_and_refresh(self):
        emulator, verifier = self.emulator, "v" * 50
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urllib.parse.urlencode({"response_type": "code", "client_id": CLIENT["client_id"],
                                        "redirect_uri": "http://127.0.0.1/cb", "code_challenge": challenge,
                                        "code_challenge_method": "S256", "state": "xyz"})
        status, headers, _ = emulator.request("GET", f"/oauth2/authorization?{query}")
        self.assertEqual(status, 302)
        redirect = urllib.parse.parse_qs(urllib.parse.urlsplit(headers["Location"]).query)
        self.assertEqual(redirect["state"], ["xyz"])
        grant = {"grant_type": "authorization_code", "client_id": CLIENT["client_id"], "code": redirect["code"][0],
                 "redirect_uri": "http://127.0.0.1/cb", "code_verifier": "wrong"}
        self.assertEqual(emulator.request("POST", "/oauth2/access-tokens", grant)[2]["error"], "invalid_grant")
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(emulator.request(
            "GET", f"/oauth2/authorization?{query}")[1]["Location"]).query)["code"][0]
        status, _, tokens = emulator.request("POST", "/oauth2/access-tokens",
                                             {**grant, "code": code, "code_verifier": verifier})
        self.assertEqual(status, 200, tokens)
        refresh = {"grant_type": "refresh_token", **CLIENT, "refresh_token": tokens["refresh_token"]}
        status, _, renewed = emulator.request("POST", "/oauth2/access-tokens", refresh)
        self.assertEqual(status, 200)
        self.assertNotEqual(renewed["refresh_token"], tokens["refresh_token"])
        self.assertEqual(emulator.request("POST", "/oauth2/access-tokens", refresh)[2]["error"], "invalid_grant")
        self.assertEqual(emulator.request("GET", "/v2/companies", token=renewed["access_token"])[0], 200)

    def test_cli_token_ttl_and_rate_limit(self):
        other = Emulator("--token-ttl", "1", "--rate-limit", "3", "--client-id", "cid", "--client-secret", "cs")
        try:
            # Start at the beginning of a second so that the four requests share one quota window
            # (the token endpoint is not counted) and run well within the token's one second.
            time.sleep(1 - time.time() % 1 + 0.01)
            status, _, token = other.request("POST", "/oauth2/access-tokens",
                                             {"grant_type": "client_credentials", "client_id": "cid",
                                              "client_secret": "cs"})
            self.assertEqual((status, token["expires_in"]), (200, 1))
            answers = [other.request("GET", "/v2/companies", token=token["access_token"]) for _ in range(4)]
            self.assertEqual([a[0] for a in answers[:3]], [200, 200, 200])
            self.assertEqual([a[1]["X-Quota-Remaining-By-Second"] for a in answers[:3]], ["2", "1", "0"])
            self.assertEqual(answers[0][1]["X-Quota-Remaining-By-Day"], str(3 * 86400 - 1))
            error = self.assert_sellsy_error(answers[3], 429)
            self.assertEqual(error["context"], "quota.exceeded")
            self.assertEqual(answers[3][1]["Retry-After"], "1")
            time.sleep(1.1)
            self.assertEqual(self.assert_sellsy_error(
                other.request("GET", "/v2/companies", token=token["access_token"]), 401)["context"],
                "auth.expired_token")
        finally:
            other.stop()

    # -- lists, pagination, search -------------------------------------------------------------

    def test_pagination_walks_every_record_exactly_once(self):
        emulator = self.emulator
        emulator.control("POST", "/generate", {"companies": 437, "individuals": 50, "seed": 3})
        ids = sorted(c["id"] for c in emulator.control("GET", "/data?only=companies")["companies"])
        rows, last = emulator.walk("/companies")
        self.assertEqual([r["id"] for r in rows], ids)
        self.assertEqual((last["total"], last["limit"]), (437, 100))
        rows, _ = emulator.walk("/companies", direction="desc", limit=33)
        self.assertEqual([r["id"] for r in rows], ids[::-1])
        by_update, _ = emulator.walk("/companies", order="updated_at", limit=50)
        self.assertEqual(sorted(r["id"] for r in by_update), ids)
        stamps = [datetime.datetime.fromisoformat(r["updated_at"]) for r in by_update]
        self.assertEqual(stamps, sorted(stamps))
        # S1's cursor form: base64 of a JSON array of the last row's sort key.
        status, _, first = emulator.api("GET", "/companies?limit=2")
        self.assertEqual(json.loads(base64.b64decode(first["pagination"]["offset"])), [str(ids[1])])
        self.assertEqual(set(first["pagination"]), {"limit", "count", "total", "offset"})
        # Numeric mode starts with offset=0 and answers numbers.
        status, _, numeric = emulator.api("GET", "/companies?limit=100&offset=400")
        self.assertEqual(([r["id"] for r in numeric["data"]], numeric["pagination"]["offset"]), (ids[400:], 400))
        self.assert_sellsy_error(emulator.api("GET", "/companies?limit=101"), 400)
        self.assert_sellsy_error(emulator.api("GET", "/companies?offset=bm90LWEtY3Vyc29y"), 400)
        self.assert_sellsy_error(emulator.api("GET", "/companies?order=email"), 400)

    def test_search_filters(self):
        emulator = self.emulator
        emulator.control("POST", "/generate", {"companies": 120, "individuals": 40, "contacts": 150,
                                               "invoices": 400, "payments": 100, "seed": 11})
        data = emulator.control("GET", "/data")
        cut = sorted(c["updated_at"] for c in data["companies"])[60]
        rows, _ = emulator.walk("/companies/search", {"updated_at": {"start": cut}})
        self.assertEqual(sorted(r["id"] for r in rows),
                         sorted(c["id"] for c in data["companies"] if c["updated_at"] >= cut))
        rows, _ = emulator.walk("/companies/search", {"type": "prospect"})
        self.assertEqual({r["type"] for r in rows}, {"prospect"})
        rows, _ = emulator.walk("/individuals/search", {"type": ["client", "supplier"], "updated_at": {"end": cut}})
        self.assertTrue(rows and all(r["type"] != "prospect" and r["updated_at"] <= cut for r in rows))
        # Contacts say `updated`, not `updated_at` (R §3); unknown keys are refused.
        cut = sorted(c["updated"] for c in data["contacts"])[75]
        rows, _ = emulator.walk("/contacts/search", {"updated": {"start": cut}})
        self.assertEqual(len(rows), sum(1 for c in data["contacts"] if c["updated"] >= cut))
        error = self.assert_sellsy_error(
            emulator.api("POST", "/contacts/search", {"filters": {"updated_at": {}}}), 400)
        self.assertEqual(error["details"], {"updated_at": "unknown filter"})
        self.assert_sellsy_error(emulator.api("POST", "/invoices/search", {}), 400)
        self.assert_sellsy_error(emulator.api("POST", "/invoices/search", {"filters": {"updated": {}}}), 400)
        rows, _ = emulator.walk("/invoices/search", {"date": {"start": "2018-01-01"}}, order="date")
        expected = [i for i in data["invoices"] if i["date"] >= "2018-01-01"]
        self.assertEqual(len(rows), len(expected))
        self.assertLess(len(rows), len(data["invoices"]), "generated data must include invoices before 2018")
        self.assertEqual([r["date"] for r in rows], sorted(r["date"] for r in rows))
        rows, _ = emulator.walk("/invoices/search",
                                {"status": ["paid"], "created": {"start": "2018-01-01T00:00:00+01:00"}})
        self.assertTrue(rows and all(r["status"] == "paid" and r["created"] >= "2018" for r in rows))
        customer = data["invoices"][0]["related"][0]
        rows, _ = emulator.walk("/invoices/search", {"related_objects": [customer]})
        self.assertEqual(len(rows), sum(1 for i in data["invoices"] if i["related"][0] == customer))

    def test_field_selection_on_searches(self):
        """field[] keeps only the paths asked, dotted ones included, on every list the connector reads."""
        emulator = self.emulator
        emulator.control("POST", "/generate", {"companies": 30, "individuals": 10, "contacts": 40, "invoices": 60,
                                               "credit_notes": 10, "payments": 40, "seed": 5})
        wanted = {
            "companies": ("embed[]=invoicing_address&field[]=id&field[]=legal_france.vat"
                          "&field[]=_embed.invoicing_address.city",
                          {"id": int, "legal_france": {"vat": str}, "_embed": {"invoicing_address": {"city": str}}}),
            "individuals": ("field[]=id&field[]=last_name", {"id": int, "last_name": str}),
            "contacts": ("field[]=id&field[]=updated", {"id": int, "updated": str}),
            "invoices": ("field[]=id&field[]=amounts.total_incl_tax&field[]=related",
                         {"id": int, "amounts": {"total_incl_tax": str}, "related": list}),
            "credit-notes": ("field[]=id&field[]=amounts.total_remaining_due_incl_tax",
                             {"id": int, "amounts": {"total_remaining_due_incl_tax": str}}),
            "payments": ("field[]=id&field[]=amounts.total&field[]=related_objects",
                         {"id": int, "amounts": {"total": str}, "related_objects": list}),
        }

        def shape(value):
            return {k: shape(v) for k, v in value.items()} if isinstance(value, dict) else type(value)
        for resource, (params, expected) in wanted.items():
            status, _, body = emulator.api("POST", f"/{resource}/search?limit=5&{params}", {"filters": {}})
            self.assertEqual(status, 200, body)
            self.assertEqual(len(body["data"]), 5, resource)
            for row in body["data"]:
                self.assertEqual(shape(row), expected, resource)
        # Lists rendered their own way (an invoice's payments) honour it too.
        invoice = next(i for i in emulator.control("GET", "/data?only=invoices")["invoices"]
                       if i["amounts"]["total_remaining_due_incl_tax"] != i["amounts"]["total_incl_tax"]
                       and i["status"] != "cancelled")
        status, _, payments = emulator.api("GET", f"/invoices/{invoice['id']}/payments?field[]=id&field[]=amount.value")
        self.assertEqual(status, 200, payments)
        self.assertTrue(all(shape(p) == {"id": int, "amount": {"value": str}} for p in payments["data"]), payments)

    def test_quota_headers_on_every_answer(self):
        for answer in (self.emulator.api("GET", "/companies"), self.emulator.api("GET", "/companies/1"),
                       self.emulator.request("GET", "/v2/companies"), self.emulator.api("GET", "/nothing")):
            for window in ("Second", "Minute", "Day", "Month"):
                self.assertIn(f"X-Quota-Remaining-By-{window}", answer[1])
        status, _, quotas = self.emulator.api("GET", "/quotas")
        self.assertEqual(quotas["api_rate_seconds"]["limit"], None)

    def test_error_bodies(self):
        emulator = self.emulator
        self.assertEqual(self.assert_sellsy_error(emulator.api("GET", "/companies/999999"), 404)["context"],
                         "resource.not_found")
        error = self.assert_sellsy_error(emulator.api("POST", "/companies", {"name": "x" * 251, "colour": 1}), 400)
        self.assertEqual(set(error["details"]), {"name", "colour", "type"})
        self.assert_sellsy_error(emulator.api("POST", "/companies", raw="{not json"), 400)
        company = self.company()
        self.assertEqual(set(self.assert_sellsy_error(
            emulator.api("PUT", f"/companies/{company['id']}", {"type": "prospect"}), 400)["details"]), {"type"})
        self.assertEqual(emulator.api("POST", "/companies?verify=true", company_body("Only checked"))[0], 204)
        self.assertEqual(emulator.control("GET", "/data?only=companies")["companies"][0]["name"], "ACME")

    # -- objects and invariants ----------------------------------------------------------------

    def test_contact_roles_and_main_contact(self):
        emulator, company = self.emulator, self.company()
        path = f"/companies/{company['id']}"
        first, second = (emulator.api("POST", "/contacts", {"last_name": name})[2] for name in ("Doe", "Roe"))
        self.assertEqual(emulator.api("POST", f"{path}/contacts/{first['id']}", {"roles": ["dunning"]})[0], 201)
        shown = emulator.api("GET", f"{path}?embed[]=main_contact")[2]
        # The first contact takes every role, whatever was asked (R §7).
        self.assertEqual((shown["main_contact_id"], shown["invoicing_contact_id"], shown["dunning_contact_id"]),
                         (first["id"],) * 3)
        self.assertEqual(shown["_embed"]["main_contact"]["last_name"], "Doe")
        self.assertEqual(emulator.api("POST", f"{path}/contacts/{second['id']}", {"roles": ["invoicing"]})[0], 201)
        self.assertEqual(emulator.api("POST", f"{path}/contacts/{second['id']}")[0], 200)
        emulator.api("PUT", f"{path}/contacts/{second['id']}", {"roles": ["main", "invoicing"]})
        shown = emulator.api("GET", path)[2]
        self.assertEqual((shown["main_contact_id"], shown["invoicing_contact_id"], shown["dunning_contact_id"]),
                         (second["id"], second["id"], first["id"]))
        self.assertGreaterEqual(shown["updated_at"], company["updated_at"])
        linked, _ = emulator.walk(f"{path}/contacts")
        self.assertEqual({c["id"] for c in linked}, {first["id"], second["id"]})
        self.assertNotIn("roles", linked[0])
        self.assertEqual(emulator.api("DELETE", f"{path}/contacts/{second['id']}")[0], 204)
        shown = emulator.api("GET", path)[2]
        self.assertEqual((shown["main_contact_id"], shown["dunning_contact_id"]), (None, first["id"]))
        self.assertEqual([c["id"] for c in emulator.walk(f"/contacts/{first['id']}/companies")[0]], [company["id"]])

    def test_allocations_move_remaining_due_and_status(self):
        emulator, company = self.emulator, self.company()
        invoice = emulator.control("POST", "/objects/invoices", invoice_body(company["id"], "100.00"))
        self.assertEqual((invoice["status"], invoice["amounts"]["total_incl_tax"],
                          invoice["amounts"]["total_remaining_due_incl_tax"]), ("due", "120.00", "120.00"))
        status, _, payment = emulator.api("POST", f"/companies/{company['id']}/payments", {
            "paid_at": "2024-03-05T10:00:00+01:00", "payment_method_id": 1, "type": "credit",
            "amount": {"value": "150.00", "currency": "EUR"}, "number": "VIR-1"})
        self.assertEqual((status, payment["amounts"], payment["related_objects"]),
                         (201, {"total": "150.00", "remaining": "150.00"}, []))
        link = f"/invoices/{invoice['id']}/payments/{payment['id']}"
        # The link amount is a JSON number (R §13); a string, zero or too much is refused.
        self.assertEqual(set(self.assert_sellsy_error(emulator.api("POST", link, {"amount": "20"}), 400)["details"]),
                         {"amount"})
        self.assert_sellsy_error(emulator.api("POST", link, {"amount": 0}), 400)
        self.assert_sellsy_error(emulator.api("POST", link, {"amount": 120.01}), 400)
        status, _, linked = emulator.api("POST", link, {"amount": 20.5})
        self.assertEqual(status, 201)
        self.assertEqual(linked["data"][0]["amount"], {"value": "20.50", "currency": "EUR"})
        shown = emulator.api("GET", f"/invoices/{invoice['id']}")[2]
        self.assertEqual(self.due(shown), ("payinprogress", "99.50"))
        paid = emulator.api("GET", f"/payments/{payment['id']}")[2]
        self.assertEqual((paid["amounts"]["remaining"], paid["related_objects"][0]["amount_linked"]),
                         ("129.50", "20.50"))
        self.assert_sellsy_error(emulator.api("DELETE", f"/payments/{payment['id']}"), 400)

        credit_note = emulator.control("POST", "/objects/credit-notes", {
            "related": [{"type": "company", "id": company["id"]}], "status": "stored",
            "rows": [{"type": "single", "unit_amount": "50.00", "tax_id": 1}]})
        self.assertEqual((credit_note["status"], credit_note["amounts"]["total_remaining_due_incl_tax"]),
                         ("stored", "60.00"))
        cn_link = f"/invoices/{invoice['id']}/credit-notes/{credit_note['id']}"
        self.assert_sellsy_error(emulator.api("POST", cn_link, {"amount": 10}), 400)  # a string here (R §12)
        self.assertEqual(emulator.api("POST", cn_link, {"amount": "40.00"})[0], 201)
        self.assertEqual(emulator.api("GET", f"/credit-notes/{credit_note['id']}")[2]["status"], "partialspend")
        status, _, rest = emulator.api("POST", f"/credit-notes/{credit_note['id']}/invoices/{invoice['id']}",
                                       {"amount": "20.00"})
        self.assertEqual((status, rest["data"][0]["id"]), (201, invoice["id"]))
        self.assertEqual(emulator.api("GET", f"/credit-notes/{credit_note['id']}")[2]["status"], "spent")
        emulator.api("POST", link, {"amount": 39.5})
        shown = emulator.api("GET", f"/invoices/{invoice['id']}?embed[]=payment_terms")[2]
        self.assertEqual(self.due(shown), ("paid", "0.00"))
        self.assertEqual(shown["_embed"]["payment_terms"]["computed_instalment_plan"][0]["status"], "paid")
        searched, _ = emulator.walk("/invoices/search", {"credit_note_id": credit_note["id"]})
        self.assertEqual([i["id"] for i in searched], [invoice["id"]])
        self.assertEqual(emulator.api("DELETE", link)[0], 204)
        shown = emulator.api("GET", f"/invoices/{invoice['id']}")[2]
        self.assertEqual(self.due(shown), ("payinprogress", "60.00"))
        late = emulator.control("POST", "/objects/invoices", invoice_body(company["id"], due_date="2020-01-01"))
        self.assertEqual(late["status"], "late")
        self.assert_sellsy_error(emulator.api("POST", f"/invoices/{late['id']}/payments/{payment['id']}",
                                              {"amount": 1000}), 400)

    def test_drafts_validation_pdf_and_smart_tags(self):
        emulator, company = self.emulator, self.company()
        status, _, draft = emulator.api("POST", "/invoices", {
            "related": [{"type": "company", "id": company["id"]}], "date": "2024-01-15",
            "rows": [{"type": "single", "unit_amount": "10.00", "quantity": "3", "tax_id": 2}]})
        self.assertEqual((status, draft["status"], draft["number"], draft["due_date"]),
                         (201, "draft", None, "2024-02-14"))
        self.assertEqual(draft["rows"][0]["unit_amount"], "10.00")
        validated = emulator.api("POST", f"/invoices/{draft['id']}/validate", {"date": "2024-01-16"})[2]
        self.assertEqual((validated["status"], validated["date"]), ("late", "2024-01-16"))
        self.assertTrue(validated["number"].startswith("INV-2024-01-16-"))
        self.assert_sellsy_error(emulator.api("PUT", f"/invoices/{draft['id']}", {"subject": "x"}), 400)
        prospect = self.company("Maybe", "prospect")
        self.assert_sellsy_error(emulator.api("POST", "/invoices", {"related": [{"type": "company",
                                                                                  "id": prospect["id"]}]}), 400)
        pdf = urllib.parse.urlsplit(validated["pdf_link"])
        status, headers, body = emulator.request("GET", pdf.path)
        self.assertEqual((status, headers["Content-Type"], body[:5], body.rstrip()[-5:]),
                         (200, "application/pdf", b"%PDF-", b"%%EOF"))
        self.assertEqual(emulator.request("GET", pdf.path.replace(".pdf", "x.pdf"))[0], 404)

        tags_path = f"/companies/{company['id']}/smart-tags"
        status, _, tags = emulator.api("POST", tags_path, [{"value": "Relancé"}, {"value": "VIP"}])
        self.assertEqual((status, [t["value"] for t in tags["data"]]), (200, ["Relancé", "VIP"]))
        again = emulator.api("POST", tags_path, [{"value": "relance"}])[2]["data"]
        self.assertEqual(again, [tags["data"][0]])  # accents and case ignored; the set was replaced
        shown = emulator.api("GET", f"/companies/{company['id']}?embed[]=smart_tags&field[]=id"
                                    "&field[]=_embed.smart_tags")[2]
        self.assertEqual(shown, {"id": company["id"], "_embed": {"smart_tags": again}})
        self.assertEqual(emulator.api("DELETE", f"/smart-tags/{again[0]['id']}")[0], 204)
        self.assertEqual(emulator.api("GET", tags_path)[2]["data"], [])

    # -- webhooks ------------------------------------------------------------------------------

    def register(self, events):
        status, _, hook = self.emulator.api("POST", "/webhooks", {
            "type": "http", "endpoint": self.receiver.url, "is_enabled": True,
            "configuration": [{"id": event, "is_enabled": True} for event in events]})
        self.assertEqual(status, 201, hook)
        return hook

    def wait_deliveries(self):
        self.assertEqual(self.emulator.request("POST", "/_control/deliveries/wait", {"timeout_ms": 8000})[0], 200)

    def test_webhook_registration_and_delivery(self):
        emulator = self.emulator
        hook = self.register(["client.created", "client.updated", "invoice.updated"])
        self.assertEqual(hook["nb_failures"], 0)
        self.assert_sellsy_error(emulator.api("POST", "/webhooks", {
            "type": "http", "endpoint": self.receiver.url, "configuration": [{"id": "client.exploded"}]}), 400)
        company = emulator.control("POST", "/objects/companies", company_body("Hooked"))
        emulator.control("PATCH", f"/objects/companies/{company['id']}", {"name": "Hooked 2"})
        emulator.api("POST", "/contacts", {"last_name": "Not subscribed"})
        self.wait_deliveries()
        self.assertEqual(self.receiver.notifs()[:2], [
            {"event": "created", "relatedtype": "client", "relatedid": str(company["id"]), **self._extra(0)},
            {"event": "updated", "relatedtype": "client", "relatedid": str(company["id"]), **self._extra(1)}])
        self.assertEqual(len(self.receiver.deliveries), 2)
        first = self.receiver.deliveries[0]
        self.assertTrue(first["agent"].startswith("Sellsy"))
        self.assertEqual(first["type"], "application/x-www-form-urlencoded")
        listed = emulator.walk("/webhooks")[0]
        self.assertIsNotNone(listed[0]["last_succeeded"])
        self.assertEqual(emulator.walk("/webhooks/search", {"endpoint": self.receiver.url})[0][0]["id"], hook["id"])
        self.assertEqual(emulator.api("GET", "/webhooks/events")[2][0]["id"], "client")

        # A failing receiver: retried, counted in nb_failures, then given up.
        emulator.control("PUT", "/deliveries", {"max_attempts": 2, "retry_backoff_ms": 10})
        self.receiver.status = 500
        emulator.control("PATCH", f"/objects/companies/{company['id']}", {"name": "Hooked 3"})
        self.wait_deliveries()
        self.assertEqual(emulator.api("GET", f"/webhooks/{hook['id']}")[2]["nb_failures"], 2)
        self.assertEqual(emulator.control("GET", "/deliveries")["log"][-1]["result"], "failed")
        self.assertEqual(emulator.api("DELETE", f"/webhooks/{hook['id']}")[0], 204)
        self.assertEqual(emulator.walk("/webhooks")[0], [])

    def _extra(self, index):
        """The keys beyond event/relatedtype/relatedid, taken from what was received."""
        notif = self.receiver.notifs()[index]
        return {k: v for k, v in notif.items() if k not in ("event", "relatedtype", "relatedid")}

    def create_companies(self, count):
        return [self.emulator.control("POST", "/objects/companies", company_body(f"C{n}"))["id"]
                for n in range(count)]

    def test_delivery_switches(self):
        emulator = self.emulator
        self.register(["client.created"])
        emulator.control("PUT", "/deliveries", {"drop": 1})
        self.create_companies(3)
        self.wait_deliveries()
        self.assertEqual(self.receiver.deliveries, [])
        log = emulator.control("GET", "/deliveries")["log"]
        self.assertEqual([entry["result"] for entry in log], ["dropped"] * 3)

        emulator.control("PUT", "/deliveries", {"drop": 0, "duplicate": 1})
        ids = self.create_companies(2)
        self.wait_deliveries()
        self.assertEqual([n["relatedid"] for n in self.receiver.notifs()], [str(i) for i in ids for _ in (0, 1)])

        self.receiver.deliveries.clear()
        emulator.control("PUT", "/deliveries", {"duplicate": 0, "reorder_ms": 300, "seed": 5})
        ids = self.create_companies(20)
        self.wait_deliveries()
        received = [int(n["relatedid"]) for n in self.receiver.notifs()]
        self.assertEqual(sorted(received), ids)
        self.assertNotEqual(received, ids)

        self.receiver.deliveries.clear()
        emulator.control("PUT", "/deliveries", {"reorder_ms": 0, "delay_ms": 400})
        began = time.monotonic()
        self.create_companies(1)
        self.wait_deliveries()
        self.assertGreaterEqual(self.receiver.deliveries[0]["at"] - began, 0.39)

    def test_drop_fraction_is_reproducible(self):
        emulator = self.emulator
        self.register(["client.created"])
        outcomes = []
        for _ in range(2):
            emulator.control("PUT", "/deliveries", {"drop": 0.5, "seed": 42})
            self.create_companies(20)
            self.wait_deliveries()
            log = sorted(emulator.control("GET", "/deliveries")["log"][-20:], key=lambda entry: entry["id"])
            outcomes.append([entry["result"] for entry in log])
        self.assertEqual(outcomes[0], outcomes[1])
        self.assertIn("dropped", outcomes[0])
        self.assertIn("delivered", outcomes[0])

    # -- POST /batch ---------------------------------------------------------------------------

    def batch(self, pairs, content_type="text/plain", raw=None):
        """POST /v2/batch of (request line, body line) pairs, each a JSON value or raw text."""
        def line(value):
            return value if isinstance(value, str) else json.dumps(value)
        text = raw if raw is not None else "".join(f"{line(r)}\n{line(b)}\n" for r, b in pairs)
        return self.emulator.api("POST", "/batch", raw=text.encode(), headers={"Content-Type": content_type})

    def test_batch_dispatches_each_request(self):
        emulator, company = self.emulator, self.company()
        contact = emulator.api("POST", "/contacts", {"last_name": "Doe"})[2]
        emulator.api("POST", f"/companies/{company['id']}/contacts/{contact['id']}", {"roles": ["main"]})
        emulator.control("DELETE", "/stats")
        status, headers, body = self.batch([
            ({"uri": f"/contacts/{contact['id']}/companies", "method": "GET", "uuid": "first",
              "query": {"field[]": ["id", "main_contact_id"], "limit": 10}}, {}),
            ({"uri": "/companies/999999", "method": "get"}, ""),
            ({"uri": "/companies", "method": "POST"}, {"type": "client", "name": "Batched"}),
            ({"uri": "/invoices/search?limit=1", "method": "POST"}, {"filters": {}}),
        ])
        self.assertEqual(status, 207, body)
        self.assertIn("X-Quota-Remaining-By-Second", headers)
        self.assertEqual(set(body), {"responses", "error"})
        self.assertTrue(body["error"])
        first, missing, created, searched = body["responses"]
        self.assertEqual(first, {"code": 200, "uuid": "first", "response": {
            "data": [{"id": company["id"], "main_contact_id": contact["id"]}],
            "pagination": {"limit": 10, "count": 1, "total": 1, "offset": first["response"]["pagination"]["offset"]}}})
        self.assertEqual((missing["code"], missing["response"]["error"]["context"]), (404, "resource.not_found"))
        self.assertEqual((created["code"], created["response"]["name"]), (201, "Batched"))
        self.assertEqual((searched["code"], searched["response"]["data"]), (200, []))
        self.assertIn("Batched", [c["name"] for c in emulator.control("GET", "/data?only=companies")["companies"]])
        stats = emulator.control("GET", "/stats")["requests"]
        self.assertEqual(stats["by_route"], {"POST /v2/batch": 1})
        self.assertEqual(stats["batched"], {"GET /v2/contacts/{id}/companies 200": 1,
                                            "GET /v2/companies/{id} 404": 1, "POST /v2/companies 201": 1,
                                            "POST /v2/invoices/search 200": 1})
        status, _, body = self.batch([({"uri": "/companies", "method": "GET"}, {})] * 50)
        self.assertEqual((status, body["error"], len(body["responses"])), (207, False, 50))
        # Authentication is the batch's.
        self.assert_sellsy_error(emulator.request("POST", "/v2/batch", raw=b'{"uri":"/companies","method":"GET"}\n{}\n',
                                                  headers={"Content-Type": "text/plain"}), 401)

    def test_batch_refuses_malformed_bodies(self):
        get = {"uri": "/companies", "method": "GET"}
        cases = [
            ("%s\n{}\n{not json\n{}\n" % json.dumps(get), 400, {"line 3": "is not valid JSON"}),
            ("%s\n{}\n%s\n" % (json.dumps(get), json.dumps(get)), 400,
             {"line 3": "is a request line without its body line"}),
            ('{"method":"GET"}\n{}\n', 400, {"line 1": "needs a uri starting with /"}),
            ('{"uri":"/companies"}\n{}\n', 400, {"line 1": "needs a method among GET|POST|PUT|PATCH|DELETE"}),
            ('{"uri":"/companies","method":"GET","colour":1}\n{}\n', 400, {"line 1": "has unknown keys: colour"}),
            ('{"uri":"/companies","method":"GET","query":{"a":{"b":1}}}\n{}\n', 400,
             {"line 1": "has query.a that is not a text, number, boolean or an array of them"}),
            ('[1]\n{}\n', 400, {"line 1": "is not a JSON object"}),
            ("%s\n{]\n" % json.dumps(get), 400, {"line 2": "is not valid JSON"}),
            ("", 400, {"body": "is empty"}),
            ("%s\n{}\n" % json.dumps(get) * 51, 413, {}),
        ]
        for raw, status, details in cases:
            error = self.assert_sellsy_error(self.batch(None, raw=raw), status)
            self.assertEqual(error["details"], details, raw[:60])
        self.assertEqual(self.assert_sellsy_error(self.batch([(get, {})], "application/json"), 400)["context"],
                         "batch.content_type")
        status, _, body = self.batch([({"uri": "/batch", "method": "POST"}, "")])
        self.assertEqual((status, body["error"], body["responses"][0]["response"]["error"]["context"]),
                         (207, True, "batch.nested"))
        # Windows line ends and a blank body line are accepted.
        status, _, body = self.batch(None, raw='{"uri":"/companies","method":"GET"}\r\n\r\n')
        self.assertEqual((status, body["responses"][0]["code"]), (207, 200))

    def test_batch_counts_each_request_against_the_quota_and_meets_faults(self):
        emulator = self.emulator
        get = ({"uri": "/companies", "method": "GET"}, {})
        emulator.control("PUT", "/quotas", {"second": 4, "minute": None, "day": None, "month": None})
        try:
            time.sleep(1 - time.time() % 1 + 0.01)  # one quota window for the whole batch
            status, headers, body = self.batch([get] * 5)
            # The batch counts once, each sub-request once more: 3 pass, 2 meet the exhausted window.
            self.assertEqual([r["code"] for r in body["responses"]], [200, 200, 200, 429, 429])
            self.assertEqual(body["responses"][3]["response"]["error"]["context"], "quota.exceeded")
            self.assertEqual((status, body["error"], headers["X-Quota-Remaining-By-Second"]), (207, True, "0"))
        finally:
            emulator.control("PUT", "/quotas", {"per_second": None})
        emulator.control("POST", "/faults", {"path": "/v2/companies", "mode": "error", "status": 503, "after": 1})
        emulator.control("POST", "/faults", {"path": "/v2/invoices", "mode": "garbage"})
        status, _, body = self.batch([get, get, get, ({"uri": "/invoices", "method": "GET"}, {})])
        self.assertEqual([r["code"] for r in body["responses"]], [200, 503, 200, 200])
        self.assertEqual(body["responses"][1]["response"]["error"]["code"], 503)
        self.assertTrue(body["responses"][3]["response"].startswith("<html>"))
        emulator.control("POST", "/faults", {"path": "/v2/companies", "mode": "disconnect"})
        with self.assertRaises((http.client.HTTPException, ConnectionError)):
            self.batch([get])

    # -- control API and fault injection -------------------------------------------------------

    def test_control_seed_data_and_stats(self):
        emulator = self.emulator
        loaded = emulator.control("POST", "/seed", {
            "companies": [{"id": 42, "type": "client", "name": "Seeded", "created": "2017-06-01T10:00:00+02:00",
                           "updated_at": "2017-06-02T10:00:00+02:00"}],
            "contacts": [{"id": 7, "last_name": "Seed"}],
            "addresses": [{"owner": {"type": "company", "id": 42}, "name": "HQ", "address_line_1": "1 rue A",
                           "postal_code": "75001", "city": "Paris", "country_code": "FR"}],
            "links": [{"party": {"type": "company", "id": 42}, "contact_id": 7}],
            "invoices": [{**invoice_body(42), "id": 900, "date": "2017-06-03"}],
            "payments": [{"id": 5, "related": {"type": "company", "id": 42}, "paid_at": "2017-07-01T00:00:00+02:00",
                          "payment_method_id": 2, "type": "credit", "amount": {"value": "50.00", "currency": "EUR"}}],
            "allocations": [{"invoice_id": 900, "payment_id": 5, "amount": "50.00"}],
            "smart_tags": [{"resource": "companies", "id": 42, "tags": [{"value": "seeded"}]}]})
        self.assertEqual(loaded["loaded"]["companies"], 1)
        data = emulator.control("GET", "/data")
        company = data["companies"][0]
        self.assertEqual((company["updated_at"], company["main_contact_id"], company["invoicing_address_id"],
                          company["_embed"]["smart_tags"][0]["value"]),
                         ("2017-06-02T10:00:00+02:00", 7, data["addresses"][0]["id"], "seeded"))
        self.assertEqual(data["allocations"], [{"invoice_id": 900, "source": {"type": "payment", "id": 5},
                                                "amount": "50.00"}])
        self.assertEqual(data["invoices"][0]["amounts"]["total_remaining_due_incl_tax"], "70.00")
        emulator.control("DELETE", "/stats")
        emulator.api("GET", "/companies/42")
        emulator.api("GET", "/companies/42")
        stats = emulator.control("GET", "/stats")["requests"]
        self.assertEqual(stats["by_route"], {"GET /v2/companies/{id}": 2})
        # Control writes fire webhooks like real changes; the seed did not.
        self.register(["invoice.updated", "payment.updated"])
        emulator.control("DELETE", "/allocations", {"invoice_id": 900, "payment_id": 5})
        self.wait_deliveries()
        self.assertEqual(sorted((n["relatedtype"], n["relatedid"]) for n in self.receiver.notifs()),
                         [("invoice", "900"), ("payment", "5")])
        emulator.control("DELETE", "/objects/invoices/900")
        self.assertEqual(emulator.api("GET", "/invoices/900")[0], 404)

    def test_fail_injection(self):
        emulator = self.emulator
        emulator.control("POST", "/faults", {"path": "/v2/companies", "mode": "error", "count": 2, "after": 1})
        codes = [emulator.api("GET", "/companies")[0] for _ in range(4)]
        self.assertEqual(codes, [200, 500, 500, 200])
        emulator.control("POST", "/faults", {"path": "/v2/invoices", "mode": "rate_limit"})
        answer = emulator.api("GET", "/invoices")
        self.assert_sellsy_error(answer, 429)
        self.assertEqual((answer[1]["Retry-After"], answer[1]["X-Quota-Remaining-By-Second"]), ("1", "0"))
        emulator.control("POST", "/faults", {"path": "/v2/invoices", "mode": "garbage"})
        status, _, body = emulator.api("GET", "/invoices")
        self.assertEqual(status, 200)
        self.assertIsInstance(body, bytes)  # not JSON
        emulator.control("POST", "/faults", {"path": "/v2/invoices", "mode": "truncated"})
        self.assertIsInstance(emulator.api("GET", "/invoices")[2], bytes)
        emulator.control("POST", "/faults", {"path": "/v2/invoices", "mode": "disconnect"})
        with self.assertRaises((http.client.HTTPException, ConnectionError)):
            emulator.api("GET", "/invoices")
        emulator.control("POST", "/faults", {"path": "/v2/invoices", "mode": "expire_token", "after": 1})
        self.assertEqual([emulator.api("GET", "/invoices")[0] for _ in range(3)], [200, 401, 401])
        emulator.token = None
        self.assertEqual(emulator.api("GET", "/invoices")[0], 200)
        emulator.control("POST", "/faults", {"path": "/oauth2/access-tokens", "mode": "error", "status": 503})
        self.assertEqual(emulator.request("POST", "/oauth2/access-tokens",
                                          {"grant_type": "client_credentials", **CLIENT})[0], 503)
        self.assertTrue(all(rule["fired"] == rule["count"] for rule in emulator.control("GET", "/faults")))
        self.assertEqual(emulator.request("POST", "/_control/faults", {"path": "/v2", "mode": "explode"})[0], 400)

    def test_generator_is_fast_and_seeded(self):
        emulator = self.emulator
        answer = emulator.control("POST", "/generate", {"companies": 2000, "individuals": 500, "contacts": 2000,
                                                         "invoices": 10000, "credit_notes": 300, "payments": 5000,
                                                         "seed": 9})
        self.assertLess(answer["seconds"], 5)
        first = emulator.control("GET", "/data?only=invoices")["invoices"][:50]
        emulator.control("POST", "/reset")
        emulator.control("POST", "/generate", {"companies": 2000, "individuals": 500, "contacts": 2000,
                                               "invoices": 10000, "credit_notes": 300, "payments": 5000, "seed": 9})
        again = emulator.control("GET", "/data?only=invoices")["invoices"][:50]

        def stable(invoice):
            return {k: v for k, v in invoice.items() if k not in ("pdf_link", "public_link")}
        self.assertEqual([stable(i) for i in first], [stable(i) for i in again])
        statuses = {i["status"] for i in emulator.control("GET", "/data?only=invoices")["invoices"]}
        self.assertTrue({"paid", "late", "draft"} <= statuses, statuses)


if __name__ == "__main__":
    unittest.main(verbosity=2)
