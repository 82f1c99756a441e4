"""The control API under /_control: not part of Sellsy, no authentication (loopback only), JSON.

Writes go through the same Store methods as the Sellsy API, so they fire webhooks like a real
change. Seed loads and the generator do not: they stand for data that already existed.
"""

import render
from common import ApiError, money, parse_money, validation_error
from generate import Generator
from server import Response
from store import TAGGABLE

REFERENCE_TYPES = {"company": "companies", "individual": "individuals", "contact": "contacts"}
OBJECTS = ("companies", "individuals", "contacts", "addresses", "invoices", "credit-notes", "payments")
# The order a seed file is loaded in, so that references resolve.
SEED_SECTIONS = ("companies", "individuals", "contacts", "addresses", "links", "invoices", "credit_notes",
                 "payments", "allocations", "smart_tags")
QUOTA_WINDOWS = ("second", "minute", "day", "month")
ALLOCATION_SOURCES = {"payments": "payment", "credit-notes": "credit-note"}  # as in related_objects (R §13)


def _reference(value, name, allowed=("company", "individual")):
    """{"type":"company","id":1001} → ("companies", 1001)."""
    if not isinstance(value, dict) or value.get("type") not in allowed or not isinstance(value.get("id"), int):
        raise validation_error({name: "must be {type: " + "|".join(allowed) + ", id}"})
    return REFERENCE_TYPES[value["type"]], value["id"]


def _without(body, *keys):
    return {k: v for k, v in body.items() if k not in keys}


