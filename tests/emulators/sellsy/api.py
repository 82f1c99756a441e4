"""The Sellsy API v2 endpoints (base path /v2, R §2), the login host's OAuth2 endpoints (/oauth2)
and the document files behind `pdf_link` and `public_link`."""

import decimal
import html

import batch
import query
import render
from common import CENT, Field, check_body, not_found, parse_money
from documents import DOCUMENT_FIELDS, PAYMENT_FIELDS, PAYMENT_METHODS
from pdf import document_pdf
from server import Response
from store import ADDRESS_CREATE, ADDRESS_OWNERS, CREATE_FIELDS, PARTIES, TAGGABLE, UPDATE_FIELDS, normalize_tag
from webhooks import CATALOGUE, WEBHOOK_FIELDS

LISTABLE = ("companies", "individuals", "contacts", "invoices", "credit-notes", "payments")
PEOPLE = ("companies", "individuals", "contacts")
DOCUMENTS = ("invoices", "credit-notes")
AUTOCOMPLETE_KINDS = {"company": "companies", "individual": "individuals", "contact": "contacts"}
LINK_ROLES = {"roles": Field("list")}  # POST: nullable (R §7)
SET_ROLES = {"roles": Field("list", required=True, nullable=False)}  # PUT: not nullable
# LinkPaymentToDocument.amount is a JSON number, the only amount that is not a string (R §2, §13);
# the credit-note link takes a decimal string (R §12).
PAYMENT_LINK = {"amount": Field("number", required=True, nullable=False)}
CREDIT_NOTE_LINK = {"amount": Field("money", required=True, nullable=False)}


