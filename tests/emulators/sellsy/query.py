"""Lists and searches (R §3): search filters, `order`/`direction`, and both pagination modes.

Seek mode (the default) answers `pagination.offset` as base64 of a JSON array holding the last
row's sort key: ["11"] for the id order, [<value>, <id>] for the others (R §3). Numeric mode is
chosen by sending a number (`offset=0` on the first call) and reaches the first 100 000 rows only.
The sorted matches of a query are cached until the data changes, so walking 100 000 invoices page
by page costs one sort, not one per page.
"""

import base64
import binascii
import bisect
import collections
import decimal
import json
import threading

from common import parse_date, parse_datetime, validation_error
from documents import status_of

DEFAULT_LIMIT, MAX_LIMIT = 25, 100
NUMERIC_OFFSET_REACH = 100000


class Order:
    """A sort key of one `order` value; `kind` says how the cursor text converts back."""

    def __init__(self, key, kind):
        self.key = key
        self.kind = kind

    def from_cursor(self, text):
        return {"int": int, "str": str, "decimal": decimal.Decimal}[self.kind](text)


def _key(name):
    return lambda record: record[name]


def _text(*names):
    return lambda record: " ".join(record.get(n) or "" for n in names).casefold()


_ID_ONLY = {"id": None}  # None: the id itself, the cursor ["<id>"]
_PARTY_ORDERS = {"id": None, "name": None, "created_at": Order(_key("created"), "int"),
                 "updated_at": Order(_key("updated_at"), "int")}
_DOCUMENT_ORDERS = {"id": None, "number": Order(_text("number"), "str"), "created": Order(_key("created"), "int"),
                    "date": Order(_key("date"), "str"), "amount": Order(_key("incl"), "decimal")}
ORDERS = {  # the `order` enums of R §3
    "companies": {**_PARTY_ORDERS, "name": Order(_text("name"), "str")},
    "individuals": {**_PARTY_ORDERS, "name": Order(_text("last_name", "first_name"), "str")},
    "contacts": {"id": None, "name": Order(_text("last_name", "first_name"), "str"),
                 "created_at": Order(_key("created"), "int")},
    "invoices": {**_DOCUMENT_ORDERS, "due_date": Order(_key("due_date"), "str")},
    "credit-notes": _DOCUMENT_ORDERS,
    "payments": {"id": None, "paid_date": Order(_key("paid_at"), "int")},
}


def orders_for(resource):
    return ORDERS.get(resource, _ID_ONLY)


# ---------------------------------------------------------------------------------------------
# Filters. A builder takes (value, name, ctx) and returns a predicate on an internal record.

def _range(getter, parse):
    def build(value, name, ctx):
        if not isinstance(value, dict) or not value or set(value) - {"start", "end"}:
            raise validation_error({name: "must be an object {start, end}"})
        start = parse(value["start"], f"{name}.start") if value.get("start") is not None else None
        end = parse(value["end"], f"{name}.end") if value.get("end") is not None else None
        # [I] Both bounds are inclusive.
        return lambda record: ((start is None or getter(record, ctx) >= start)
                               and (end is None or getter(record, ctx) <= end))
    return build


def datetime_range(name):
    return _range(lambda record, ctx: record[name], parse_datetime)


def date_range(name):
    return _range(lambda record, ctx: record[name] or "", parse_date)


def _expect(value, name, kind):
    if kind is bool and not isinstance(value, bool):
        raise validation_error({name: "must be a boolean"})
    if kind is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise validation_error({name: "must be an integer"})
    if kind is str and not isinstance(value, str):
        raise validation_error({name: "must be a string"})


def _expect_list(value, name, kind):
    if not isinstance(value, list):
        raise validation_error({name: "must be an array"})
    for item in value:
        _expect(item, name, kind)


def predicate(kind, test):
    """A filter taking one value of `kind`; test(record, ctx, value) decides."""
    def build(value, name, ctx):
        _expect(value, name, kind)
        return lambda record: test(record, ctx, value)
    return build


def equals(getter, kind=str, fold=False):
    """Exact match; `fold` makes it ignore case [I]."""
    def normal(value):
        return (value or "").casefold() if fold else value
    return predicate(kind, lambda record, ctx, value: normal(getter(record, ctx)) == normal(value))


def one_of(getter, kind=int, enum=None, scalar_allowed=False):
    """An array of ids, strings or enum values; `scalar_allowed` also takes one string (R §3 `type`)."""
    def build(value, name, ctx):
        values = [value] if scalar_allowed and isinstance(value, str) else value
        _expect_list(values, name, kind)
        if enum and set(values) - set(enum):
            raise validation_error({name: "values must be among " + "|".join(enum)})
        wanted = set(values)
        return lambda record: getter(record, ctx) in wanted
    return build


