"""Invoices, credit notes, payments and their allocations (R §11, §12, §13), mixed into Store.

Invariants kept here (R §17.4): an invoice's `total_remaining_due_incl_tax` is its total minus
every payment and credit-note allocation, and its status follows; a credit note's remaining part
and status follow its allocations; a payment's `amounts.remaining` and `related_objects` follow
its allocations.
"""

import decimal
import functools
import os
import random

from common import (CENT, DEFAULT_OWNER_ID, SINGULAR, ZERO, ApiError, Field, add_days, check_body, end_of_month,
                    parse_datetime, parse_money, validation_error)

# [I] Tax, payment-term and payment-method catalogues of the emulated account.
TAXES = {1: "20.00", 2: "10.00", 3: "5.50", 4: "0.00"}
PAYMENT_TERMS = {
    1: {"label": "À réception", "x_days": 0, "end_of_month": False},  # on receipt: due_date == date
    2: {"label": "30 jours", "x_days": 30, "end_of_month": False},
    3: {"label": "45 jours fin de mois", "x_days": 45, "end_of_month": True},
    4: {"label": "60 jours", "x_days": 60, "end_of_month": False},
}
DEFAULT_PAYMENT_TERMS = 2
PAYMENT_METHODS = {1: "Virement", 2: "Chèque", 3: "Carte bancaire", 4: "Prélèvement", 5: "Espèces", 7: "Paypal"}
PAYMENT_STATUSES = ("pending", "confirmed", "rejected", "failed", "refund")
NUMBER_PREFIX = {"invoices": "INV", "credit-notes": "CRED"}
# The lifecycle a control call may set; the shown status is derived from it (see status_of).
LIFECYCLES = {"invoices": {"draft": "draft", "due": "validated", "cancelled": "cancelled"},
              "credit-notes": {"draft": "draft", "stored": "validated", "cancelled": "cancelled"}}
PARTY_KINDS = {"company": "companies", "individual": "individuals"}
# Keys that make pdf_link and public_link unguessable, like Sellsy's public file links; seeded
# from the OS, and cheaper than `secrets` for 100 000 generated invoices.
_FILE_KEYS = random.Random(os.urandom(16))
_DOCUMENT_DEFAULTS = {"number": None, "subject": "", "currency": "EUR", "owner_id": DEFAULT_OWNER_ID,
                      "assigned_staff_id": None, "order_reference": None, "note": "", "is_deposit": False,
                      "service_dates": None, "shipping_date": None}

# Row types this emulator prices; catalog rows, discounts, titles and sub-totals are not emulated.
ROW_FIELDS = {"type": Field("str", required=True, nullable=False,
                            enum=("single", "shipping", "packaging", "comment")),
              "unit_amount": Field("str"), "quantity": Field("str"), "tax_id": Field("int"),
              "description": Field("str"), "reference": Field("str"), "id": Field("int")}
_DOCUMENT_COMMON = {
    "number": Field("str"), "date": Field("date", nullable=False), "created": Field("datetime"),
    "subject": Field("str"), "currency": Field("str", nullable=False, min_len=3, max_len=3),
    "related": Field("list", required=True, nullable=False), "owner_id": Field("int"),
    "order_reference": Field("str", max_len=100), "invoicing_address_id": Field("int"),
    "delivery_address_id": Field("int"), "note": Field("str"), "rows": Field("list", nullable=False),
    "service_dates": Field("dict"), "shipping_date": Field("date"),
}
DOCUMENT_FIELDS = {"invoices": {**_DOCUMENT_COMMON, "due_date": Field("date", nullable=False)},
                   "credit-notes": _DOCUMENT_COMMON}
DOCUMENT_CONTROL_EXTRAS = {"payment_terms_id": Field("int", nullable=False), "is_deposit": Field("bool"),
                           "assigned_staff_id": Field("int"), "id": Field("int")}
PAYMENT_FIELDS = {
    "number": Field("str"), "paid_at": Field("datetime", required=True, nullable=False),
    "payment_method_id": Field("int", required=True, nullable=False),
    "type": Field("str", required=True, nullable=False, enum=("credit", "debit")),
    "amount": Field("dict", required=True, nullable=False,
                    fields={"value": Field("money", nullable=False), "currency": Field("str", nullable=False)}),
    "note": Field("str"),
}
PAYMENT_CONTROL_EXTRAS = {"status": Field("str", nullable=False, enum=PAYMENT_STATUSES), "id": Field("int")}


