"""Bulk data for benchmarks and soak tests: /_control/generate.

Records go straight to the Store's insert_* methods (no body validation, no webhooks), which makes
20 000 customers and 100 000 invoices a matter of seconds. Draws come from a generator seeded with
`seed`, so a seed gives the same data set every time (except the random keys of PDF links). Dates
spread uniformly between `start_date` (2016-01-01 by default, so that part of the data predates
the connector's 2018-01-01 backfill start) and `end_date` (today).
"""

import datetime
import decimal
import gc
import random
import time

from common import CENT, PARIS, ZERO, ApiError
from documents import PAYMENT_METHODS, PAYMENT_TERMS, due_date_for, remaining_of

COUNT_KEYS = ("companies", "individuals", "contacts", "invoices", "credit_notes", "payments")
_WORDS = ("Alpha", "Boréal", "Cèdre", "Delta", "Étoile", "Faubourg", "Granit", "Horizon", "Iris", "Jade",
          "Kiosque", "Lumière", "Mistral", "Nacre", "Olivier", "Pivoine", "Quartz", "Rivage", "Saule", "Tilleul")
_LEGAL_FORMS = ("SAS", "SARL", "SA", "EURL", "SCI")
_FIRST_NAMES = ("Camille", "Léa", "Hugo", "Manon", "Louis", "Chloé", "Jules", "Inès", "Adam", "Zoé")
_LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau")
_CITIES = (("75002", "Paris"), ("69003", "Lyon"), ("13001", "Marseille"), ("31000", "Toulouse"),
           ("44000", "Nantes"), ("33000", "Bordeaux"), ("59000", "Lille"), ("67000", "Strasbourg"))
_TAGS = ("VIP", "Grand compte", "Relance prioritaire", "Export", "Secteur public", "Litige")
# Weighted choices as tuples to pick from uniformly.
_PARTY_TYPES = ("client",) * 16 + ("prospect",) * 3 + ("supplier",)
_INVOICE_STATES = ("validated",) * 95 + ("draft",) * 3 + ("cancelled",) * 2
_TAX_IDS = (1,) * 17 + (2, 3, 4)
_ROW_COUNTS = (1, 1, 1, 2, 3)
_QUANTITIES = (decimal.Decimal(1), decimal.Decimal(2), decimal.Decimal(3))
_PAYMENT_METHOD_IDS = tuple(PAYMENT_METHODS)
_PAYMENT_TERM_IDS = tuple(PAYMENT_TERMS)


class Draws(random.Random):
    """random.Random with cheaper draws: randint() and choice() spend most of their time checking
    arguments, which shows at a million draws."""

    def between(self, low, high):
        return low + int(self.random() * (high - low + 1))

    def pick(self, items):
        return items[int(self.random() * len(items))]


