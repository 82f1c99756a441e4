#!/usr/bin/python3
"""Sellsy API v2 emulator: a local HTTP server for testing the Relance Sellsy connector.

Run with Debian's /usr/bin/python3 (standard library only):
    /usr/bin/python3 tests/emulators/sellsy/sellsy_emulator.py --port 0 --rate-limit 0
It prints one line, "listening on http://127.0.0.1:PORT", then serves:
    /v2/...                     the Sellsy API (base URL http://127.0.0.1:PORT/v2)
    /oauth2/access-tokens       the login host's token endpoint (and /oauth2/authorization)
    /_files/..., /_public/...   the documents' pdf_link and public_link
    /_control/...               the control API for tests (see README.md)
Shapes follow /work/shared/research/sellsy.md, cited as R §n in the sources.
"""

import argparse
import json
import os
import signal
import sys
import threading

sys.dont_write_bytecode = True  # keep the source tree clean when run from it
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import api  # noqa: E402  (the modules of this folder, found through the path set above)
import control  # noqa: E402
import query  # noqa: E402
from auth import Quotas, Tokens  # noqa: E402
from common import ApiError, Clock  # noqa: E402
from server import Faults, Pipeline, Router, Server, Stats  # noqa: E402
from store import Store  # noqa: E402
from webhooks import Webhooks  # noqa: E402

LOOPBACK = ("127.0.0.1", "localhost")


class App:
    """Every part of the emulator, wired together; handlers reach the others through it."""

    def __init__(self, options):
        self.clock = Clock()
        self.store = Store(self.clock)
        self.tokens = Tokens(self.clock, options.client_id, options.client_secret, options.token_ttl)
        self.quotas = Quotas(self.clock, options.rate_limit)
        self.webhooks = Webhooks(self.clock)
        self.store.listeners.append(self.webhooks.notify)
        self.faults = Faults()
        self.stats = Stats()
        self.cache = query.QueryCache()
        self.router = Router()
        self.pipeline = Pipeline(self)  # the server's, and POST /v2/batch's for its sub-requests
        api.register(self)
        control.register(self)

    def reset(self):
        """Control reset: data, webhooks, faults, counters, clock. Tokens and quota limits stay."""
        self.store.reset()
        self.webhooks.reset()
        self.faults.clear()
        self.stats.reset()
        self.clock.set_offset(0)


def parse_options(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--client-id", default="relance-test-client")
    parser.add_argument("--client-secret", default="relance-test-secret")
    parser.add_argument("--token-ttl", type=int, default=3600,
                        help="access token lifetime in seconds (Sellsy's examples say 3600, R §1)")
    parser.add_argument("--rate-limit", type=int, default=5,
                        help="requests per second, with matching minute/day/month windows; 0 = off "
                             "(default 5, the documented v1 limit, R §4)")
    parser.add_argument("--seed-file", help="JSON data set to load at start (format in README.md)")
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    options = parser.parse_args(argv)
    if options.host not in LOOPBACK:
        parser.error("the emulator listens on loopback only")
    return options


def main(argv=None):
    options = parse_options(argv)
    app = App(options)
    if options.seed_file:
        with open(options.seed_file, encoding="utf-8") as handle:
            try:
                control.Control(app).load(json.load(handle))
            except ApiError as error:
                sys.exit(f"{options.seed_file}: {error.message} {json.dumps(error.details)}")
    server = Server((options.host, options.port), app.pipeline, app.stats, options.verbose)
    host, port = server.server_address[:2]
    app.store.base_url = f"http://{host}:{port}"
    stopping = threading.Event()

    def stop(signum, frame):
        if not stopping.is_set():
            stopping.set()
            # shutdown() waits for serve_forever(), which runs in this very thread: ask from another.
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"listening on {app.store.base_url}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        app.webhooks.stop()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