def total_of(record):
    return record["incl"] if "incl" in record else record["total"]


def remaining_of(record):
    return total_of(record) - record["allocated"]


def status_of(resource, record, today):
    """Invoice: paid when nothing remains, late when past due_date [I], payinprogress when partly
    paid, else due (R §11, §17.4). Credit note: stored, partialspend, spent (R §12)."""
    if record["lifecycle"] != "validated":
        return record["lifecycle"]
    remaining = remaining_of(record)
    if resource == "credit-notes":
        if record["allocated"] == ZERO:
            return "stored"
        return "spent" if remaining <= ZERO else "partialspend"
    if remaining <= ZERO:
        return "paid"
    if record["due_date"] < today:
        return "late"
    return "payinprogress" if record["allocated"] > ZERO else "due"


@functools.lru_cache(maxsize=65536)  # the generator asks the same dates again and again
def due_date_for(date, terms_id):
    terms = PAYMENT_TERMS[terms_id]
    due = add_days(date, terms["x_days"])
    return end_of_month(due) if terms["end_of_month"] else due


def price_rows(rows):
    """Totals of R §11's `amounts` from rows: (raw, shipping, packaging, [(tax id, amount)])."""
    buckets = {"single": ZERO, "shipping": ZERO, "packaging": ZERO}
    tax_bases = {}
    for row in rows:
        if row["type"] == "comment":
            continue
        amount = (row["unit_amount"] * row["quantity"]).quantize(CENT)
        buckets[row["type"]] += amount
        tax_bases[row["tax_id"]] = tax_bases.get(row["tax_id"], ZERO) + amount
    taxes = [(tax_id, (base * decimal.Decimal(TAXES[tax_id]) / 100).quantize(CENT))
             for tax_id, base in sorted(tax_bases.items())]
    return buckets["single"], buckets["shipping"], buckets["packaging"], taxes