def intersects(getter):
    """An array of ids, matched when the record relates to any of them."""
    def build(value, name, ctx):
        _expect_list(value, name, int)
        wanted = set(value)
        return lambda record: not wanted.isdisjoint(getter(record, ctx))
    return build


def related_objects(types):
    def build(value, name, ctx):
        if not isinstance(value, list) or not all(isinstance(v, dict) and v.get("type") in types
                                                  and isinstance(v.get("id"), int) for v in value):
            raise validation_error({name: "must be an array of {type: " + "|".join(types) + ", id}"})
        wanted = {({"company": "companies", "individual": "individuals"}.get(v["type"]), v["id"]) for v in value}
        return lambda record: record["party"] in wanted
    return build


def not_emulated(value, name, ctx):
    raise validation_error({name: "favourite filters are not emulated"})


def _address_field(field):
    """[I] Address filters look at the invoicing address."""
    def get(record, ctx):
        address = ctx.store.tables["addresses"].get(record["invoicing_address_id"])
        return address[field] if address else None
    return get


def _field(name):
    return lambda record, ctx: record.get(name)


def _status(resource):
    return lambda record, ctx: status_of(resource, record, ctx.today)


def _individual_name(record, ctx, value):
    """[I] An individual's `name` matches its last name, or "first_name last_name"."""
    full = _text("first_name", "last_name")(record).strip()
    return value.casefold() in {(record["last_name"] or "").casefold(), full}


_PARTY_FILTERS = {
    "created": datetime_range("created"), "updated_at": datetime_range("updated_at"),
    "email": equals(_field("email"), fold=True),
    "type": one_of(_field("type"), str, ("prospect", "client", "supplier"), scalar_allowed=True),
    "is_archived": equals(_field("is_archived"), bool), "id": one_of(_field("id")),
    "favourite_filter": not_emulated,
}
_ADDRESS_FILTERS = {"country_code": equals(_address_field("country_code"), fold=True),
                    "postal_code": one_of(_address_field("postal_code"), str)}
FILTERS = {  # the filter keys of R §3, per resource; any other key is refused (R §17.3)
    "companies": {
        **_PARTY_FILTERS, **_ADDRESS_FILTERS, "name": equals(_field("name"), fold=True),
        "contacts": intersects(lambda record, ctx: ctx.store.links.get(("companies", record["id"]), {}).keys()),
        "siret": equals(lambda record, ctx: (record["legal_france"] or {}).get("siret")),
    },
    "individuals": {**_PARTY_FILTERS, "name": predicate(str, _individual_name)},
    "contacts": {
        **_ADDRESS_FILTERS,
        "companies": intersects(lambda record, ctx: ctx.store.parties_of_contact(record["id"], "companies")),
        "individuals": intersects(lambda record, ctx: ctx.store.parties_of_contact(record["id"], "individuals")),
        "created": datetime_range("created"), "updated": datetime_range("updated"),
        "last_name": equals(_field("last_name"), fold=True), "birth_date": date_range("birth_date"),
        "email": equals(_field("email"), fold=True), "phone_number": equals(_field("phone_number")),
        "mobile_number": equals(_field("mobile_number")), "id": one_of(_field("id")),
        "is_linked": predicate(bool, lambda record, ctx, value:
                               bool(ctx.store.contact_parties.get(record["id"])) == value),
        "favourite_filter": not_emulated,
    },
    "invoices": {
        "created": datetime_range("created"), "date": date_range("date"),
        "owners": one_of(_field("owner_id")), "assigned_staff_ids": one_of(_field("assigned_staff_id")),
        "related_objects": related_objects(("company", "individual", "opportunity")),
        "contacts": one_of(_field("contact_id")),
        "status": one_of(_status("invoices"), str, ("draft", "due", "payinprogress", "paid", "late", "cancelled")),
        "number": equals(_field("number")), "currency": equals(_field("currency")),
        "is_deposit": equals(_field("is_deposit"), bool),
        "credit_note_id": predicate(int, lambda record, ctx, value: ("credit-notes", value) in record["links"]),
        "favourite_filter": not_emulated,
    },
    "credit-notes": {
        "status": one_of(_status("credit-notes"), str, ("draft", "stored", "partialspend", "spent", "cancelled")),
        "related_objects": related_objects(("company", "individual")),
        "is_deposit": equals(_field("is_deposit"), bool), "favourite_filter": not_emulated,
    },
    "payments": {
        "status": one_of(_field("status"), str, ("pending", "confirmed", "rejected", "failed", "refund")),
        "related_objects": related_objects(("company", "individual")),
    },
    "webhooks": {"type": equals(_field("type")), "is_enabled": equals(_field("is_enabled"), bool),
                 "endpoint": equals(_field("endpoint"))},
    "payment-methods": {},  # [I] no filter is documented for POST /payments/methods/search
}


