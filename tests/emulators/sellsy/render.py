"""Internal records → Sellsy v2 JSON, with the field names and order of R §5–§13, and `embed[]`."""

from common import ZERO, iso_datetime, money, validation_error
from documents import PAYMENT_METHODS, PAYMENT_TERMS, TAXES, remaining_of, status_of
from store import BUSINESS_SEGMENTS, EMPLOYEE_RANGES

_CHANNELS = ("email", "website", "phone_number", "mobile_number", "fax_number")


def _staff(ident):
    return {"id": ident, "type": "staff"}


def party(store, resource, record):
    """A company (R §5) or an individual (R §6)."""
    roles = store.role_holders(resource, record["id"])
    out = {"id": record["id"], "type": record["type"]}
    if resource == "companies":
        out["name"] = record["name"]
    else:
        out.update({k: record[k] for k in ("last_name", "first_name", "civility")})
    out.update({k: record[k] for k in _CHANNELS})
    if resource == "companies":
        out.update({"legal_france": record["legal_france"], "capital": record["capital"]})
    out.update({k: record[k] for k in ("reference", "note", "auxiliary_code", "social", "rate_category_id")})
    out.update({"main_contact_id": roles["main"], "dunning_contact_id": roles["dunning"],
                "invoicing_contact_id": roles["invoicing"],
                "invoicing_address_id": record["invoicing_address_id"],
                "delivery_address_id": record["delivery_address_id"],
                "accounting_code_id": record["accounting_code_id"],
                "accounting_purchase_code_id": record["accounting_purchase_code_id"],
                "owner": _staff(record["owner_id"]), "created": iso_datetime(record["created"]),
                "updated_at": iso_datetime(record["updated_at"]), "is_archived": record["is_archived"]})
    if resource == "companies":
        for key, labels in (("business_segment", BUSINESS_SEGMENTS), ("number_of_employees", EMPLOYEE_RANGES)):
            out[key] = None if record[key] is None else {"id": record[key], "label": labels[record[key]]}
    else:
        out["sync"] = record["sync"]
    out["marketing_campaigns_subscriptions"] = record["marketing_campaigns_subscriptions"]
    return out


def contact(store, record):
    """ContactItem (R §7): `updated`, not `updated_at`; no role field."""
    out = {k: record[k] for k in ("id", "civility", "first_name", "last_name", *_CHANNELS, "position",
                                  "birth_date", "avatar", "note", "invoicing_address_id", "delivery_address_id",
                                  "social", "sync")}
    out.update({"owner": _staff(record["owner_id"]), "created": iso_datetime(record["created"]),
                "updated": iso_datetime(record["updated"]), "is_archived": record["is_archived"],
                "marketing_campaigns_subscriptions": record["marketing_campaigns_subscriptions"]})
    return out


def address(store, record):
    owner = store.tables[record["owner"][0]][record["owner"][1]]
    out = {k: record[k] for k in ("id", "name", "address_line_1", "address_line_2", "address_line_3",
                                  "address_line_4", "postal_code", "city", "country", "country_code")}
    out.update({"is_invoicing_address": owner["invoicing_address_id"] == record["id"],
                "is_delivery_address": owner["delivery_address_id"] == record["id"],
                "geocode": record["geocode"]})
    return out


def _party_ref(party_key):
    resource, ident = party_key
    return {"id": ident, "type": "company" if resource == "companies" else "individual"}


def _related(document):
    related = [_party_ref(document["party"])]
    if document["contact_id"] is not None:
        related.append({"id": document["contact_id"], "type": "contact"})
    return related


