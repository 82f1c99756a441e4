"""In-memory data of the emulated Sellsy account, and the rules that keep it consistent.

This module holds third parties (companies, individuals), contacts with their links and roles,
addresses and smart tags; documents.py adds invoices, credit notes, payments and allocations.
Every change goes through a Store method, which bumps `version` (the list cache key), keeps the
stored invariants of R §17.4 and emits a change event that webhooks.py turns into deliveries.
Records are kept in an internal form (timestamps as epoch seconds, amounts as Decimal);
render.py turns them into Sellsy's JSON.
"""

import contextlib
import itertools
import threading
import unicodedata

from common import DEFAULT_OWNER_ID, ApiError, Field, check_body, not_found, parse_datetime, validation_error
from documents import DocumentsMixin

PARTY_TYPES = ("prospect", "client", "supplier")
ROLES = ("main", "invoicing", "dunning")
PARTIES = ("companies", "individuals")
ADDRESS_OWNERS = ("companies", "individuals", "contacts")
TAGGABLE = ("companies", "individuals", "contacts", "invoices", "credit-notes")

# The ids of R §5's `business_segment` and `number_of_employees` (write as id, read as {id,label}).
BUSINESS_SEGMENTS = {1: "Agriculture", 2: "Industry", 3: "Software publisher / Digital services company",
                     4: "Retail", 5: "Services"}
EMPLOYEE_RANGES = {1: "From 1 to 5", 2: "From 6 to 10", 3: "From 11 to 50", 4: "More than 50"}

_CONTACT_CHANNELS = {name: Field("str") for name in
                     ("email", "website", "phone_number", "mobile_number", "fax_number", "note")}
_COMMON = {
    **_CONTACT_CHANNELS,
    "social": Field("dict"), "owner_id": Field("int"), "is_archived": Field("bool"),
    "marketing_campaigns_subscriptions": Field("list"),
}
_PARTY_COMMON = {
    **_COMMON,
    "reference": Field("str"), "auxiliary_code": Field("str"), "rate_category_id": Field("int"),
    "accounting_code_id": Field("int"), "accounting_purchase_code_id": Field("int"),
}
_LEGAL_FRANCE = {
    "siret": Field("str", min_len=14, max_len=14), "siren": Field("str", min_len=9, max_len=9),
    "vat": Field("str", min_len=2, max_len=15), "ape_naf_code": Field("str", min_len=5, max_len=6),
    "company_type": Field("str"), "rcs_immatriculation": Field("str"),
}
_TYPE = Field("str", required=True, nullable=False, enum=PARTY_TYPES)
_CREATED = Field("datetime")

# R §5: create needs type and name; CompaniesUpdateInformationRequest has no `type` (nor `created`).
COMPANY_UPDATE = {**_PARTY_COMMON, "name": Field("str", nullable=False, max_len=250),
                  "legal_france": Field("dict", fields=_LEGAL_FRANCE), "capital": Field("str"),
                  "business_segment": Field("int"), "number_of_employees": Field("int")}
COMPANY_CREATE = {**COMPANY_UPDATE, "type": _TYPE, "created": _CREATED, "name": COMPANY_UPDATE["name"].as_required()}
# R §6: individuals swap name/legal data for last_name, first_name, civility and sync.
INDIVIDUAL_UPDATE = {**_PARTY_COMMON, "last_name": Field("str", nullable=False, max_len=200),
                     "first_name": Field("str"), "civility": Field("str", enum=("mr", "mrs", "ms")),
                     "sync": Field("dict")}
INDIVIDUAL_CREATE = {**INDIVIDUAL_UPDATE, "type": _TYPE, "created": _CREATED,
                     "last_name": INDIVIDUAL_UPDATE["last_name"].as_required()}
# R §7: ContactItem; the job title is `position`.
CONTACT_UPDATE = {**_COMMON, "civility": Field("str", enum=("mr", "mrs", "ms")), "first_name": Field("str"),
                  "last_name": Field("str", nullable=False, max_len=200), "position": Field("str"),
                  "birth_date": Field("date"), "sync": Field("dict")}
