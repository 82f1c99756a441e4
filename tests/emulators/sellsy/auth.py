"""OAuth2 token issuing (R §1) and the per-account request quotas (R §4)."""

import base64
import calendar
import hashlib
import math
import secrets
import threading
import time
import urllib.parse

from common import ApiError

REFRESH_TOKEN_TTL = 60 * 86400  # "refresh token 60 days" (R §1)
AUTHORIZATION_CODE_TTL = 600    # "authorization code 10 min" (R §1)


class OAuthError(Exception):
    """Token-endpoint errors are OAuth-style {"error","error_description"} (R §1), not Sellsy's."""

    def __init__(self, status, error, description):
        super().__init__(description)
        self.status = status
        self.body = {"error": error, "error_description": description}


class Tokens:
    def __init__(self, clock, client_id, client_secret, ttl):
        self.clock = clock
        self.client_id = client_id
        self.client_secret = client_secret
        self.ttl = ttl
        self._lock = threading.Lock()
        self._access = {}   # access token -> expiry (epoch)
        self._refresh = {}  # refresh token -> expiry
        self._codes = {}    # authorization code -> (code_challenge, redirect_uri, expiry)
        self.issued = 0

    # -- the login host: /oauth2/authorization and /oauth2/access-tokens -------------------------

    def authorize(self, query):
        """GET /oauth2/authorization: consent is implied, so it answers the redirect at once.
        PKCE with S256 is mandatory (R §1). Returns the Location to redirect to."""
        def one(name):
            return query.get(name, [None])[0]
        if one("response_type") != "code" or one("client_id") != self.client_id:
            raise OAuthError(400, "invalid_request", "response_type=code and a known client_id are required")
        if not one("redirect_uri") or not one("code_challenge") or one("code_challenge_method") != "S256":
            raise OAuthError(400, "invalid_request", "redirect_uri and a S256 code_challenge are required")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = (one("code_challenge"), one("redirect_uri"),
                                 self.clock.now() + AUTHORIZATION_CODE_TTL)
        answer = {"code": code, **({"state": one("state")} if one("state") else {})}
        separator = "&" if "?" in one("redirect_uri") else "?"
        return one("redirect_uri") + separator + urllib.parse.urlencode(answer)

    def grant(self, form):
        """POST /oauth2/access-tokens with a JSON or form body already decoded to `form`."""
        grant_type = form.get("grant_type")
        if form.get("client_id") != self.client_id:
            raise OAuthError(401, "invalid_client", "Client authentication failed")
        if grant_type == "client_credentials":
            self._check_secret(form)
            return self._issue(with_refresh=False)
        if grant_type == "authorization_code":
            self._redeem_code(form)
            return self._issue(with_refresh=True)
        if grant_type == "refresh_token":
            self._check_secret(form)
            with self._lock:
                expiry = self._refresh.pop(form.get("refresh_token"), None)
            if expiry is None or expiry < self.clock.now():
                raise OAuthError(400, "invalid_grant", "The refresh token is invalid.")
            # [I] Refresh tokens rotate: the one used is spent and a new one is returned.
            return self._issue(with_refresh=True)
        raise OAuthError(400, "unsupported_grant_type", "The authorization grant type is not supported.")

    def _check_secret(self, form):
        if form.get("client_secret") != self.client_secret:
            raise OAuthError(401, "invalid_client", "Client authentication failed")

    def _redeem_code(self, form):
        with self._lock:
            entry = self._codes.pop(form.get("code"), None)
        verifier = form.get("code_verifier") or ""
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if (entry is None or entry[2] < self.clock.now() or entry[0] != challenge
                or entry[1] != form.get("redirect_uri")):
            raise OAuthError(400, "invalid_grant", "The authorization code is invalid.")

    def _issue(self, with_refresh):
        token = secrets.token_urlsafe(32)
        answer = {"token_type": "Bearer", "expires_in": self.ttl, "access_token": token}
        with self._lock:
            self._access[token] = self.clock.now() + self.ttl
            self.issued += 1
            if with_refresh:
                answer["refresh_token"] = secrets.token_urlsafe(32)
                self._refresh[answer["refresh_token"]] = self.clock.now() + REFRESH_TOKEN_TTL
        return answer

    # -- the API host --------------------------------------------------------------------------

    def check(self, authorization):
        """Raises the 401 of R §4 unless `authorization` is "Bearer <live token>"."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "Authentication required: send Authorization: Bearer <access_token>",
                           "auth.missing_token")
        with self._lock:
            expiry = self._access.get(token.strip())
        if expiry is None:
            raise ApiError(401, "Invalid access token", "auth.invalid_token")
        if expiry <= self.clock.now():
            raise ApiError(401, "The access token has expired", "auth.expired_token")

    def expire_all(self):
        """Control API: every access token issued so far expires now (refresh tokens survive)."""
        with self._lock:
            now = self.clock.now()
            self._access = {token: min(expiry, now) for token, expiry in self._access.items()}


# ---------------------------------------------------------------------------------------------

WINDOWS = ("second", "minute", "day", "month")
HEADER = {"second": "X-Quota-Remaining-By-Second", "minute": "X-Quota-Remaining-By-Minute",
          "day": "X-Quota-Remaining-By-Day", "month": "X-Quota-Remaining-By-Month"}
# [I] What Sellsy sends for an unlimited window is unknown; a large constant keeps the header an
# integer, as a client parsing it expects.
UNLIMITED_REMAINING = 999999999


def window_key(window, epoch):
    if window == "second":
        return int(epoch)
    if window == "minute":
        return int(epoch // 60)
    if window == "day":
        return int(epoch // 86400)
    moment = time.gmtime(epoch)
    return moment.tm_year * 12 + moment.tm_mon


def window_end(window, epoch):
    if window == "second":
        return math.floor(epoch) + 1
    if window == "minute":
        return (epoch // 60 + 1) * 60
    if window == "day":
        return (epoch // 86400 + 1) * 86400
    moment = time.gmtime(epoch)
    year, month = (moment.tm_year + 1, 1) if moment.tm_mon == 12 else (moment.tm_year, moment.tm_mon + 1)
    return float(calendar.timegm((year, month, 1, 0, 0, 0)))


class Quotas:
    """Fixed windows per second, minute, day and month, as R §4 lists them. Every API request counts,
    failed ones too; a request refused with 429 does not (the window is already at zero)."""

    def __init__(self, clock, per_second):
        self.clock = clock
        self._lock = threading.Lock()
        self.set_per_second(per_second)

    def set_per_second(self, per_second):
        """--rate-limit N: N a second, and the matching day total (5/s ↔ 432 000/day, R §4). 0 = off."""
        if per_second:
            self.set_limits({"second": per_second, "minute": per_second * 60,
                             "day": per_second * 86400, "month": per_second * 86400 * 31})
        else:
            self.set_limits(dict.fromkeys(WINDOWS))

    def set_limits(self, limits):
        with self._lock:
            self.limits = {window: limits.get(window) for window in WINDOWS}
            self._used = {window: (None, 0) for window in WINDOWS}  # window -> (window key, used)

    def _used_now(self, window, now):
        key, used = self._used[window]
        return used if key == window_key(window, now) else 0

    def hit(self):
        """Counts one request. Returns (headers, retry_after): retry_after is None when allowed."""
        now = self.clock.now()
        with self._lock:
            exhausted = [w for w in WINDOWS
                         if self.limits[w] is not None and self._used_now(w, now) >= self.limits[w]]
            if not exhausted:
                for window in WINDOWS:
                    self._used[window] = (window_key(window, now), self._used_now(window, now) + 1)
            headers = self._headers(now)
        if exhausted:
            return headers, max(1, math.ceil(max(window_end(w, now) for w in exhausted) - now))
        return headers, None

    def _headers(self, now):
        return {HEADER[w]: str(UNLIMITED_REMAINING if self.limits[w] is None
                               else max(0, self.limits[w] - self._used_now(w, now))) for w in WINDOWS}

    def headers(self):
        with self._lock:
            return self._headers(self.clock.now())

    def report(self):
        """GET /quotas: {"api_rate_seconds":{"limit":int|null,"used":int},…} (R §4)."""
        now = self.clock.now()
        with self._lock:
            return {f"api_rate_{w}s": {"limit": self.limits[w], "used": self._used_now(w, now)} for w in WINDOWS}
