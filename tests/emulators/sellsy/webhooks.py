"""Webhook registrations (R §14) and their deliveries from a background thread.

A delivery is a form POST of one field, `notif`, holding a JSON string such as
{"event":"updated","relatedtype":"client","relatedid":"12345",…}: no object data, ids as strings,
User-Agent starting with "Sellsy", no signature. The delivery behaviour (drop, duplicate, delay,
reorder, retries) is set through the control API and drawn from a seeded random generator.
"""

import collections
import heapq
import http.client
import itertools
import json
import random
import threading
import time
import urllib.parse

from common import Field, check_body, not_found, validation_error

USER_AGENT = "Sellsy-Webhooks/2.0"  # [I] R §14 only says it starts with "Sellsy"
ACCOUNT_ID = "123456"               # [I] the `corpid` of the emulated account
DELIVERY_TIMEOUT = 5.0              # [I] seconds Sellsy waits for a receiver

# GET /webhooks/events (R §14). Entity ids are Sellsy's legacy names: "client" for companies,
# "people" for contacts. Invoice, credit-note, payment and individual ids are the guesses of R §14.
_CRUD = {"created": "Creation", "updated": "Update", "deleted": "Deletion"}
_PARTY_EVENTS = {**_CRUD, "addressadded": "Address added", "addressupdated": "Address updated",
                 "addressremoved": "Address removed", "mainaddress": "Main address changed",
                 "transform": "Prospect transformed into client", "archived": "Archived",
                 "unarchived": "Unarchived", "editPrefs": "Preferences edited"}
CATALOGUE = [
    ("client", "Companies", _PARTY_EVENTS),
    ("individual", "Individuals", _PARTY_EVENTS),
    ("people", "Contacts", {**_CRUD, "created_address": "Address added", "updated_address": "Address updated",
                            "deleted_address": "Address removed", "updatedmain_address": "Main address changed",
                            "archived": "Archived", "unarchived": "Unarchived"}),
    ("third_party_contact", "Contacts of third parties", {"created": "Contact linked", "main": "Main contact set",
                                                          "deleted": "Contact unlinked"}),
    ("invoice", "Invoices", _CRUD),
    ("creditnote", "Credit notes", _CRUD),
    ("payment", "Payments", _CRUD),
]
EVENT_IDS = {f"{entity}.{verb}" for entity, _, events in CATALOGUE for verb in events}
ENTITY = {"companies": "client", "individuals": "individual", "contacts": "people", "invoices": "invoice",
          "credit-notes": "creditnote", "payments": "payment"}
# Store actions that are not a plain created/updated/deleted, per resource.
_ADDRESS_VERBS = {"address_added": "addressadded", "address_updated": "addressupdated",
                  "address_removed": "addressremoved"}
SPECIAL_VERBS = {
    "companies": _ADDRESS_VERBS, "individuals": _ADDRESS_VERBS,
    "contacts": {"address_added": "created_address", "address_updated": "updated_address",
                 "address_removed": "deleted_address"},
}
LINK_VERBS = {"link_created": "created", "link_main": "main", "link_deleted": "deleted"}

WEBHOOK_FIELDS = {
    # Slack webhooks (default_channel, configuration[].channel) are not emulated.
    "type": Field("str", required=True, nullable=False, enum=("http",)),
    "endpoint": Field("str", required=True, nullable=False), "is_enabled": Field("bool", nullable=False),
    "configuration": Field("list", nullable=False),
}
DEFAULT_BEHAVIOUR = {"drop": 0.0, "duplicate": 0.0, "delay_ms": 0, "reorder_ms": 0, "seed": 0,
                     "max_attempts": 3, "retry_backoff_ms": 200}


def event_of(resource, action):
    """(relatedtype, event) for a store change, e.g. ("client", "addressadded")."""
    if action in LINK_VERBS:
        return "third_party_contact", LINK_VERBS[action]
    return ENTITY[resource], SPECIAL_VERBS.get(resource, {}).get(action, action)