CONTACT_CREATE = {**CONTACT_UPDATE, "created": _CREATED, "last_name": CONTACT_UPDATE["last_name"].as_required()}
# R §8: AddressCreate.
ADDRESS_UPDATE = {"name": Field("str", nullable=False, min_len=2), "postal_code": Field("str", nullable=False),
                  "address_line_1": Field("str", nullable=False), "city": Field("str", nullable=False),
                  "country_code": Field("str", nullable=False, min_len=2, max_len=2),
                  "address_line_2": Field("str"), "address_line_3": Field("str"), "address_line_4": Field("str"),
                  "country": Field("str"), "geocode": Field("dict"),
                  # [I] read-only in Address, yet R §8 says they default to true on the first address,
                  # so create accepts them to choose the invoicing and delivery address.
                  "is_invoicing_address": Field("bool"), "is_delivery_address": Field("bool")}
ADDRESS_CREATE = {name: spec.as_required() if name in ("name", "address_line_1", "postal_code", "city",
                                                         "country_code") else spec
                  for name, spec in ADDRESS_UPDATE.items()}

CREATE_FIELDS = {"companies": COMPANY_CREATE, "individuals": INDIVIDUAL_CREATE, "contacts": CONTACT_CREATE}
UPDATE_FIELDS = {"companies": COMPANY_UPDATE, "individuals": INDIVIDUAL_UPDATE, "contacts": CONTACT_UPDATE}
# The control API may also set what the Sellsy API keeps read-only, to stage histories (records
# dated before 2018, a prospect that becomes a client).
CONTROL_EXTRAS = {
    "companies": {"type": Field("str", nullable=False, enum=PARTY_TYPES), "created": _CREATED,
                  "updated_at": Field("datetime"), "id": Field("int")},
    "contacts": {"created": _CREATED, "updated": Field("datetime"), "id": Field("int")},
}
CONTROL_EXTRAS["individuals"] = CONTROL_EXTRAS["companies"]

_SOCIAL_DEFAULT = {"twitter": None, "facebook": None, "linkedin": None, "viadeo": None}
_SYNC_DEFAULT = {"mailchimp": False, "mailjet": False, "simplemail": False}


