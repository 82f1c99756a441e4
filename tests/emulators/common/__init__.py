"""Helpers shared by the emulators of tests/emulators (SMTP sink, SMS, postal).

    httpapi   JSON-over-HTTP plumbing: Request, Response, Router, the request pipeline, a
              ThreadingHTTPServer, a multipart/form-data parser, time formats
    faults    HTTP fault injection driven by a control API (error, rate_limit, unavailable, ...)
    webhooks  a timer thread and a webhook sender with retries and a delivery log
    process   loopback check, the one start line, clean stop on SIGTERM/SIGINT
    testing   what the self-tests share: start an emulator, HTTP calls, a callback receiver

Standard library only; run with Debian's /usr/bin/python3. The Sellsy emulator predates this
package and keeps its own copies.
"""