class DocumentsMixin:
    """Needs the Store's tables, sequences, lock, emit, get, now and clock."""

    # -- invoices and credit notes --------------------------------------------------------------

    def _parse_rows(self, rows, existing=()):
        known_ids = {row["id"] for row in existing}
        parsed = []
        for position, row in enumerate(rows):
            try:
                check_body(row, ROW_FIELDS)
            except ApiError as error:
                raise validation_error({f"rows.{position}.{k}": v for k, v in error.details.items()}) from None
            priced = row["type"] != "comment"
            if priced and (row.get("unit_amount") is None or row.get("tax_id") not in TAXES):
                raise validation_error({f"rows.{position}": "needs unit_amount and a known tax_id"})
            try:
                quantity = decimal.Decimal(row.get("quantity") or "1")
            except decimal.InvalidOperation:
                raise validation_error({f"rows.{position}.quantity": "must be a decimal string"}) from None
            parsed.append(self.make_row(
                row["type"], parse_money(row["unit_amount"], f"rows.{position}.unit_amount") if priced else ZERO,
                quantity, row.get("tax_id"), row.get("description") or "", row.get("reference"),
                row["id"] if row.get("id") in known_ids else None))
        return parsed

    def _parse_related(self, resource, related):
        """`related`: exactly one company or individual, an optional contact (R §11). Invoices
        need a client; credit notes may go to a client or a prospect (R §12)."""
        if not isinstance(related, list) or not all(isinstance(r, dict) for r in related):
            raise validation_error({"related": "must be an array of {id,type}"})
        parties = [r for r in related if r.get("type") in PARTY_KINDS]
        contacts = [r for r in related if r.get("type") == "contact"]
        if len(parties) != 1 or len(contacts) > 1 or len(parties) + len(contacts) != len(related):
            raise validation_error({"related": "needs exactly one company or individual and at most one contact "
                                               "(opportunities are not emulated)"})
        party_resource = PARTY_KINDS[parties[0]["type"]]
        party = self.tables[party_resource].get(parties[0].get("id"))
        if party is None:
            raise validation_error({"related": f"unknown {parties[0]['type']} {parties[0].get('id')}"})
        allowed = ("client",) if resource == "invoices" else ("client", "prospect")
        if party["type"] not in allowed:
            raise validation_error({"related": f"the {parties[0]['type']} must be of type " + " or ".join(allowed)})
        contact_id = contacts[0].get("id") if contacts else None
        if contact_id is not None and contact_id not in self.tables["contacts"]:
            raise validation_error({"related": f"unknown contact {contact_id}"})
        return (party_resource, party["id"]), contact_id

    def create_document(self, resource, body, control=False):
        fields = {**DOCUMENT_FIELDS[resource], **(DOCUMENT_CONTROL_EXTRAS if control else {}),
                  **({"status": Field("str", nullable=False, enum=tuple(LIFECYCLES[resource]))} if control else {})}
        check_body(body, fields)
        terms_id = body.get("payment_terms_id", DEFAULT_PAYMENT_TERMS)
        if terms_id not in PAYMENT_TERMS:
            raise validation_error({"payment_terms_id": f"unknown payment terms {terms_id}"})
        created = int(parse_datetime(body["created"], "created")) if body.get("created") else self.now()
        with self.lock:
            party, contact_id = self._parse_related(resource, body["related"])
            options = {k: v for k, v in body.items() if k not in ("related", "rows", "created", "status", "id")}
            return self.insert_document(resource, party, contact_id, self._parse_rows(body.get("rows") or []),
                                        body.get("date") or self.clock.today(), created, terms_id,
                                        LIFECYCLES[resource][body.get("status", "draft")], options, body.get("id"))

    def insert_document(self, resource, party, contact_id, rows, date, created, terms_id, lifecycle,
                        options, ident=None):
        """Stores a checked document; `options` holds the optional fields of DOCUMENT_FIELDS."""
        customer = self.tables[party[0]][party[1]]
        document = {**_DOCUMENT_DEFAULTS, "invoicing_address_id": customer["invoicing_address_id"],
                    "delivery_address_id": customer["delivery_address_id"], **options,
                    "id": self.next_id(resource, ident), "lifecycle": "draft", "date": date, "created": created,
                    "party": party, "contact_id": contact_id, "payment_terms_id": terms_id,
                    "file_key": f"{_FILE_KEYS.getrandbits(64):016x}", "allocated": ZERO, "links": {}}
        if resource == "invoices":
            document["due_date"] = options.get("due_date") or due_date_for(date, terms_id)
        self._set_rows(document, rows)
        self.tables[resource][document["id"]] = document
        self.party_documents.setdefault(party, set()).add((resource, document["id"]))
        self._change_lifecycle(resource, document, lifecycle)
        self.emit(resource, "created", document["id"])
        return document

    def make_row(self, row_type, unit_amount, quantity, tax_id, description="", reference=None, ident=None):
        return {"id": ident or self.next_id("rows"), "type": row_type, "description": description,
                "reference": reference, "tax_id": tax_id, "quantity": quantity, "unit_amount": unit_amount}

    def _set_rows(self, document, rows):
        raw, shipping, packaging, taxes = price_rows(rows)
        excl = raw + shipping + packaging
        incl = excl + sum((amount for _, amount in taxes), ZERO)
        if incl < document["allocated"]:
            raise validation_error({"rows": "the new total is below what is already allocated"})
        document.update({"rows": rows, "raw": raw, "shipping": shipping, "packaging": packaging,
                         "excl": excl, "taxes": taxes, "incl": incl})

    def _validate(self, resource, document, date=None):
        document["lifecycle"] = "validated"
        if date:
            document["date"] = date
        if not document["number"]:
            document["number"] = f"{NUMBER_PREFIX[resource]}-{document['date']}-{next(self.sequences['numbers']):03d}"

    def validate_document(self, resource, ident, body):
        """POST /invoices/{id}/validate {"date"?}: draft → due, or → stored for credit notes (R §12 [I])."""
        check_body(body, {"date": Field("date")})
        with self.lock:
            document = self.get(resource, ident)
            if document["lifecycle"] != "draft":
                raise ApiError(400, "only a draft can be validated", "document.not_draft")
            self._validate(resource, document, body.get("date"))
            self.emit(resource, "updated", ident)
            return document

    def update_document(self, resource, ident, body, control=False):
        """PUT /invoices/{id} edits a draft only (R §11); the control API edits any state."""
        fields = {**DOCUMENT_FIELDS[resource], **(DOCUMENT_CONTROL_EXTRAS if control else {}),
                  **({"status": Field("str", nullable=False, enum=tuple(LIFECYCLES[resource]))} if control else {})}
        check_body(body, fields, partial=True)
        if "id" in body:
            raise validation_error({"id": "is read-only"})
        if body.get("payment_terms_id", DEFAULT_PAYMENT_TERMS) not in PAYMENT_TERMS:
            raise validation_error({"payment_terms_id": "unknown payment terms"})
        with self.lock:
            document = self.get(resource, ident)
            if not control and document["lifecycle"] != "draft":
                raise ApiError(400, "a validated document can no longer be edited", "document.not_editable")
            if document["links"] and ({"related", "currency"} & set(body)):
                raise validation_error({"related": "cannot change the customer or currency of an allocated document"})
            # Everything that can fail comes first, so a refused update changes nothing.
            lifecycle = LIFECYCLES[resource][body["status"]] if "status" in body else document["lifecycle"]
            self._check_lifecycle(document, lifecycle)
            party = self._parse_related(resource, body["related"]) if "related" in body else None
            if "rows" in body:
                self._set_rows(document, self._parse_rows(body["rows"], document["rows"]))
            if party:
                self.party_documents[document["party"]].discard((resource, ident))
                document["party"], document["contact_id"] = party
                self.party_documents.setdefault(document["party"], set()).add((resource, ident))
            if "created" in body:
                document["created"] = int(parse_datetime(body["created"], "created"))
            document.update({k: v for k, v in body.items() if k not in ("related", "rows", "created", "status")})
            self._change_lifecycle(resource, document, lifecycle)
            self.emit(resource, "updated", ident)
            return document

    @staticmethod
    def _check_lifecycle(document, lifecycle):
        """[I] Sellsy does not reopen documents, and payments must be unlinked before cancelling."""
        current = document["lifecycle"]
        allowed = (lifecycle == current or (current == "draft" and lifecycle == "validated")
                   or (current != "cancelled" and lifecycle == "cancelled" and not document["links"]))
        if not allowed:
            raise validation_error({"status": f"cannot go from {current} to {lifecycle}"
                                              + (" while allocated" if document["links"] else "")})

    def _change_lifecycle(self, resource, document, lifecycle):
        self._check_lifecycle(document, lifecycle)
        if lifecycle == "validated" and document["lifecycle"] == "draft":
            self._validate(resource, document)
        else:
            document["lifecycle"] = lifecycle

    def delete_document(self, resource, ident):
        """Control only (the API has no DELETE for invoices): unlinks allocations first."""
        with self.lock:
            document = self.get(resource, ident)
            if resource == "invoices":
                allocations = [(source, source_id, ident) for source, source_id in document["links"]]
            else:
                allocations = [(resource, ident, invoice_id) for invoice_id in document["links"]]
            for source, source_id, invoice_id in allocations:
                self.unallocate(source, source_id, invoice_id)
            self.party_documents[document["party"]].discard((resource, ident))
            del self.tables[resource][ident]
            self.emit(resource, "deleted", ident)

    # -- payments -------------------------------------------------------------------------------

    def create_payment(self, party_resource, party_id, body, control=False):
        """POST /companies/{id}/payments or /individuals/{id}/payments (R §13)."""
        check_body(body, {**PAYMENT_FIELDS, **(PAYMENT_CONTROL_EXTRAS if control else {})})
        amount = body["amount"]
        if "value" not in amount or "currency" not in amount:
            raise validation_error({"amount": "needs value and currency"})
        value = parse_money(amount["value"], "amount.value")
        if value <= ZERO:
            raise validation_error({"amount.value": "must be more than 0"})
        if body["payment_method_id"] not in PAYMENT_METHODS:
            raise validation_error({"payment_method_id": f"unknown payment method {body['payment_method_id']}"})
        with self.lock:
            self.get(party_resource, party_id)
            return self.insert_payment((party_resource, party_id), value, amount["currency"],
                                       int(parse_datetime(body["paid_at"], "paid_at")), body["payment_method_id"],
                                       body["type"], body.get("status", "confirmed"), body.get("number"),
                                       body.get("note"), body.get("id"))

    def insert_payment(self, party, total, currency, paid_at, method_id, payment_type, status, number, note,
                       ident=None):
        payment = {"id": self.next_id("payments", ident), "number": number, "paid_at": paid_at, "status": status,
                   "payment_method_id": method_id, "type": payment_type, "total": total, "currency": currency,
                   "party": party, "note": note, "allocated": ZERO, "links": {}}
        self.tables["payments"][payment["id"]] = payment
        self.party_documents.setdefault(party, set()).add(("payments", payment["id"]))
        self.emit("payments", "created", payment["id"])
        return payment

    def update_payment(self, ident, body):
        """Control only: status, note and number (the API has no PUT /payments/{id})."""
        check_body(body, {"status": PAYMENT_CONTROL_EXTRAS["status"], "note": Field("str"),
                          "number": Field("str")}, partial=True)
        with self.lock:
            payment = self.get("payments", ident)
            payment.update(body)
            self.emit("payments", "updated", ident)
            return payment

    def delete_payment(self, ident):
        """Only a payment linked to no document may be deleted (R §13)."""
        with self.lock:
            payment = self.get("payments", ident)
            if payment["links"]:
                raise ApiError(400, "a payment linked to documents cannot be deleted", "payment.linked")
            self.party_documents[payment["party"]].discard(("payments", ident))
            del self.tables["payments"][ident]
            self.emit("payments", "deleted", ident)

    def documents_of(self, resource, ident):
        return self.party_documents.get((resource, ident), set())

    # -- allocations ----------------------------------------------------------------------------

    def allocate(self, source_resource, source_id, invoice_id, amount, date=None):
        """Links a payment or a credit note to an invoice for `amount` (a Decimal) on `date` (today
        by default). The amount must be more than 0 and no more than what is left on both sides
        (R §13 LinkPaymentToDocument)."""
        with self.lock:
            invoice = self.get("invoices", invoice_id)
            source = self.get(source_resource, source_id)
            if invoice["lifecycle"] != "validated":
                raise ApiError(400, "only a validated invoice takes payments or credit notes",
                               "invoice.not_validated")
            if source_resource == "credit-notes" and source["lifecycle"] != "validated":
                raise ApiError(400, "only a validated credit note can be allocated", "credit_note.not_validated")
            if source["party"] != invoice["party"] or source["currency"] != invoice["currency"]:
                # [I] Sellsy records a payment on one customer, so it pays that customer's documents.
                raise ApiError(400, "the invoice belongs to another customer or currency", "allocation.mismatch")
            if amount <= ZERO:
                raise validation_error({"amount": "must be more than 0"})
            if amount > min(remaining_of(invoice), remaining_of(source)):
                raise validation_error({"amount": "is more than what is left on the invoice or the "
                                                  + SINGULAR[source_resource]})
            # [I] A second link of the same pair adds to the first.
            link = source["links"].setdefault(invoice_id, {"amount": ZERO, "date": date or self.clock.today()})
            link["amount"] += amount
            invoice["links"][(source_resource, source_id)] = link["amount"]
            invoice["allocated"] += amount
            source["allocated"] += amount
            self.emit("invoices", "updated", invoice_id)
            self.emit(source_resource, "updated", source_id)

    def unallocate(self, source_resource, source_id, invoice_id):
        with self.lock:
            invoice = self.get("invoices", invoice_id)
            source = self.get(source_resource, source_id)
            link = source["links"].pop(invoice_id, None)
            if link is None:
                raise ApiError(404, f"{SINGULAR[source_resource]} {source_id} is not linked to invoice {invoice_id}",
                               "resource.not_found")
            del invoice["links"][(source_resource, source_id)]
            invoice["allocated"] -= link["amount"]
            source["allocated"] -= link["amount"]
            self.emit("invoices", "updated", invoice_id)
            self.emit(source_resource, "updated", source_id)