class Control:
    def __init__(self, app):
        self.app = app
        self.store = app.store

    # -- objects --------------------------------------------------------------------------------

    def create_object(self, resource, body):
        store = self.store
        if not isinstance(body, dict):
            raise validation_error({"body": "must be a JSON object"})
        if resource in ("companies", "individuals", "contacts"):
            return store.create_person_or_party(resource, body, control=True)
        if resource in ("invoices", "credit-notes"):
            return store.create_document(resource, body, control=True)
        if resource == "payments":
            party = _reference(body.get("related"), "related")
            return store.create_payment(*party, _without(body, "related"), control=True)
        owner = _reference(body.get("owner"), "owner", tuple(REFERENCE_TYPES))
        return store.create_address(*owner, _without(body, "owner"))

    def _show(self, resource, record):
        with self.store.lock:
            if resource == "addresses":
                return {**render.address(self.store, record), "owner": self._owner(record)}
            return render.render(self.store, resource, record, single=True)

    @staticmethod
    def _owner(address):
        resource, ident = address["owner"]
        return {"type": {v: k for k, v in REFERENCE_TYPES.items()}[resource], "id": ident}

    def objects_create(self, resource):
        return lambda request: Response.json(201, self._show(resource, self.create_object(resource, request.json())))

    def objects_update(self, resource):
        def handler(request, id):
            body, store = request.json(), self.store
            if resource in ("companies", "individuals", "contacts"):
                record = store.update_person_or_party(resource, id, body, control=True)
            elif resource in ("invoices", "credit-notes"):
                record = store.update_document(resource, id, body, control=True)
            elif resource == "payments":
                record = store.update_payment(id, body)
            else:
                address = store.get("addresses", id)
                record = store.update_address(*address["owner"], id, body)
            return Response.json(200, self._show(resource, record))
        return handler

    def objects_delete(self, resource):
        def handler(request, id):
            store = self.store
            if resource in ("companies", "individuals", "contacts"):
                store.delete_person_or_party(resource, id)
            elif resource in ("invoices", "credit-notes"):
                store.delete_document(resource, id)
            elif resource == "payments":
                store.delete_payment(id)
            else:
                store.delete_address(*store.get("addresses", id)["owner"], id)
            return Response.empty()
        return handler

    def objects_tags(self, resource):
        def handler(request, id):
            return Response.json(200, self.store.set_smart_tags(resource, id, request.json()))
        return handler

    # -- relations ------------------------------------------------------------------------------

    def _link(self, body, action):
        if not isinstance(body, dict) or not isinstance(body.get("contact_id"), int):
            raise validation_error({"contact_id": "is required"})
        party = _reference(body.get("party"), "party")
        if action == "link":
            return self.store.link_contact(*party, body["contact_id"], body.get("roles"))
        if action == "roles":
            return self.store.set_link_roles(*party, body["contact_id"], body.get("roles"))
        return self.store.unlink_contact(*party, body["contact_id"])

    def links(self, action):
        def handler(request):
            created = self._link(request.json(), action)
            if action == "link":
                return Response.json(201 if created else 200, {"created": created})
            return Response.empty()
        return handler

    def _allocation(self, body, unlink=False):
        """{"invoice_id", "payment_id" | "credit_note_id", "amount": "12.00"}."""
        if not isinstance(body, dict) or not isinstance(body.get("invoice_id"), int):
            raise validation_error({"invoice_id": "is required"})
        sources = [(resource, body[key]) for key, resource in (("payment_id", "payments"),
                                                                ("credit_note_id", "credit-notes")) if key in body]
        if len(sources) != 1 or not isinstance(sources[0][1], int):
            raise validation_error({"payment_id": "give exactly one of payment_id and credit_note_id"})
        if unlink:
            self.store.unallocate(*sources[0], body["invoice_id"])
        else:
            self.store.allocate(*sources[0], body["invoice_id"], parse_money(body.get("amount"), "amount"))

    def allocate(self, request):
        self._allocation(request.json())
        return Response.json(201, {"allocated": True})

    def unallocate(self, request):
        self._allocation(request.json(), unlink=True)
        return Response.empty()

    # -- data sets ------------------------------------------------------------------------------

    def reset(self, request):
        self.app.reset()
        return Response.empty()

    def load(self, dataset):
        """Loads a seed data set (see README) without firing webhooks."""
        if not isinstance(dataset, dict) or set(dataset) - set(SEED_SECTIONS):
            raise validation_error({"body": "sections must be among " + ", ".join(SEED_SECTIONS)})
        loaders = {"links": lambda item: self._link(item, "link"), "allocations": self._allocation,
                   "smart_tags": self._seed_tags, "credit_notes": lambda item: self.create_object("credit-notes", item)}
        counts = {}
        with self.store.silently():
            for section in SEED_SECTIONS:
                load = loaders.get(section, lambda item, section=section: self.create_object(section, item))
                for position, item in enumerate(dataset.get(section, [])):
                    try:
                        load(item)
                    except ApiError as error:
                        error.details = {f"{section}.{position}": error.message, **error.details}
                        raise
                counts[section] = len(dataset.get(section, []))
        return counts

    def _seed_tags(self, item):
        """{"resource":"companies","id":42,"tags":[{"value":"vip"}]}."""
        if not isinstance(item, dict) or item.get("resource") not in TAGGABLE:
            raise validation_error({"resource": "must be one of " + ", ".join(TAGGABLE)})
        self.store.set_smart_tags(item["resource"], item.get("id"), item.get("tags"))

    def seed(self, request):
        return Response.json(200, {"loaded": self.load(request.json())})

    def generate(self, request):
        return Response.json(200, Generator(self.store, request.json(required=False) or {}).run())

    def data(self, request):
        """Everything, as the Sellsy API shows it (with the embeds a connector reads), plus the
        relations no single endpoint lists: links with roles, allocations, tags."""
        wanted = set(request.param("only", ",".join(OBJECTS + ("relations", "webhooks"))).split(","))
        store, out = self.store, {}
        embeds = {"companies": ["smart_tags"], "individuals": ["smart_tags"], "contacts": ["smart_tags"],
                  "invoices": ["smart_tags", "payment_terms"], "credit-notes": ["smart_tags"]}
        with store.lock:
            out["today"] = store.clock.today()
            for resource in OBJECTS:
                if resource in wanted:
                    out[resource] = [self._show(resource, r) if resource == "addresses" else
                                     render.with_embeds(store, resource, r, embeds.get(resource, []), single=True)
                                     for r in store.tables[resource].values()]
            if "relations" in wanted:
                out["contact_links"] = [
                    {"party": {"type": "company" if party[0] == "companies" else "individual", "id": party[1]},
                     "contact_id": contact_id, "roles": sorted(roles)}
                    for party, contacts in store.links.items() for contact_id, roles in contacts.items()]
                out["allocations"] = [
                    {"invoice_id": invoice_id, "source": {"type": ALLOCATION_SOURCES[source], "id": source_id},
                     "amount": money(amount)}
                    for invoice_id, invoice in store.tables["invoices"].items()
                    for (source, source_id), amount in invoice["links"].items()]
                out["smart_tags"] = [{"id": t, "value": v} for t, v in store.tags.items()]
        if "webhooks" in wanted:
            out["webhooks"] = [render.webhook(h) for h in self.app.webhooks.snapshot().values()]
        return Response.json(200, out)

    # -- behaviour switches ---------------------------------------------------------------------

    def deliveries_get(self, request):
        return Response.json(200, self.app.webhooks.report())

    def deliveries_set(self, request):
        return Response.json(200, self.app.webhooks.set_behaviour(request.json()))

    def deliveries_wait(self, request):
        timeout = (request.json(required=False) or {}).get("timeout_ms", 10000) / 1000
        idle = self.app.webhooks.wait_idle(timeout)
        return Response.json(200 if idle else 504, self.app.webhooks.report())

    def faults_add(self, request):
        return Response.json(201, self.app.faults.add(request.json()))

    def faults_get(self, request):
        return Response.json(200, self.app.faults.report())

    def faults_clear(self, request):
        self.app.faults.clear()
        return Response.empty()

    def tokens_expire(self, request):
        self.app.tokens.expire_all()
        return Response.empty()

    def quotas_get(self, request):
        return Response.json(200, {"limits": self.app.quotas.limits, "usage": self.app.quotas.report()})

    def quotas_set(self, request):
        """{"per_second": N} (as --rate-limit, 0 = off) or explicit windows {"second": 5, "day": null,…}."""
        body = request.json()
        if not isinstance(body, dict) or set(body) - {"per_second", *QUOTA_WINDOWS}:
            raise validation_error({"body": "keys: per_second or " + ", ".join(QUOTA_WINDOWS)})
        if any(v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0) for v in body.values()):
            raise validation_error({"body": "limits are non-negative integers or null"})
        if "per_second" in body:
            self.app.quotas.set_per_second(body["per_second"] or 0)
        else:
            self.app.quotas.set_limits(body)
        return self.quotas_get(request)

    def stats_get(self, request):
        return Response.json(200, {"requests": self.app.stats.report(), "tokens_issued": self.app.tokens.issued,
                                   "webhooks": self.app.webhooks.report()["counters"]})

    def stats_reset(self, request):
        self.app.stats.reset()
        return Response.empty()

    def clock_get(self, request):
        return Response.json(200, {"offset_seconds": self.app.clock.offset(), "now": self.app.clock.now(),
                                   "today": self.app.clock.today()})

    def clock_set(self, request):
        """{"offset_seconds": N} moves the emulator's clock (token expiry, late invoices, timestamps)."""
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("offset_seconds"), (int, float)):
            raise validation_error({"offset_seconds": "is required"})
        self.app.clock.set_offset(body["offset_seconds"])
        return self.clock_get(request)