class SellsyApi:
    def __init__(self, app):
        self.app = app
        self.store = app.store

    # -- shared helpers -------------------------------------------------------------------------

    def _context(self, version=None):
        return query.Context(self.store, self.store.clock.today(),
                             self.store.version if version is None else version)

    def page(self, request, resource, records, filters=None, scope=None, show=None, version=None):
        """The {"data":[…],"pagination":{…}} envelope of R §3 over `records` (id -> record)."""
        embeds, fields = request.query.get("embed[]", []), request.query.get("field[]", [])
        if show is None:
            render.check_embeds(resource, embeds, single=False)

            def show(record):
                return render.with_embeds(self.store, resource, record, embeds)
        with self.store.lock:
            rows, pagination = query.run(self._context(version), self.app.cache, scope or resource,
                                         resource, records, request.query, filters)
            return Response.json(200, {"data": [render.select_fields(show(row), fields) for row in rows],
                                       "pagination": pagination})

    def one(self, request, resource, record, status=200):
        embeds, fields = request.query.get("embed[]", []), request.query.get("field[]", [])
        with self.store.lock:  # other threads may be changing the relations rendered here
            return Response.json(status, render.select_fields(
                render.with_embeds(self.store, resource, record, embeds, single=True), fields))

    @staticmethod
    def verify_only(request, body, fields, partial=False):
        """`verify=true` on POST/PUT validates the body and answers 204 (R §2). Only the declared
        fields are checked here, not references to other objects."""
        if request.param("verify") == "true":
            check_body(body, fields, partial)
            return Response.empty()
        return None

    # -- companies, individuals, contacts ---------------------------------------------------------

    def list(self, resource):
        return lambda request: self.page(request, resource, self.store.tables[resource])

    def search(self, resource):
        return lambda request: self.page(request, resource, self.store.tables[resource],
                                         query.search_filters(resource, request.json()))

    def get(self, resource):
        def handler(request, id):
            with self.store.lock:
                return self.one(request, resource, self.store.get(resource, id))
        return handler

    def create(self, resource):
        def handler(request):
            body = request.json()
            if resource in DOCUMENTS:
                checked = self.verify_only(request, body, DOCUMENT_FIELDS[resource])
                return checked or self.one(request, resource, self.store.create_document(resource, body), 201)
            checked = self.verify_only(request, body, CREATE_FIELDS[resource])
            return checked or self.one(request, resource, self.store.create_person_or_party(resource, body), 201)
        return handler

    def update(self, resource):
        def handler(request, id):
            body = request.json()
            if resource in DOCUMENTS:
                checked = self.verify_only(request, body, DOCUMENT_FIELDS[resource], partial=True)
                return checked or self.one(request, resource, self.store.update_document(resource, id, body))
            checked = self.verify_only(request, body, UPDATE_FIELDS[resource], partial=True)
            return checked or self.one(request, resource, self.store.update_person_or_party(resource, id, body))
        return handler

    def delete(self, resource):
        def handler(request, id):
            if resource == "payments":
                self.store.delete_payment(id)
            else:
                self.store.delete_person_or_party(resource, id)
            return Response.empty()
        return handler

    # -- contact links (R §7) -------------------------------------------------------------------

    def party_contacts(self, resource):
        def handler(request, id):
            with self.store.lock:
                self.store.get(resource, id)
                contacts = {c["id"]: c for c in self.store.contacts_of(resource, id)}
                return self.page(request, "contacts", contacts, scope=f"{resource}/{id}/contacts")
        return handler

    def contact_companies(self, request, id):
        with self.store.lock:
            self.store.get("contacts", id)
            companies = {ident: self.store.tables["companies"][ident]
                         for ident in self.store.parties_of_contact(id, "companies")}
            return self.page(request, "companies", companies, scope=f"contacts/{id}/companies")

    def link(self, resource):
        def handler(request, id, contactId):
            # Companies take {"roles":[…]|null}; individuals are linked without a body (R §6, §7).
            body = request.json(required=False) if resource == "companies" else None
            if body is not None:
                check_body(body, LINK_ROLES)
            created = self.store.link_contact(resource, id, contactId, (body or {}).get("roles"))
            # [I] The answer body is the linked contact.
            return self.one(request, "contacts", self.store.get("contacts", contactId), 201 if created else 200)
        return handler

    def set_roles(self, request, id, contactId):
        body = request.json()
        check_body(body, SET_ROLES)
        self.store.set_link_roles("companies", id, contactId, body["roles"])
        return self.one(request, "contacts", self.store.get("contacts", contactId))

    def unlink(self, resource):
        def handler(request, id, contactId):
            self.store.unlink_contact(resource, id, contactId)
            return Response.empty()
        return handler

    # -- addresses (R §8) -----------------------------------------------------------------------

    def addresses(self, resource):
        def handler(request, id):
            with self.store.lock:
                self.store.get(resource, id)
                owned = {a["id"]: a for a in self.store.addresses_of(resource, id)}
                return self.page(request, "addresses", owned, scope=f"{resource}/{id}/addresses",
                                 show=lambda address: render.address(self.store, address))
        return handler

    def address_create(self, resource):
        def handler(request, id):
            body = request.json()
            checked = self.verify_only(request, body, ADDRESS_CREATE)
            return checked or self._address(201, self.store.create_address(resource, id, body))
        return handler

    def address_one(self, resource):
        def handler(request, id, addressId):
            with self.store.lock:
                return self._address(200, self.store.get_address(resource, id, addressId))
        return handler

    def address_update(self, resource):
        def handler(request, id, addressId):
            return self._address(200, self.store.update_address(resource, id, addressId, request.json()))
        return handler

    def address_delete(self, resource):
        def handler(request, id, addressId):
            self.store.delete_address(resource, id, addressId)
            return Response.empty()
        return handler

    def _address(self, status, address):
        with self.store.lock:
            return Response.json(status, render.address(self.store, address))

    # -- smart tags (R §9) ----------------------------------------------------------------------

    def _tag_page(self, request, tags, scope):
        return self.page(request, "smart-tags", {t["id"]: t for t in tags}, scope=scope, show=dict)

    def tags(self, resource):
        def handler(request, id):
            with self.store.lock:
                self.store.get(resource, id)
                return self._tag_page(request, self.store.tags_of(resource, id), f"{resource}/{id}/smart-tags")
        return handler

    def tags_set(self, resource):
        def handler(request, id):
            tags = self.store.set_smart_tags(resource, id, request.json())
            return self._tag_page(request, tags, f"{resource}/{id}/smart-tags")
        return handler

    def tags_autocomplete(self, request, kind):
        """[I] Suggests every tag whose value contains `q`, ignoring case and accents."""
        if kind not in AUTOCOMPLETE_KINDS:
            raise not_found("smart tag kind", kind)
        wanted = normalize_tag(request.param("q", ""))
        with self.store.lock:
            tags = [{"id": t, "value": v} for t, v in self.store.tags.items() if wanted in normalize_tag(v)]
            return self._tag_page(request, tags, f"smart-tags/{kind}/autocomplete/{wanted}")

    def tag_delete(self, request, id):
        self.store.delete_smart_tag(id)
        return Response.empty()

    # -- payments and allocations (R §12, §13) --------------------------------------------------

    def payment_create(self, resource):
        def handler(request, id):
            body = request.json()
            checked = self.verify_only(request, body, PAYMENT_FIELDS)
            return checked or self.one(request, "payments", self.store.create_payment(resource, id, body), 201)
        return handler

    def _invoice_payments(self, request, invoice_id, status=200):
        with self.store.lock:
            invoice = self.store.get("invoices", invoice_id)
            payments = {source_id: self.store.tables["payments"][source_id]
                        for source, source_id in invoice["links"] if source == "payments"}
            response = self.page(request, "payments", payments, scope=f"invoices/{invoice_id}/payments",
                                 show=lambda payment: render.invoicing_payment(payment, invoice_id))
        response.status = status
        return response

    def invoice_payments(self, request, id):
        return self._invoice_payments(request, id)

    def payment_link(self, request, documentId, paymentId):
        body = request.json()
        check_body(body, PAYMENT_LINK)
        amount = decimal.Decimal(str(body["amount"])).quantize(CENT, rounding=decimal.ROUND_HALF_UP)
        self.store.allocate("payments", paymentId, documentId, amount)
        return self._invoice_payments(request, documentId, 201)

    def payment_unlink(self, request, documentId, paymentId):
        self.store.unallocate("payments", paymentId, documentId)
        return Response.empty()

    def _linked_documents(self, request, resource, record, status=200):
        """The credit notes of an invoice, or the invoices of a credit note (R §12)."""
        owner = "credit-notes" if resource == "invoices" else "invoices"
        with self.store.lock:
            if resource == "credit-notes":
                ids = [source_id for source, source_id in record["links"] if source == "credit-notes"]
            else:
                ids = list(record["links"])
            linked = {ident: self.store.tables[resource][ident] for ident in ids}
            response = self.page(request, resource, linked, scope=f"{owner}/{record['id']}/{resource}")
        response.status = status
        return response

    def invoice_credit_notes(self, request, id):
        with self.store.lock:
            return self._linked_documents(request, "credit-notes", self.store.get("invoices", id))

    def credit_note_invoices(self, request, id):
        with self.store.lock:
            return self._linked_documents(request, "invoices", self.store.get("credit-notes", id))

    def credit_note_link(self, from_invoice):
        """POST /invoices/{invoiceId}/credit-notes/{creditNoteId} or the inverse path, body
        {"amount":"12.66"} (a decimal string); [I] answers the updated list like the payment link."""
        def handler(request, invoiceId, creditNoteId):
            body = request.json()
            check_body(body, CREDIT_NOTE_LINK)
            self.store.allocate("credit-notes", creditNoteId, invoiceId, parse_money(body["amount"], "amount"))
            with self.store.lock:
                if from_invoice:
                    return self._linked_documents(request, "credit-notes", self.store.get("invoices", invoiceId), 201)
                return self._linked_documents(request, "invoices", self.store.get("credit-notes", creditNoteId), 201)
        return handler

    def credit_note_unlink(self, request, invoiceId, creditNoteId):
        self.store.unallocate("credit-notes", creditNoteId, invoiceId)
        return Response.empty()

    def validate(self, resource):
        def handler(request, id):
            body = request.json(required=False) or {}
            return self.one(request, resource, self.store.validate_document(resource, id, body))
        return handler

    def payment_methods(self, request, filters=None):
        methods = {ident: render.payment_method(ident) for ident in PAYMENT_METHODS}
        return self.page(request, "payment-methods", methods, filters=filters, scope="payment-methods", show=dict)

    def payment_methods_search(self, request):
        return self.payment_methods(request, query.search_filters("payment-methods", request.json()))

    def payment_method(self, request, id):
        if id not in PAYMENT_METHODS:
            raise not_found("payment method", id)
        return Response.json(200, render.payment_method(id))

    # -- webhooks (R §14) and quotas ------------------------------------------------------------

    def _webhook_page(self, request, filters=None):
        hooks = self.app.webhooks.snapshot()
        return self.page(request, "webhooks", hooks, filters=filters, scope="webhooks", show=render.webhook,
                         version=self.app.webhooks.version)

    def webhooks_list(self, request):
        return self._webhook_page(request)

    def webhooks_search(self, request):
        return self._webhook_page(request, query.search_filters("webhooks", request.json()))

    def webhook_create(self, request):
        body = request.json()
        return self.verify_only(request, body, WEBHOOK_FIELDS) or Response.json(
            201, render.webhook(self.app.webhooks.create(body)))

    def webhook_get(self, request, id):
        return Response.json(200, render.webhook(self.app.webhooks.read(id)))

    def webhook_update(self, request, id):
        return Response.json(200, render.webhook(self.app.webhooks.update(id, request.json())))

    def webhook_delete(self, request, id):
        self.app.webhooks.delete(id)
        return Response.empty()

    def webhook_events(self, request):
        """[?] R §14 shows a bare array here rather than the list envelope."""
        return Response.json(200, [{"id": entity, "description": label, "events": events, "parent": None}
                                   for entity, label, events in CATALOGUE])

    def quotas(self, request):
        return Response.json(200, {**self.app.quotas.report(), "custom_fields": {"limit": None, "used": 0},
                                   "documents": {"limit": None, "used": 0}})

    # -- OAuth2 (R §1) and files ----------------------------------------------------------------

    def token(self, request):
        return Response.json(200, self.app.tokens.grant(request.form_or_json()))

    def authorization(self, request):
        return Response(302, b"", content_type=None, headers={"Location": self.app.tokens.authorize(request.query)})

    def _file_document(self, resource, id, key):
        document = self.store.tables.get(resource, {}).get(id) if resource in DOCUMENTS else None
        if document is None or document["file_key"] != key:
            raise not_found("file", f"{resource}/{id}")
        return document

    def pdf(self, request, resource, id, key):
        with self.store.lock:
            document = self._file_document(resource, id, key)
            shown = render.document(self.store, resource, document)
        lines = [f"{'Invoice' if resource == 'invoices' else 'Credit note'} {shown['number'] or '(draft)'}",
                 f"Date: {shown['date']}",
                 f"Total incl. tax: {shown['amounts']['total_incl_tax']} {shown['currency']}",
                 "Emulated by the Sellsy emulator (tests/emulators/sellsy)"]
        return Response(200, document_pdf(lines), content_type="application/pdf")

    def public_page(self, request, resource, id, key):
        with self.store.lock:
            shown = render.document(self.store, resource, self._file_document(resource, id, key))
        page = (f"<!doctype html><title>{html.escape(shown['number'] or 'draft')}</title>"
                f"<p>{html.escape(shown['number'] or 'draft')}: {shown['amounts']['total_incl_tax']} "
                f"{html.escape(shown['currency'])}</p><p><a href=\"{html.escape(shown['pdf_link'])}\">PDF</a></p>")
        return Response(200, page.encode(), content_type="text/html; charset=utf-8")