def search_filters(resource, body):
    """The body of POST /<resource>/search: {"filters":{…}}, `filters` required (R §3)."""
    if not isinstance(body, dict) or not isinstance(body.get("filters"), dict):
        raise validation_error({"filters": "is required and must be an object"})
    unknown = {key: "unknown field" for key in body if key != "filters"}
    unknown.update({key: "unknown filter" for key in body["filters"] if key not in FILTERS[resource]})
    if unknown:
        raise validation_error(unknown)
    return body["filters"]


# ---------------------------------------------------------------------------------------------

class Context:
    """What filters and the cache need: the store, today's date and a data version."""

    def __init__(self, store, today, version):
        self.store = store
        self.today = today
        self.version = version


class Paging:
    def __init__(self, resource, query):
        def one(name, default=None):
            return query.get(name, [default])[0]
        orders = orders_for(resource)
        self.order_name = one("order", "id")
        if self.order_name not in orders:
            raise validation_error({"order": "must be one of " + "|".join(orders)})
        self.order = orders[self.order_name]
        self.direction = one("direction", "asc")
        if self.direction not in ("asc", "desc"):
            raise validation_error({"direction": "must be asc or desc"})
        try:
            self.limit = int(one("limit", DEFAULT_LIMIT))
        except ValueError:
            raise validation_error({"limit": "must be an integer"}) from None
        if not 1 <= self.limit <= MAX_LIMIT:
            raise validation_error({"limit": f"must be between 1 and {MAX_LIMIT}"})
        offset = one("offset")
        self.numeric = offset is not None and offset.isdigit()
        if self.numeric:
            self.offset = int(offset)
            if self.offset >= NUMERIC_OFFSET_REACH:
                raise validation_error({"offset": "a numeric offset only reaches the first 100000 results; "
                                                  "use seek pagination"})
        else:
            self.offset = offset or None
            self.after = self._decode(offset) if offset else None

    def key_of(self, record):
        return (record["id"],) if self.order is None else (self.order.key(record), record["id"])

    def encode(self, key):
        parts = [str(key[0])] if self.order is None else [str(key[0]), key[1]]
        return base64.b64encode(json.dumps(parts).encode()).decode()

    def _decode(self, text):
        try:
            parts = json.loads(base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_"
                                                if "-" in text or "_" in text else None))
            if self.order is None:
                (ident,) = parts
                return (int(ident),)
            value, ident = parts
            return (self.order.from_cursor(value), int(ident))
        except (ValueError, TypeError, binascii.Error, decimal.InvalidOperation):
            raise validation_error({"offset": "invalid seek cursor for this order"}) from None


class QueryCache:
    """Sorted keys of recent queries, valid while the data version and date stay the same."""

    def __init__(self, size=32):
        self._entries = collections.OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def sorted_keys(self, cache_key, compute):
        with self._lock:
            if cache_key in self._entries:
                self._entries.move_to_end(cache_key)
                return self._entries[cache_key]
        keys = compute()
        with self._lock:
            self._entries[cache_key] = keys
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return keys


def run(ctx, cache, scope, resource, records, query, filters=None):
    """One page of `records` (id -> internal record). Returns (page of records, pagination)."""
    paging = Paging(resource, query)
    predicates = [FILTERS[resource][name](value, name, ctx) for name, value in (filters or {}).items()]

    def compute():
        return sorted(paging.key_of(r) for r in records.values() if all(p(r) for p in predicates))

    cache_key = (scope, ctx.version, ctx.today, json.dumps(filters, sort_keys=True), paging.order_name)
    keys = cache.sorted_keys(cache_key, compute)
    if paging.numeric:
        stop = min(paging.offset + paging.limit, NUMERIC_OFFSET_REACH, len(keys))
        positions = range(paging.offset, stop)
        page = [keys[i] if paging.direction == "asc" else keys[len(keys) - 1 - i] for i in positions]
    else:
        try:
            if paging.direction == "asc":
                start = bisect.bisect_right(keys, paging.after) if paging.after else 0
                page = keys[start:start + paging.limit]
            else:
                end = bisect.bisect_left(keys, paging.after) if paging.after else len(keys)
                page = keys[max(0, end - paging.limit):end][::-1]
        except TypeError:
            raise validation_error({"offset": "invalid seek cursor for this order"}) from None
    if paging.numeric:
        offset = paging.offset
    else:
        # [I] An empty page echoes the cursor sent (null on a first call).
        offset = paging.encode(page[-1]) if page else paging.offset
    pagination = {"limit": paging.limit, "count": len(page), "total": len(keys), "offset": offset}
    return [records[key[-1]] for key in page], pagination