def register(app):
    control, add = Control(app), app.router.add
    add("POST", "/_control/reset", control.reset)
    add("POST", "/_control/seed", control.seed)
    add("POST", "/_control/generate", control.generate)
    add("GET", "/_control/data", control.data)
    for resource in OBJECTS:
        add("POST", f"/_control/objects/{resource}", control.objects_create(resource))
        add("PATCH", f"/_control/objects/{resource}/{{id}}", control.objects_update(resource))
        add("DELETE", f"/_control/objects/{resource}/{{id}}", control.objects_delete(resource))
    for resource in TAGGABLE:
        add("PUT", f"/_control/objects/{resource}/{{id}}/smart-tags", control.objects_tags(resource))
    add("POST", "/_control/links", control.links("link"))
    add("PUT", "/_control/links", control.links("roles"))
    add("DELETE", "/_control/links", control.links("unlink"))
    add("POST", "/_control/allocations", control.allocate)
    add("DELETE", "/_control/allocations", control.unallocate)
    add("GET", "/_control/deliveries", control.deliveries_get)
    add("PUT", "/_control/deliveries", control.deliveries_set)
    add("POST", "/_control/deliveries/wait", control.deliveries_wait)
    add("POST", "/_control/faults", control.faults_add)
    add("GET", "/_control/faults", control.faults_get)
    add("DELETE", "/_control/faults", control.faults_clear)
    add("POST", "/_control/tokens/expire", control.tokens_expire)
    add("GET", "/_control/quotas", control.quotas_get)
    add("PUT", "/_control/quotas", control.quotas_set)
    add("GET", "/_control/stats", control.stats_get)
    add("DELETE", "/_control/stats", control.stats_reset)
    add("GET", "/_control/clock", control.clock_get)
    add("PUT", "/_control/clock", control.clock_set)

