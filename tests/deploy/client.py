"""An HTTP client as a browser or script uses the app: keeps its cookies, sends the CSRF header on
unsafe requests, and can connect from a chosen loopback address (the "real client" behind nginx).
"""

import base64
import http.client
import json
import ssl
import threading
import time
from urllib.parse import urlencode, urlsplit

PASSWORD = "correct horse battery"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0"


class Answer:
    def __init__(self, status, headers, body, seconds):
        self.status, self.headers, self.body, self.seconds = status, headers, body, seconds

    def json(self):
        return json.loads(self.body)

    @property
    def code(self):
        """The contract's error code, or None when the answer is not an error document."""
        try:
            return self.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return None

    @property
    def text(self):
        return self.body.decode(errors="replace")

    def __repr__(self):
        return f"<{self.status} {self.text[:200]!r}>"


class Client:
    """One connection (kept alive) to `base`, http:// or https://, with its own cookie jar."""

    def __init__(self, base, *, cafile=None, source_ip=None, user_agent=FIREFOX, timeout=30):
        url = urlsplit(base)
        self.https = url.scheme == "https"
        self.host, self.port = url.hostname, url.port
        self.cafile, self.source_ip, self.timeout = cafile, source_ip, timeout
        self.user_agent = user_agent
        self.cookies = {}
        self.conn = None

    def _connect(self):
        source = (self.source_ip, 0) if self.source_ip else None
        if self.https:
            context = ssl.create_default_context(cafile=self.cafile)
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                               source_address=source, context=context)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout,
                                          source_address=source)

    def cookie(self, suffix):
        """The cookie whose name ends with `suffix` (`refresh_token` or `__Host-refresh_token`)."""
        return next((v for k, v in self.cookies.items() if k.endswith(suffix)), None)

    def request(self, method, path, body=None, headers=None, bearer=None, form=None):
        """`body` is sent as JSON, `form` (a dict) as a page's form."""
        headers = {"User-Agent": self.user_agent, **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if form is not None:
            data = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            csrf = self.cookie("csrf_token")
            if method not in ("GET", "HEAD") and csrf:
                headers.setdefault("X-CSRF-Token", csrf)
        started = time.monotonic()
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = self._connect()
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server had closed: once more on a new one.
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        for raw in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = raw.partition("=")
            value = rest.split(";", 1)[0]
            attributes = rest.lower()
            if "max-age=0" in attributes or "expires=thu, 01 jan 1970" in attributes:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return Answer(response.status, response.headers, payload, time.monotonic() - started)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None

    # ------------------------------------------------------------ the contract's steps

    def register(self, email, password=PASSWORD):
        answer = self.post("/api/auth/register", {"email": email, "password": password})
        assert answer.status == 201, f"register {email}: {answer}"
        return answer.json()

    def login(self, email, password=PASSWORD):
        return self.post("/api/auth/login", {"email": email, "password": password})

    def refresh(self):
        """A cookie-mode refresh with this client's refresh cookie and CSRF token."""
        return self.post("/api/auth/refresh")

    def me(self, access_token):
        return self.get("/api/auth/me", bearer=access_token)


def jwt_claims(token):
    """The payload of a JWT, unverified (to read `jti` and `sid`)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def at_once(n, work):
    """Runs work(i) in n threads released together; the results in order."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        prepare = work(i)  # work returns a callable after its own set-up (connections open)
        barrier.wait()
        results[i] = prepare()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
