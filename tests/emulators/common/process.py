"""What every emulator process does the same way: refuse non-loopback hosts, print one start line,
serve until SIGTERM or SIGINT, then stop cleanly (exit status 0)."""

import signal
import sys
import threading

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_loopback(parser, host):
    """argparse error unless `host` is a loopback address."""
    if host not in LOOPBACK:
        parser.error("the emulator listens on loopback only (127.0.0.1, localhost or ::1)")


def serve_http(server):
    """Runs server.serve_forever() in a daemon thread; returns the function that stops it."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="http", daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop


def run_until_signal(start_line, stoppers):
    """Prints `start_line` (flushed), waits for SIGTERM/SIGINT, then calls each stopper in order."""
    stopping = threading.Event()

    def on_signal(signum, frame):
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(start_line, flush=True)
    while not stopping.wait(0.5):
        pass
    for stop in stoppers:
        try:
            stop()
        except Exception as error:  # a failing stopper must not keep the others from running
            print(f"stopping: {error!r}", file=sys.stderr)
    return 0