def normalize_tag(value):
    """Smart tags match ignoring case and accents (R §9)."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()


def updated_key(resource):
    """Contacts say `updated`, third parties `updated_at` (R §3, §7)."""
    return "updated" if resource == "contacts" else "updated_at"


class Store(DocumentsMixin):
    def __init__(self, clock):
        self.clock = clock
        self.lock = threading.RLock()
        self.listeners = []  # callables(resource, action, ident) told of every change
        self.base_url = ""
        self._quiet = 0
        self.reset()

    # -- bookkeeping ---------------------------------------------------------------------------

    def reset(self):
        with self.lock:
            self.tables = {name: {} for name in
                           ("companies", "individuals", "contacts", "addresses", "invoices",
                            "credit-notes", "payments")}
            # Companies and individuals share one id space, as both are third parties. [I]
            third_parties = itertools.count(1001)
            self.sequences = {"companies": third_parties, "individuals": third_parties,
                              "contacts": itertools.count(5001), "addresses": itertools.count(7001),
                              "invoices": itertools.count(3001), "credit-notes": itertools.count(4001),
                              "payments": itertools.count(8001), "tags": itertools.count(51),
                              "rows": itertools.count(90001), "numbers": itertools.count(1)}
            self.links = {}            # (party resource, party id) -> {contact id: set of roles}
            self.contact_parties = {}  # contact id -> set of (party resource, party id)
            self.tags = {}             # tag id -> value
            self.tag_links = {}        # (resource, id) -> list of tag ids
            self.party_documents = {}  # (party resource, party id) -> {(document resource, id)}
            self.version = 0

    def next_id(self, sequence, wanted=None):
        """A fresh id, or `wanted` (seed files and control creates may fix ids)."""
        if wanted is None:
            return next(self.sequences[sequence])
        table = self.tables.get(sequence, {})
        if wanted in table or (sequence in PARTIES and any(wanted in self.tables[p] for p in PARTIES)):
            raise ApiError(409, f"id {wanted} already exists", "resource.conflict")
        return wanted

    @contextlib.contextmanager
    def silently(self):
        """Bulk loads (seed, generator) stand for data that already existed: no webhooks."""
        with self.lock:
            self._quiet += 1
            try:
                yield
            finally:
                self._quiet -= 1

    def emit(self, resource, action, ident):
        self.version += 1
        if not self._quiet:
            for listener in self.listeners:
                listener(resource, action, ident)

    def get(self, resource, ident):
        record = self.tables[resource].get(ident)
        if record is None:
            raise not_found(resource, ident)
        return record

    def now(self):
        return int(self.clock.now())

    def _timestamps(self, resource, body, control):
        """`created` is writable on create (R §5); the control API may also back-date `updated`."""
        now = self.now()
        created = parse_datetime(body["created"], "created") if body.get("created") else now
        key = updated_key(resource)
        updated = parse_datetime(body[key], key) if control and body.get(key) else max(created, now)
        return int(created), int(updated)

    # -- third parties and contacts -------------------------------------------------------------

    def create_person_or_party(self, resource, body, control=False):
        fields = {**CREATE_FIELDS[resource], **(CONTROL_EXTRAS[resource] if control else {})}
        check_body(body, fields)
        self._check_lookups(body)
        with self.lock:
            created, updated = self._timestamps(resource, body, control)
            values = {k: v for k, v in body.items() if k not in ("id", "created", "updated", "updated_at")}
            return self.insert_person_or_party(resource, values, created, updated, body.get("id"))

    def insert_person_or_party(self, resource, values, created, updated, ident=None):
        """Stores checked `values` (the generator calls this directly, for speed)."""
        ident = self.next_id(resource, ident)
        record = self._defaults(resource)
        record.update(values)
        record.update({"id": ident, "created": created, updated_key(resource): updated})
        self.tables[resource][ident] = record
        self.emit(resource, "created", ident)
        return record

    def _defaults(self, resource):
        record = {name: None for name in CREATE_FIELDS[resource]}
        record.update({"note": "", "social": dict(_SOCIAL_DEFAULT), "owner_id": DEFAULT_OWNER_ID,
                       "is_archived": False, "marketing_campaigns_subscriptions": [],
                       "invoicing_address_id": None, "delivery_address_id": None})
        if resource == "companies":
            record["legal_france"] = dict.fromkeys(_LEGAL_FRANCE)
        else:
            record["sync"] = dict(_SYNC_DEFAULT)
        if resource == "contacts":
            record["avatar"] = None
        return record

    @staticmethod
    def _check_lookups(body):
        for key, table in (("business_segment", BUSINESS_SEGMENTS), ("number_of_employees", EMPLOYEE_RANGES)):
            if body.get(key) is not None and body[key] not in table:
                raise validation_error({key: f"unknown id {body[key]}"})

    def update_person_or_party(self, resource, ident, body, control=False):
        fields = {**UPDATE_FIELDS[resource], **(CONTROL_EXTRAS[resource] if control else {})}
        check_body(body, fields, partial=True)
        self._check_lookups(body)
        if "id" in body:
            raise validation_error({"id": "is read-only"})
        with self.lock:
            record = self.get(resource, ident)
            # [I] Nested objects (legal_france, social, sync) are merged, not replaced.
            merged = {key: {**record[key], **value} if isinstance(value, dict) and isinstance(record.get(key), dict)
                      else value for key, value in body.items()}
            changes = {key: value for key, value in merged.items() if record.get(key) != value}
            was_archived, old_type = record["is_archived"], record.get("type")
            key = updated_key(resource)
            for name in ("created", key):
                if name in changes:
                    changes[name] = int(parse_datetime(changes[name], name))
            record.update(changes)
            if changes and key not in changes:
                record[key] = max(self.now(), record[key])
            if changes:
                self.emit(resource, "updated", ident)
            if record["is_archived"] != was_archived:
                self.emit(resource, "archived" if record["is_archived"] else "unarchived", ident)
            if record.get("type") != old_type:
                self.emit(resource, "transform", ident)
            return record

    def touch(self, resource, ident):
        """The rendered object changed through a relation: bump its update time and tell. Bulk
        loads keep the times they were given, as their relations belong to the same past."""
        record = self.tables[resource][ident]
        key = updated_key(resource)
        if key in record and not self._quiet:
            record[key] = max(self.now(), record[key])
        self.emit(resource, "updated", ident)

    def delete_person_or_party(self, resource, ident):
        with self.lock:
            self.get(resource, ident)
            if resource in PARTIES and self.documents_of(resource, ident):
                # [I] Sellsy keeps third parties that have documents; deleting them is refused.
                raise ApiError(400, "a third party with documents cannot be deleted", "party.has_documents")
            if resource == "contacts":
                for party in list(self.contact_parties.get(ident, ())):
                    self.unlink_contact(party[0], party[1], ident)
                self.contact_parties.pop(ident, None)
            else:
                for contact_id in self.links.pop((resource, ident), {}):
                    self.contact_parties[contact_id].discard((resource, ident))
            for address_id in [a["id"] for a in self.addresses_of(resource, ident)]:
                del self.tables["addresses"][address_id]
            self.tag_links.pop((resource, ident), None)
            del self.tables[resource][ident]
            self.emit(resource, "deleted", ident)

    # -- contact links and roles (R §7) ---------------------------------------------------------

    def role_holders(self, resource, ident):
        """{role: contact id or None}: the source of main/invoicing/dunning_contact_id."""
        holders = dict.fromkeys(ROLES)
        for contact_id, roles in self.links.get((resource, ident), {}).items():
            for role in roles:
                holders[role] = holders[role] or contact_id
        return holders

    def link_contact(self, resource, ident, contact_id, roles):
        """POST /companies/{id}/contacts/{contactId}: True when a new link was made (201)."""
        if roles is not None and (not isinstance(roles, list) or any(r not in ROLES for r in roles)):
            raise validation_error({"roles": "must be an array of " + "|".join(ROLES)})
        with self.lock:
            self.get(resource, ident)
            self.get("contacts", contact_id)
            links = self.links.setdefault((resource, ident), {})
            created = contact_id not in links
            if created and not links:
                # "custom roles will be ignored if company has no contact yet, the first contact
                # will get all roles by default" (R §7).
                roles = list(ROLES)
            if created:
                links[contact_id] = set()
                self.contact_parties.setdefault(contact_id, set()).add((resource, ident))
                self.emit("contacts", "link_created", contact_id)
            if roles is not None:
                self._assign_roles(resource, ident, contact_id, roles)
            return created

    def set_link_roles(self, resource, ident, contact_id, roles):
        """PUT /companies/{id}/contacts/{contactId} with {"roles":[…]} (not nullable)."""
        if not isinstance(roles, list) or any(r not in ROLES for r in roles):
            raise validation_error({"roles": "must be an array of " + "|".join(ROLES)})
        with self.lock:
            if contact_id not in self.links.get((resource, ident), {}):
                raise not_found("contact link", f"{resource}/{ident}/contacts/{contact_id}")
            self._assign_roles(resource, ident, contact_id, roles)

    def _assign_roles(self, resource, ident, contact_id, roles):
        """A role belongs to one contact at a time, so giving it moves it. [I]"""
        before = self.role_holders(resource, ident)
        links = self.links[(resource, ident)]
        for other, other_roles in links.items():
            if other != contact_id:
                other_roles.difference_update(roles)
        links[contact_id] = set(roles)
        after = self.role_holders(resource, ident)
        if after != before:
            if after["main"] == contact_id and before["main"] != contact_id:
                self.emit("contacts", "link_main", contact_id)
            self.touch(resource, ident)

    def unlink_contact(self, resource, ident, contact_id):
        """DELETE on the link; the roles it held become null (R §7 [I])."""
        with self.lock:
            links = self.links.get((resource, ident), {})
            if contact_id not in links:
                raise not_found("contact link", f"{resource}/{ident}/contacts/{contact_id}")
            had_roles = bool(links.pop(contact_id))
            self.contact_parties[contact_id].discard((resource, ident))
            self.emit("contacts", "link_deleted", contact_id)
            if had_roles:
                self.touch(resource, ident)

    def contacts_of(self, resource, ident):
        return [self.tables["contacts"][c] for c in self.links.get((resource, ident), {})]

    def parties_of_contact(self, contact_id, resource):
        return sorted(ident for kind, ident in self.contact_parties.get(contact_id, ()) if kind == resource)

    # -- addresses (R §8) -----------------------------------------------------------------------

    def addresses_of(self, resource, ident):
        return [a for a in self.tables["addresses"].values() if a["owner"] == (resource, ident)]

    def get_address(self, resource, ident, address_id):
        address = self.tables["addresses"].get(address_id)
        if address is None or address["owner"] != (resource, ident):
            raise not_found("address", address_id)
        return address

    def create_address(self, resource, ident, body):
        check_body(body, ADDRESS_CREATE)
        with self.lock:
            owner = self.get(resource, ident)
            first = not self.addresses_of(resource, ident)
            address = self.insert_address(resource, ident, body)
            self.emit(resource, "address_added", ident)
            self._place_address(resource, owner, address["id"], body, first)
            return address

    def insert_address(self, resource, ident, values):
        address_id = self.next_id("addresses")
        address = {key: values.get(key) for key in ADDRESS_UPDATE if not key.startswith("is_")}
        address.update({"id": address_id, "owner": (resource, ident)})
        self.tables["addresses"][address_id] = address
        return address

    def _place_address(self, resource, owner, address_id, body, first):
        changed = False
        for flag, key in (("is_invoicing_address", "invoicing_address_id"),
                          ("is_delivery_address", "delivery_address_id")):
            if body.get(flag, first) and owner[key] != address_id:
                owner[key] = address_id
                changed = True
        if changed:
            self.touch(resource, owner["id"])

    def update_address(self, resource, ident, address_id, body):
        check_body(body, ADDRESS_UPDATE, partial=True)
        with self.lock:
            address = self.get_address(resource, ident, address_id)
            address.update({k: v for k, v in body.items() if not k.startswith("is_")})
            self.emit(resource, "address_updated", ident)
            self._place_address(resource, self.get(resource, ident), address_id, body, False)
            return address

    def delete_address(self, resource, ident, address_id):
        with self.lock:
            self.get_address(resource, ident, address_id)
            del self.tables["addresses"][address_id]
            owner = self.get(resource, ident)
            self.emit(resource, "address_removed", ident)
            cleared = [k for k in ("invoicing_address_id", "delivery_address_id") if owner[k] == address_id]
            for key in cleared:
                owner[key] = None
            if cleared:
                self.touch(resource, ident)

    # -- smart tags (R §9) ----------------------------------------------------------------------

    def tags_of(self, resource, ident):
        return [{"id": t, "value": self.tags[t]} for t in self.tag_links.get((resource, ident), [])]

    def set_smart_tags(self, resource, ident, items):
        """POST /{resource}/{id}/smart-tags replaces the whole set (R §9 [I])."""
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise validation_error({"body": "must be an array of {\"value\"} or {\"id\"}"})
        with self.lock:
            self.get(resource, ident)
            by_value = {normalize_tag(v): t for t, v in self.tags.items()}
            wanted = []
            for position, item in enumerate(items):
                if isinstance(item.get("id"), int) and set(item) == {"id"}:
                    if item["id"] not in self.tags:
                        raise validation_error({str(position): f"unknown smart tag {item['id']}"})
                    tag_id = item["id"]
                elif isinstance(item.get("value"), str) and item["value"].strip() and set(item) == {"value"}:
                    tag_id = by_value.get(normalize_tag(item["value"]))
                    if tag_id is None:
                        tag_id = self.next_id("tags")
                        self.tags[tag_id] = item["value"].strip()
                        by_value[normalize_tag(item["value"])] = tag_id
                else:
                    raise validation_error({str(position): "must be {\"value\":string} or {\"id\":int}"})
                if tag_id not in wanted:
                    wanted.append(tag_id)
            if wanted != self.tag_links.get((resource, ident), []):
                self.tag_links[(resource, ident)] = wanted
                self.touch(resource, ident)
            return self.tags_of(resource, ident)

    def delete_smart_tag(self, tag_id):
        """DELETE /smart-tags/{id} removes the tag everywhere."""
        with self.lock:
            if tag_id not in self.tags:
                raise not_found("smart tag", tag_id)
            del self.tags[tag_id]
            for (resource, ident), tag_ids in list(self.tag_links.items()):
                if tag_id in tag_ids:
                    tag_ids.remove(tag_id)
                    self.touch(resource, ident)
