"""Shared pieces of the Sellsy emulator: the error type, money, time, and body validation.

Research references (R §n) point at /work/shared/research/sellsy.md.
"""

import datetime
import decimal
import re
import threading
import time
import zoneinfo

CENT = decimal.Decimal("0.01")
DEFAULT_OWNER_ID = 1  # the staff member the emulated API client belongs to
ZERO = decimal.Decimal("0.00")  # two decimals, so sums of amounts keep the money exponent

# Sellsy is a French service and its examples carry +01:00/+02:00 offsets (R §2), so datetimes are
# rendered in Paris time. Stored timestamps are epoch seconds, which sort correctly across offsets.
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


class ApiError(Exception):
    """An error answered with Sellsy's body (R §4):
    {"error":{"code":400,"message":"…","context":"…","details":{"FIELD":"…"}}}."""

    def __init__(self, status, message, context="", details=None, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        # [I] Sellsy's context codes are not documented; ours name the failing rule in dotted form.
        self.context = context
        self.details = details or {}
        self.headers = headers or {}

    def body(self):
        return {"error": {"code": self.status, "message": self.message,
                          "context": self.context, "details": self.details}}


SINGULAR = {"companies": "company", "individuals": "individual", "contacts": "contact", "addresses": "address",
            "invoices": "invoice", "credit-notes": "credit note", "payments": "payment"}


def not_found(what, ident):
    """`what` is a resource name (see SINGULAR) or already a noun."""
    return ApiError(404, f"{SINGULAR.get(what, what)} {ident} not found", "resource.not_found")


def validation_error(details, message="Validation failed"):
    return ApiError(400, message, "validation", details)


# ---------------------------------------------------------------------------------------------
# Money: always a decimal string with two decimals (R §2, §17.5).

def money(value):
    return str(value.quantize(CENT, rounding=decimal.ROUND_HALF_UP))


def parse_money(text, field):
    """A decimal string such as "12.66"; anything else is a validation error on `field`."""
    if not isinstance(text, str):
        raise validation_error({field: "must be a decimal string"})
    try:
        value = decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise validation_error({field: "must be a decimal string"}) from None
    if not value.is_finite():
        raise validation_error({field: "must be a decimal string"})
    return value.quantize(CENT, rounding=decimal.ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------------
# Time. One clock for the whole emulator so tests can move it (token expiry, late invoices).

class Clock:
    def __init__(self):
        self._offset = 0.0
        self._lock = threading.Lock()
        self._today = (None, None)

    def now(self):
        with self._lock:
            return time.time() + self._offset

    def set_offset(self, seconds):
        with self._lock:
            self._offset = float(seconds)

    def offset(self):
        with self._lock:
            return self._offset

    def today(self):
        """Paris date of now; memoised per second, as a page of invoices asks it for every row."""
        second = int(self.now())
        cached = self._today
        if cached[0] != second:
            cached = self._today = (second, datetime.datetime.fromtimestamp(second, PARIS).date().isoformat())
        return cached[1]


def iso_datetime(epoch):
    """RFC3339 with offset, second precision: 2020-05-29T11:22:03+02:00 (R §2)."""
    return datetime.datetime.fromtimestamp(int(epoch), PARIS).isoformat()


DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(text, field):
    if not isinstance(text, str) or not DATE_RE.match(text):
        raise validation_error({field: "must be a date YYYY-MM-DD"})
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        raise validation_error({field: "must be a date YYYY-MM-DD"}) from None
    return text


def parse_datetime(text, field):
    """RFC3339 with an offset; a bare date means midnight Paris time.
    [I] Sellsy's range filters are typed as datetimes; accepting a date as well is lenient."""
    if not isinstance(text, str):
        raise validation_error({field: "must be an RFC3339 datetime"})
    try:
        if DATE_RE.match(text):
            moment = datetime.datetime.fromisoformat(text).replace(tzinfo=PARIS)
        else:
            moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise ValueError("no offset")
    except ValueError:
        raise validation_error({field: "must be an RFC3339 datetime with offset"}) from None
    return moment.timestamp()


def add_days(date_text, days):
    return (datetime.date.fromisoformat(date_text) + datetime.timedelta(days=days)).isoformat()


def end_of_month(date_text):
    day = datetime.date.fromisoformat(date_text)
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return (following - datetime.timedelta(days=1)).isoformat()


# ---------------------------------------------------------------------------------------------
# Request body validation. Sellsy refuses unknown keys (R §17.3), so every writable body is
# checked against a declared set of fields and the failures come back together in `details`.

class Field:
    """One writable field. `kind` is str, int, number, bool, date, datetime, money, dict or list."""

    def __init__(self, kind, required=False, nullable=True, max_len=None, min_len=None, enum=None,
                 fields=None):
        self.kind = kind
        self.fields = fields  # nested Field specs of a "dict" field, e.g. legal_france
        self.required = required
        self.nullable = nullable
        self.max_len = max_len
        self.min_len = min_len
        self.enum = enum

    def as_required(self):
        """The same field, required and not nullable: create bodies demand what updates allow."""
        return Field(self.kind, True, False, self.max_len, self.min_len, self.enum, self.fields)

    def check(self, name, value):
        """Returns the error message for `value`, or None when it is acceptable."""
        if value is None:
            return None if self.nullable else "must not be null"
        if self.kind == "int" and (not isinstance(value, int) or isinstance(value, bool)):
            return "must be an integer"
        if self.kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return "must be a number"
        if self.kind == "bool" and not isinstance(value, bool):
            return "must be a boolean"
        if self.kind in ("str", "date", "datetime", "money") and not isinstance(value, str):
            return "must be a string"
        if self.kind == "dict" and not isinstance(value, dict):
            return "must be an object"
        if self.kind == "list" and not isinstance(value, list):
            return "must be an array"
        try:
            if self.kind == "date":
                parse_date(value, name)
            elif self.kind == "datetime":
                parse_datetime(value, name)
            elif self.kind == "money":
                parse_money(value, name)
        except ApiError as error:
            return error.details[name]
        if self.fields is not None:
            try:
                check_body(value, self.fields, partial=True)
            except ApiError as error:
                return "; ".join(f"{key}: {why}" for key, why in error.details.items())
        if self.enum is not None and value not in self.enum:
            return "must be one of " + "|".join(self.enum)
        if self.max_len is not None and len(value) > self.max_len:
            return f"must be at most {self.max_len} characters"
        if self.min_len is not None and len(value) < self.min_len:
            return f"must be at least {self.min_len} characters"
        return None


def check_body(body, fields, partial=False):
    """Validates a JSON object against `fields`; `partial` (PUT) drops the required rule."""
    if not isinstance(body, dict):
        raise validation_error({"body": "must be a JSON object"})
    details = {}
    for name, value in body.items():
        spec = fields.get(name)
        if spec is None:
            details[name] = "unknown field"
            continue
        problem = spec.check(name, value)
        if problem:
            details[name] = problem
    if not partial:
        for name, spec in fields.items():
            if spec.required and name not in body:
                details[name] = "is required"
    if details:
        raise validation_error(details)
    return body