def register(app):
    api, add = SellsyApi(app), app.router.add
    add("POST", "/oauth2/access-tokens", api.token)
    add("GET", "/oauth2/authorization", api.authorization)
    add("GET", "/_files/{resource}/{id}/{key}.pdf", api.pdf)
    add("GET", "/_public/{resource}/{id}/{key}", api.public_page)
    # Fixed paths first, so /payments/methods is not read as /payments/{id}.
    add("GET", "/v2/payments/methods", api.payment_methods)
    add("POST", "/v2/payments/methods/search", api.payment_methods_search)
    add("GET", "/v2/payments/methods/{id}", api.payment_method)
    add("GET", "/v2/webhooks/events", api.webhook_events)
    add("GET", "/v2/quotas", api.quotas)
    add("POST", "/v2/batch", lambda request: batch.handle(app, request))
    for resource in LISTABLE:
        add("GET", f"/v2/{resource}", api.list(resource))
        add("POST", f"/v2/{resource}/search", api.search(resource))
        add("GET", f"/v2/{resource}/{{id}}", api.get(resource))
    for resource in PEOPLE + DOCUMENTS:
        add("POST", f"/v2/{resource}", api.create(resource))
        add("PUT", f"/v2/{resource}/{{id}}", api.update(resource))
    for resource in PEOPLE + ("payments",):
        add("DELETE", f"/v2/{resource}/{{id}}", api.delete(resource))
    for resource in DOCUMENTS:
        add("POST", f"/v2/{resource}/{{id}}/validate", api.validate(resource))
    for resource in PARTIES:
        add("GET", f"/v2/{resource}/{{id}}/contacts", api.party_contacts(resource))
        add("POST", f"/v2/{resource}/{{id}}/contacts/{{contactId}}", api.link(resource))
        add("DELETE", f"/v2/{resource}/{{id}}/contacts/{{contactId}}", api.unlink(resource))
        add("POST", f"/v2/{resource}/{{id}}/payments", api.payment_create(resource))
    add("PUT", "/v2/companies/{id}/contacts/{contactId}", api.set_roles)
    add("GET", "/v2/contacts/{id}/companies", api.contact_companies)
    for resource in ADDRESS_OWNERS:
        add("GET", f"/v2/{resource}/{{id}}/addresses", api.addresses(resource))
        add("POST", f"/v2/{resource}/{{id}}/addresses", api.address_create(resource))
        add("GET", f"/v2/{resource}/{{id}}/addresses/{{addressId}}", api.address_one(resource))
        add("PUT", f"/v2/{resource}/{{id}}/addresses/{{addressId}}", api.address_update(resource))
        add("DELETE", f"/v2/{resource}/{{id}}/addresses/{{addressId}}", api.address_delete(resource))
    for resource in TAGGABLE:
        add("GET", f"/v2/{resource}/{{id}}/smart-tags", api.tags(resource))
        add("POST", f"/v2/{resource}/{{id}}/smart-tags", api.tags_set(resource))
    add("GET", "/v2/smart-tags/{kind}/autocomplete", api.tags_autocomplete)
    add("DELETE", "/v2/smart-tags/{id}", api.tag_delete)
    add("GET", "/v2/invoices/{id}/payments", api.invoice_payments)
    add("POST", "/v2/invoices/{documentId}/payments/{paymentId}", api.payment_link)
    add("DELETE", "/v2/invoices/{documentId}/payments/{paymentId}", api.payment_unlink)
    add("GET", "/v2/invoices/{id}/credit-notes", api.invoice_credit_notes)
    add("POST", "/v2/invoices/{invoiceId}/credit-notes/{creditNoteId}", api.credit_note_link(from_invoice=True))
    add("DELETE", "/v2/invoices/{invoiceId}/credit-notes/{creditNoteId}", api.credit_note_unlink)
    add("GET", "/v2/credit-notes/{id}/invoices", api.credit_note_invoices)
    add("POST", "/v2/credit-notes/{creditNoteId}/invoices/{invoiceId}", api.credit_note_link(from_invoice=False))
    add("DELETE", "/v2/credit-notes/{creditNoteId}/invoices/{invoiceId}", api.credit_note_unlink)
    add("GET", "/v2/webhooks", api.webhooks_list)
    add("POST", "/v2/webhooks", api.webhook_create)
    add("POST", "/v2/webhooks/search", api.webhooks_search)
    add("GET", "/v2/webhooks/{id}", api.webhook_get)
    add("PUT", "/v2/webhooks/{id}", api.webhook_update)
    add("DELETE", "/v2/webhooks/{id}", api.webhook_delete)