class Generator:
    def __init__(self, store, spec):
        if not isinstance(spec, dict) or set(spec) - set(COUNT_KEYS) - {"seed", "start_date", "end_date"}:
            raise ApiError(400, "keys are among " + ", ".join(COUNT_KEYS) + ", seed, start_date, end_date",
                           "control.generate")
        self.store = store
        try:
            self.counts = {key: int(spec.get(key, 0)) for key in COUNT_KEYS}
            self.start = datetime.date.fromisoformat(spec.get("start_date", "2016-01-01"))
            self.end = datetime.date.fromisoformat(spec.get("end_date") or store.clock.today())
        except (TypeError, ValueError):
            raise ApiError(400, "counts are integers, start_date and end_date YYYY-MM-DD",
                           "control.generate") from None
        if self.end < self.start:
            raise ApiError(400, "end_date is before start_date", "control.generate")
        self.draw = Draws(spec.get("seed", 0))
        self.now = store.now()
        self._midnights = {}

    def _moments(self, count):
        """`count` (date text, epoch) pairs in increasing order, so ids grow with creation time."""
        span = (self.end - self.start).days
        moments = []
        for offset in sorted(self.draw.between(0, span) for _ in range(count)):
            day = self.start + datetime.timedelta(days=offset)
            midnight = self._midnights.get(day)
            if midnight is None:
                midnight = self._midnights[day] = int(datetime.datetime.combine(day, datetime.time(),
                                                                                PARIS).timestamp())
            moments.append((day.isoformat(), min(midnight + self.draw.between(8 * 3600, 19 * 3600), self.now)))
        return moments

    def _date_of(self, epoch):
        return datetime.datetime.fromtimestamp(epoch, PARIS).date().isoformat()

    def _updated(self, created):
        """Most records are touched again soon after creation, a few much later."""
        return created + int((self.now - created) * self.draw.random() ** 6)

    def run(self):
        began = time.monotonic()
        # The collector would rescan the growing heap again and again; the records hold no cycles.
        gc.disable()
        try:
            self._generate()
        finally:
            gc.freeze()  # the generated records stay: later collections need not scan them
            gc.enable()
        return {"created": self.counts, "seconds": round(time.monotonic() - began, 3)}

    def _generate(self):
        with self.store.silently():
            customers = self._parties("companies") + self._parties("individuals")
            self._contacts([key for key in customers if key[0] == "companies"])
            clients = [key for key in customers if self.store.tables[key[0]][key[1]]["type"] == "client"]
            if (self.counts["invoices"] or self.counts["payments"]) and not clients:
                raise ApiError(400, "invoices and payments need at least one client", "control.generate")
            invoices = self._invoices(clients)
            self._credit_notes(invoices)
            self._payments(invoices, clients)

    def _parties(self, resource):
        store, draw, made = self.store, self.draw, []
        for number, (_, created) in enumerate(self._moments(self.counts[resource]), start=1):
            if resource == "companies":
                form = draw.pick(_LEGAL_FORMS)
                siren = f"{draw.between(10 ** 8, 10 ** 9 - 1)}"
                values = {"type": draw.pick(_PARTY_TYPES),
                          "name": f"{draw.pick(_WORDS)} {draw.pick(_WORDS)} {number} {form}",
                          "email": f"compta@societe{number}.example", "reference": f"CLI-{number:05d}",
                          "phone_number": f"+331{draw.between(10 ** 7, 10 ** 8 - 1)}",
                          "legal_france": {"siret": f"{siren}{draw.between(10000, 99999)}", "siren": siren,
                                           "vat": f"FR{draw.between(10, 99)}{siren}", "ape_naf_code": "6201Z",
                                           "company_type": form, "rcs_immatriculation": None},
                          "business_segment": draw.pick((None, 1, 2, 3, 4, 5))}
            else:
                first = draw.pick(_FIRST_NAMES)
                values = {"type": draw.pick(_PARTY_TYPES), "first_name": first,
                          "last_name": f"{draw.pick(_LAST_NAMES)} {number}",
                          "civility": draw.pick(("mr", "mrs", "ms")),
                          "reference": f"IND-{number:05d}", "email": f"{first.lower()}.{number}@particulier.example"}
            record = store.insert_person_or_party(resource, values, created, self._updated(created))
            postal_code, city = draw.pick(_CITIES)
            address = store.insert_address(resource, record["id"], {
                "name": "Siège" if resource == "companies" else "Domicile",
                "address_line_1": f"{draw.between(1, 120)} rue {draw.pick(_WORDS)}",
                "postal_code": postal_code, "city": city, "country": "France", "country_code": "FR"})
            record["invoicing_address_id"] = record["delivery_address_id"] = address["id"]
            if draw.random() < 0.1:
                store.tag_links[(resource, record["id"])] = [self._tag(draw.pick(_TAGS))]
            made.append((resource, record["id"]))
        return made

    def _tag(self, value):
        for tag_id, existing in self.store.tags.items():
            if existing == value:
                return tag_id
        tag_id = self.store.next_id("tags")
        self.store.tags[tag_id] = value
        return tag_id

    def _contacts(self, companies):
        store, draw = self.store, self.draw
        for number, (_, created) in enumerate(self._moments(self.counts["contacts"]), start=1):
            first, last = draw.pick(_FIRST_NAMES), draw.pick(_LAST_NAMES)
            values = {"civility": draw.pick(("mr", "mrs", "ms")), "first_name": first, "last_name": last,
                      "email": f"{first.lower()}.{last.lower()}.{number}@contact.example",
                      "position": draw.pick(("Comptable", "DAF", "Gérant", "Assistante", None))}
            contact = store.insert_person_or_party("contacts", values, created, self._updated(created))
            if companies:
                # The first contact of a company takes every role, as Sellsy does (R §7).
                store.link_contact(*draw.pick(companies), contact["id"], None)

    def _invoices(self, clients):
        store, draw, made = self.store, self.draw, []
        main_contacts = {party: store.role_holders(*party)["main"] for party in clients}
        for date, created in self._moments(self.counts["invoices"]):
            party, tax_id = draw.pick(clients), draw.pick(_TAX_IDS)
            rows = [store.make_row("single", decimal.Decimal(draw.between(1000, 200000)).scaleb(-2),
                                   _QUANTITIES[line], tax_id, f"Prestation {line + 1}")
                    for line in range(draw.pick(_ROW_COUNTS))]
            terms_id = draw.pick(_PAYMENT_TERM_IDS)
            options = {"subject": f"Facture {date}", "due_date": due_date_for(date, terms_id),
                       "order_reference": f"PO-{draw.between(1, 999999)}" if draw.random() < 0.2 else None}
            lifecycle = draw.pick(_INVOICE_STATES)
            invoice = store.insert_document("invoices", party, main_contacts[party], rows, date,
                                            created, terms_id, lifecycle, options)
            if lifecycle == "validated":
                made.append(invoice)
        return made

    def _credit_notes(self, invoices):
        store, draw = self.store, self.draw
        for _ in range(self.counts["credit_notes"] if invoices else 0):
            invoice = draw.pick(invoices)
            share = decimal.Decimal(draw.between(10, 100)).scaleb(-2)
            rows = [store.make_row("single", (invoice["excl"] * share).quantize(CENT), decimal.Decimal(1),
                                   invoice["rows"][0]["tax_id"], "Avoir")]
            created = min(invoice["created"] + draw.between(0, 60 * 86400), self.now)
            date = self._date_of(created)
            credit_note = store.insert_document("credit-notes", invoice["party"], invoice["contact_id"], rows, date,
                                                created, invoice["payment_terms_id"], "validated",
                                                {"subject": f"Avoir sur {invoice['number']}"})
            amount = min(remaining_of(credit_note), remaining_of(invoice))
            if amount > ZERO and draw.random() < 0.8:
                store.allocate("credit-notes", credit_note["id"], invoice["id"], amount, date)

    def _payments(self, invoices, clients):
        store, draw = self.store, self.draw
        open_invoices = [i for i in invoices if remaining_of(i) > ZERO]
        for number in range(1, self.counts["payments"] + 1):
            position = int(draw.random() * len(open_invoices)) if open_invoices and draw.random() < 0.9 else None
            if position is None:  # a payment on account, allocated to nothing
                invoice, party = None, draw.pick(clients)
                total = decimal.Decimal(draw.between(1000, 100000)).scaleb(-2)
                paid_at = self.now - draw.between(0, 365 * 86400)
            else:
                invoice = open_invoices[position]
                party, remaining = invoice["party"], remaining_of(invoice)
                partial = (remaining * decimal.Decimal(draw.between(10, 90)).scaleb(-2)).quantize(CENT)
                total = partial if draw.random() < 0.3 and partial > ZERO else remaining
                paid_at = min(invoice["created"] + draw.between(0, 90 * 86400), self.now)
            payment = store.insert_payment(party, total, "EUR", paid_at, draw.pick(_PAYMENT_METHOD_IDS), "credit",
                                           "confirmed", f"VIR-{number:06d}", None)
            if invoice is not None:
                store.allocate("payments", payment["id"], invoice["id"], total, self._date_of(paid_at))
                if remaining_of(invoice) <= ZERO:  # swap-remove: the list order does not matter
                    open_invoices[position] = open_invoices[-1]
                    open_invoices.pop()