def document(store, resource, record, single=False):
    """Invoice / InvoiceOne (R §11) and CreditNote (R §12); `single` adds rows."""
    base, key = store.base_url, record["file_key"]
    out = {"id": record["id"], "number": record["number"], "status": status_of(resource, record, store.clock.today()),
           "date": record["date"]}
    if resource == "invoices":
        out["due_date"] = record["due_date"]
    out.update({
        "created": iso_datetime(record["created"]), "subject": record["subject"], "currency": record["currency"],
        "amounts": {"total_raw_excl_tax": money(record["raw"]), "total_after_discount_excl_tax": money(record["raw"]),
                    "total_packaging": money(record["packaging"]), "total_shipping": money(record["shipping"]),
                    "total_excl_tax": money(record["excl"]), "total_incl_tax": money(record["incl"]),
                    "total_remaining_due_incl_tax": money(remaining_of(record)), "total_primes_incl_tax": "0.00"},
        "taxes": [{"id": tax_id, "label": "TVA", "rate": TAXES[tax_id], "amount": money(amount)}
                  for tax_id, amount in record["taxes"]],
        # [I] Discounts are not emulated: every document shows a zero amount discount.
        "discount": {"percent": "0.00", "amount": "0.00", "type": "amount"},
        "related": _related(record),
        "public_link": {"enabled": True, "url": f"{base}/_public/{resource}/{record['id']}/{key}"},
    })
    if resource == "invoices":
        out["payment_conditions_acceptance"] = {"enabled": False}
    out.update({
        "owner": _staff(record["owner_id"]), "fiscal_year_id": int(record["date"][:4]),  # [I] one per year
        "pdf_link": f"{base}/_files/{resource}/{record['id']}/{key}.pdf",
        "decimal_number": {"unit_price": 2, "quantity": 2, "main": 2},
        "assigned_staff_id": record["assigned_staff_id"], "contact_id": record["contact_id"],
        "invoicing_address_id": record["invoicing_address_id"], "delivery_address_id": record["delivery_address_id"],
    })
    if resource == "invoices":
        out.update({"parent": None, "order_reference": record["order_reference"]})
    out.update({"is_deposit": record["is_deposit"], "rate_category_id": None,
                "service_dates": record["service_dates"], "note": record["note"]})
    if resource == "invoices":
        out["subscription_id"] = None
    out["is_sent_to_accounting"] = False
    if resource == "invoices":
        out["shipping_date"] = record["shipping_date"]
    if single:
        out["rows"] = [_row(row) for row in record["rows"]]
    return out


def _row(row):
    """[I] R §11 names the row fields of InvoiceCreate; the read shape is assumed to mirror them."""
    out = {"id": row["id"], "type": row["type"], "reference": row["reference"], "description": row["description"]}
    if row["type"] != "comment":
        out.update({"unit_amount": money(row["unit_amount"]), "quantity": money(row["quantity"]),
                    "tax_id": row["tax_id"], "amount_excl_tax": money(row["unit_amount"] * row["quantity"])})
    return out


def payment(store, record):
    """The global Payment object (R §13)."""
    return {"id": record["id"], "number": record["number"], "paid_at": iso_datetime(record["paid_at"]),
            "status": record["status"], "payment_method_id": record["payment_method_id"], "type": record["type"],
            "amounts": {"total": money(record["total"]), "remaining": money(remaining_of(record))},
            "currency": record["currency"], "bank_deposit": None,  # [I] bank deposits are not emulated
            "related": _party_ref(record["party"]),
            "related_objects": [{"id": invoice_id, "type": "invoice", "amount_linked": money(link["amount"]),
                                 "linked_date": link["date"]} for invoice_id, link in record["links"].items()],
            "note": record["note"]}


def invoicing_payment(record, invoice_id):
    """InvoicingPayment of /invoices/{id}/payments (R §13): `amount.value` is the part linked to
    this invoice ([I] as R advises), `related` lists every document the payment is linked to."""
    return {"id": record["id"], "number": record["number"], "paid_at": iso_datetime(record["paid_at"]),
            "status": record["status"], "payment_method_id": record["payment_method_id"], "type": record["type"],
            "amount": {"value": money(record["links"][invoice_id]["amount"]), "currency": record["currency"]},
            "related": [{"id": ident, "type": "invoice"} for ident in record["links"]]}


def webhook(record):
    """WebhookReadItem (R §14)."""
    return {"id": record["id"], "type": record["type"], "is_enabled": record["is_enabled"],
            "endpoint": record["endpoint"], "created": iso_datetime(record["created"]),
            "updated": iso_datetime(record["updated"]) if record["updated"] else None,
            "last_succeeded": iso_datetime(record["last_succeeded"]) if record["last_succeeded"] else None,
            "last_failed": iso_datetime(record["last_failed"]) if record["last_failed"] else None,
            "nb_failures": record["nb_failures"],
            "configuration": [{"id": e, "is_enabled": on} for e, on in record["configuration"].items()]}


def payment_method(ident):
    return {"id": ident, "label": PAYMENT_METHODS[ident]}


def render(store, resource, record, single=False):
    if resource in ("companies", "individuals"):
        return party(store, resource, record)
    if resource == "contacts":
        return contact(store, record)
    if resource in ("invoices", "credit-notes"):
        return document(store, resource, record, single)
    if resource == "payments":
        return payment(store, record)
    return address(store, record)


# ---------------------------------------------------------------------------------------------
# embed[] (R §2): objects under `_embed`; `cf.N` gives `custom_fields` (none are emulated).
# An embed is a function (store, resource, record) -> value.

def _embedded(kind, getter):
    """Renders the `kind` record that getter(store, resource, record) finds, or null."""
    def embed(store, resource, record):
        found = getter(store, resource, record)
        return None if found is None else render(store, kind, found)
    return embed


