"""POST /v2/batch (R §2): a `text/plain` body of NDJSON pairs, a request line
{"uri","method","query"?,"uuid"?} then a body line, answered 207
{"responses":[{"code":200,"response":{…}}],"error":false}.

Each sub-request goes through the same pipeline as a request of its own (quota, injected faults,
bearer check with the batch's Authorization header, routing, handler), so its answer, errors
included, is the one it would get alone. Choices where the research is silent, all [I]:
- `uri` is relative to the API base, like every path of R §2: "/contacts/42/companies" (not
  "/v2/…"); a query string in it is kept and `query` adds to it. `query` values are texts, numbers,
  booleans or arrays of them (an array repeats the name, as `field[]` needs);
- the body line is the sub-request's JSON body; a request without one (GET, DELETE) may send `{}`
  or a blank line (blank: no body; GET and DELETE ignore a body anyway);
- at most MAX_REQUESTS sub-requests (the real limit is not documented): 413 beyond;
- the quota counts the batch request once, like any request, and each sub-request once more; a
  sub-request past an exhausted window gets its own 429 inside the 207;
- `uuid` (a text) is echoed in its answer; `error` is true when any sub-request answered ≥ 400;
- a batch inside a batch is refused (400 for that sub-request); a `disconnect` fault on a
  sub-request drops the whole batch's connection.
"""

import json
import urllib.parse

from common import ApiError
from server import Request, Response

MAX_REQUESTS = 50  # [I] Sellsy documents no limit
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
REQUEST_KEYS = {"uri", "method", "query", "uuid"}
CONTENT_TYPES = ("text/plain", "application/x-ndjson")
SCALARS = (str, int, float, bool)


class SubRequest:
    def __init__(self, method, path, query, body, uuid):
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.uuid = uuid


def malformed(line, why):
    """400 with Sellsy's error body naming the line (1-based)."""
    return ApiError(400, f"Malformed batch: line {line} {why}", "batch.malformed", {f"line {line}": why})


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _query(line, uri, query):
    """The path of `uri` and its query string merged with `query`, as name -> [values]."""
    split = urllib.parse.urlsplit(uri)
    params = urllib.parse.parse_qs(split.query, keep_blank_values=True)
    if query is None:
        return split.path, params
    if not isinstance(query, dict):
        raise malformed(line, "has a query that is not a JSON object")
    for name, value in query.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, SCALARS) for v in values):
            raise malformed(line, f"has query.{name} that is not a text, number, boolean or an array of them")
        params.setdefault(name, []).extend(_text(v) for v in values)
    return split.path, params


def _request_line(line, text):
    try:
        spec = json.loads(text)
    except ValueError:
        raise malformed(line, "is not valid JSON") from None
    if not isinstance(spec, dict):
        raise malformed(line, "is not a JSON object")
    unknown = set(spec) - REQUEST_KEYS
    if unknown:
        raise malformed(line, "has unknown keys: " + ", ".join(sorted(unknown)))
    uri, method, uuid = spec.get("uri"), spec.get("method"), spec.get("uuid")
    if not isinstance(uri, str) or not uri.startswith("/"):
        raise malformed(line, "needs a uri starting with /")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise malformed(line, "needs a method among " + "|".join(METHODS))
    if uuid is not None and not isinstance(uuid, str):
        raise malformed(line, "has a uuid that is not a text")
    path, query = _query(line, uri, spec.get("query"))
    return method.upper(), path, query, uuid


def _body_line(line, text):
    text = text.strip()
    if not text:
        return b""
    try:
        json.loads(text)
    except ValueError:
        raise malformed(line, "is not valid JSON") from None
    return text.encode("utf-8")


def parse(body):
    """The sub-requests of a batch body, or an ApiError (400 malformed, 413 too many)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "Malformed batch: the body is not UTF-8", "batch.malformed") from None
    if not text.strip():
        raise ApiError(400, "Malformed batch: no request", "batch.malformed", {"body": "is empty"})
    lines = [line.rstrip("\r") for line in text.split("\n")]
    if text.endswith("\n"):
        lines.pop()  # the newline ending the last line opens no new one
    if len(lines) % 2:
        raise malformed(len(lines), "is a request line without its body line")
    if len(lines) // 2 > MAX_REQUESTS:
        raise ApiError(413, f"A batch holds at most {MAX_REQUESTS} requests, this one {len(lines) // 2}",
                       "batch.too_large")
    subs = []
    for index in range(0, len(lines), 2):
        method, path, query, uuid = _request_line(index + 1, lines[index])
        subs.append(SubRequest(method, path, query, _body_line(index + 2, lines[index + 1]), uuid))
    return subs


def _decoded(response):
    """A sub-request's answer as JSON: its body, or its text when it is not JSON (an injected
    garbage fault), or null when empty (204)."""
    if not response.body:
        return None
    try:
        return json.loads(response.body)
    except ValueError:
        return response.body.decode("utf-8", "replace")


def handle(app, request):
    if request.in_batch:
        raise ApiError(400, "A batch cannot hold another batch", "batch.nested")
    content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type not in CONTENT_TYPES:
        raise ApiError(400, "A batch body is text/plain NDJSON", "batch.content_type",
                       {"Content-Type": f"is {content_type or 'missing'}, not text/plain"})
    headers = {"Authorization": request.headers.get("Authorization"), "Content-Type": "application/json"}
    answers = []
    for sub in parse(request.body):
        inner = Request(sub.method, "/v2" + sub.path, sub.query, headers, sub.body, in_batch=True)
        response = app.pipeline.handle(inner)
        if response is None:
            return None
        app.stats.record_batched(sub.method, inner.route, response.status)
        answer = {"code": response.status, "response": _decoded(response)}
        if sub.uuid is not None:
            answer["uuid"] = sub.uuid
        answers.append(answer)
    return Response.json(207, {"responses": answers, "error": any(a["code"] >= 400 for a in answers)},
                         app.quotas.headers())