class Webhooks:
    """The registrations of /webhooks and the delivery queue."""

    def __init__(self, clock):
        self.clock = clock
        self._lock = threading.Lock()
        self._wakeup = threading.Condition(self._lock)
        self._stopping = False
        self._in_flight = 0   # a delivery being posted survives reset(), so this is not reset
        self._generation = 0  # bumped by reset(); an older delivery's outcome is then ignored
        self._thread = threading.Thread(target=self._deliver_forever, name="webhook-deliveries", daemon=True)
        self.reset()
        self._thread.start()

    def reset(self):
        with self._lock:
            self.hooks = {}
            self._ids = itertools.count(1)
            self.version = 0
            self._queue = []            # heap of (due time, sequence, delivery)
            self._sequence = itertools.count()
            self._generation += 1
            self.log = collections.deque(maxlen=5000)
            self.counters = collections.Counter()
            self._set_behaviour(dict(DEFAULT_BEHAVIOUR))

    # -- registrations --------------------------------------------------------------------------

    @staticmethod
    def _configuration(items):
        """[{"id":"client.created","is_enabled":true}, …]; S2's camelCase `isEnabled` is accepted
        too (R §14). Unknown event ids are refused [I]."""
        if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get("id"), str)
                                                  for i in items):
            raise validation_error({"configuration": "must be an array of {id, is_enabled}"})
        unknown = [i["id"] for i in items if i["id"] not in EVENT_IDS]
        if unknown:
            raise validation_error({"configuration": "unknown events: " + ", ".join(unknown)})
        return {i["id"]: bool(i.get("is_enabled", i.get("isEnabled", True))) for i in items}

    @staticmethod
    def _endpoint(url):
        parts = urllib.parse.urlsplit(url)
        # [I] Sellsy surely wants https; plain http is allowed so tests can listen on loopback.
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise validation_error({"endpoint": "must be an http(s) URL"})
        return url

    def create(self, body):
        check_body(body, WEBHOOK_FIELDS)
        configuration = self._configuration(body.get("configuration", []))
        endpoint = self._endpoint(body["endpoint"])
        with self._lock:
            ident = next(self._ids)
            self.hooks[ident] = {"id": ident, "type": "http", "is_enabled": body.get("is_enabled", True),
                                 "endpoint": endpoint, "created": self.clock.now(), "updated": None,
                                 "last_succeeded": None, "last_failed": None, "nb_failures": 0,
                                 "configuration": configuration}
            self.version += 1
            return dict(self.hooks[ident])

    def update(self, ident, body):
        check_body(body, WEBHOOK_FIELDS, partial=True)
        changes = dict(body)
        if "configuration" in changes:
            changes["configuration"] = self._configuration(changes["configuration"])
        if "endpoint" in changes:
            self._endpoint(changes["endpoint"])
        with self._lock:
            hook = self.get(ident)
            hook.update(changes, updated=self.clock.now())
            self.version += 1
            return dict(hook)

    def delete(self, ident):
        with self._lock:
            self.get(ident)
            del self.hooks[ident]
            self.version += 1

    def get(self, ident):
        hook = self.hooks.get(ident)
        if hook is None:
            raise not_found("webhook", ident)
        return hook

    def read(self, ident):
        with self._lock:
            return dict(self.get(ident))

    def snapshot(self):
        with self._lock:
            return {ident: dict(hook) for ident, hook in self.hooks.items()}

    # -- delivery behaviour -----------------------------------------------------------------------

    def set_behaviour(self, changes):
        if not isinstance(changes, dict) or set(changes) - set(DEFAULT_BEHAVIOUR):
            raise validation_error({"body": "keys must be among " + ", ".join(DEFAULT_BEHAVIOUR)})
        for key, value in changes.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise validation_error({key: "must be a non-negative number"})
        if changes.get("drop", 0) > 1 or changes.get("duplicate", 0) > 1:
            raise validation_error({"drop": "drop and duplicate are fractions between 0 and 1"})
        with self._lock:
            self._set_behaviour({**self.behaviour, **changes})
            return dict(self.behaviour)

    def _set_behaviour(self, behaviour):
        self.behaviour = behaviour
        self._random = random.Random(behaviour["seed"])  # re-seeded so a run can be replayed

    # -- deliveries -----------------------------------------------------------------------------

    def notify(self, resource, action, ident):
        """Store listener: queue a delivery to every enabled hook subscribed to the event."""
        related_type, verb = event_of(resource, action)
        event_id = f"{related_type}.{verb}"
        notif = json.dumps({
            "event": verb, "relatedtype": related_type, "relatedid": str(ident),
            # [I] Keys no source documents, in the v1 style; receivers must ignore what they do not know.
            "ownertype": "staff", "ownerid": "1", "corpid": ACCOUNT_ID,
            "timestamp": str(int(self.clock.now())),
        })
        with self._lock:
            for hook in self.hooks.values():
                if hook["is_enabled"] and hook["configuration"].get(event_id):
                    self._enqueue(hook, notif, event_id)

    def _enqueue(self, hook, notif, event_id):
        behaviour, chance = self.behaviour, self._random
        self.counters["events"] += 1
        copies = 2 if chance.random() < behaviour["duplicate"] else 1
        self.counters["duplicated"] += copies - 1
        for copy in range(copies):
            delivery = {"id": next(self._sequence), "webhook_id": hook["id"], "endpoint": hook["endpoint"],
                        "event": event_id, "notif": notif, "attempts": 0, "duplicate": copy > 0,
                        "generation": self._generation}
            if chance.random() < behaviour["drop"]:
                self.counters["dropped"] += 1
                self.log.append({**delivery, "result": "dropped"})
                continue
            delay = behaviour["delay_ms"] + chance.uniform(0, behaviour["reorder_ms"])
            heapq.heappush(self._queue, (time.monotonic() + delay / 1000, delivery["id"], delivery))
            self.counters["queued"] += 1
        self._wakeup.notify()

    def _deliver_forever(self):
        while True:
            with self._lock:
                while not self._stopping and (not self._queue or self._queue[0][0] > time.monotonic()):
                    self._wakeup.wait(self._queue[0][0] - time.monotonic() if self._queue else None)
                if self._stopping:
                    return
                _, _, delivery = heapq.heappop(self._queue)
                self._in_flight += 1
            status = self._post(delivery)
            with self._lock:
                self._in_flight -= 1
                if delivery["generation"] == self._generation:
                    self._record(delivery, status)
                self._wakeup.notify_all()

    @staticmethod
    def _post(delivery):
        """Returns the HTTP status, or an error text when the receiver could not be reached."""
        url = urllib.parse.urlsplit(delivery["endpoint"])
        connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        body = urllib.parse.urlencode({"notif": delivery["notif"]})
        try:
            connection = connection_class(url.hostname, url.port, timeout=DELIVERY_TIMEOUT)
            try:
                connection.request("POST", (url.path or "/") + (f"?{url.query}" if url.query else ""), body=body,
                                   headers={"Content-Type": "application/x-www-form-urlencoded",
                                            "User-Agent": USER_AGENT})
                response = connection.getresponse()
                response.read()
                return response.status
            finally:
                connection.close()
        except (OSError, http.client.HTTPException) as error:
            return f"{type(error).__name__}: {error}"

    def _record(self, delivery, status):
        """Keeps nb_failures/last_* (R §14) and retries a failure with a doubling backoff [I]."""
        delivery["attempts"] += 1
        delivery["status"] = status
        hook = self.hooks.get(delivery["webhook_id"])
        succeeded = isinstance(status, int) and 200 <= status < 300
        if hook is not None:
            hook["last_succeeded" if succeeded else "last_failed"] = self.clock.now()
            hook["nb_failures"] += 0 if succeeded else 1
        if succeeded:
            self.counters["delivered"] += 1
            self.log.append({**delivery, "result": "delivered"})
        elif delivery["attempts"] < self.behaviour["max_attempts"] and hook is not None:
            self.counters["retried"] += 1
            backoff = self.behaviour["retry_backoff_ms"] * 2 ** (delivery["attempts"] - 1)
            heapq.heappush(self._queue, (time.monotonic() + backoff / 1000, delivery["id"], delivery))
        else:
            self.counters["failed"] += 1
            self.log.append({**delivery, "result": "failed"})

    def wait_idle(self, timeout):
        """Blocks until nothing is queued or in flight; False when `timeout` passed first."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._queue or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wakeup.wait(left)
            return True

    def report(self):
        with self._lock:
            return {"behaviour": dict(self.behaviour), "pending": len(self._queue) + self._in_flight,
                    "counters": dict(self.counters), "log": list(self.log)}

    def stop(self):
        with self._lock:
            self._stopping = True
            self._wakeup.notify_all()