def _contact_role(role):
    return _embedded("contacts", lambda store, resource, record: store.tables["contacts"].get(
        store.role_holders(resource, record["id"])[role]))


def _address_of(key):
    return _embedded("addresses", lambda store, resource, record: store.tables["addresses"].get(record[key]))


def _party_of(kind):
    return _embedded(kind, lambda store, resource, record: store.tables[kind].get(record["party"][1])
                     if record["party"][0] == kind else None)


def _tags(store, resource, record):
    """At most the first 20 tags, in alphabetical order (R §2)."""
    return sorted(store.tags_of(resource, record["id"]), key=lambda tag: tag["value"].casefold())[:20]


def _invoice_count(store, resource, record):
    return sum(1 for kind, _ in store.documents_of(resource, record["id"]) if kind == "invoices")


def _payment_terms(store, resource, record):
    """The single-invoice `payment_terms` embed (R §11), one instalment at due_date."""
    terms = PAYMENT_TERMS[record["payment_terms_id"]]
    remaining = remaining_of(record)
    return {"settings": {"type": "settings", "value": {"id": record["payment_terms_id"], "label": terms["label"],
                                                       "x_days": terms["x_days"],
                                                       "end_of_month": terms["end_of_month"],
                                                       "override_date": False}},
            "computed_instalment_plan": [{
                "date": record["due_date"], "amount": money(record["incl"]), "due_amount": money(remaining),
                "status": "paid" if remaining <= ZERO else "payinprogress" if record["allocated"] > ZERO else "due",
                "late": status_of(resource, record, store.clock.today()) == "late"}]}


def _document_acl(store, resource, record):
    draft = record["lifecycle"] == "draft"
    return {"can_be_updated": draft, "can_be_deleted": False, "can_be_validated": draft}


_PARTY_EMBEDS = {
    "invoicing_address": _address_of("invoicing_address_id"), "delivery_address": _address_of("delivery_address_id"),
    "main_contact": _contact_role("main"), "dunning_contact": _contact_role("dunning"),
    "invoicing_contact": _contact_role("invoicing"), "smart_tags": _tags, "invoices": _invoice_count,
    # Counts of objects this emulator does not hold: always 0.
    **{name: (lambda store, resource, record: 0) for name in ("opportunities", "estimates", "orders", "deliveries")},
}
_DOCUMENT_EMBEDS = {"company": _party_of("companies"), "individual": _party_of("individuals"),
                    "contact": _embedded("contacts", lambda store, resource, record: store.tables["contacts"].get(
                        record["contact_id"])),
                    "smart_tags": _tags, "acl": _document_acl}
EMBEDS = {
    "companies": _PARTY_EMBEDS, "individuals": _PARTY_EMBEDS,
    "contacts": {"invoicing_address": _address_of("invoicing_address_id"),
                 "delivery_address": _address_of("delivery_address_id"), "smart_tags": _tags},
    "invoices": _DOCUMENT_EMBEDS, "credit-notes": _DOCUMENT_EMBEDS,
    "payments": {"company": _party_of("companies"), "individual": _party_of("individuals"),
                 "acl": lambda store, resource, record: {"can_be_deleted": not record["links"]}},
}
SINGLE_ONLY_EMBEDS = {"invoices": {"payment_terms": _payment_terms}}


def check_embeds(resource, names, single):
    allowed = {**EMBEDS.get(resource, {}), **(SINGLE_ONLY_EMBEDS.get(resource, {}) if single else {})}
    unknown = [n for n in names if n not in allowed and not (n.startswith("cf.") and n[3:].isdigit())]
    if unknown:
        raise validation_error({"embed": "not available here: " + ", ".join(unknown)})
    return allowed


def with_embeds(store, resource, record, names, single=False):
    out = render(store, resource, record, single)
    if names:
        allowed = check_embeds(resource, names, single)
        out["_embed"] = {("custom_fields" if name.startswith("cf.") else name):
                         ([] if name.startswith("cf.") else allowed[name](store, resource, record))
                         for name in names}
    return out


def select_fields(obj, paths):
    """field[]=id&field[]=_embed.company.name keeps only those paths (R §2)."""
    if not paths:
        return obj
    out = {}
    for path in paths:
        source, target = obj, out
        parts = path.split(".")
        for depth, part in enumerate(parts):
            if not isinstance(source, dict) or part not in source:
                break
            if depth == len(parts) - 1 or not isinstance(source[part], dict):
                target[part] = source[part]
                break
            source, target = source[part], target.setdefault(part, {})
    return out
