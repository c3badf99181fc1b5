"""schemathesis hooks (SCHEMATHESIS_HOOKS=hooks): sign every generated request in, as one of two
clients of the app, chosen by FUZZ_AUTH:

- `bearer`: an API client (the body-mode server): `Authorization: Bearer <access token>`;
- `cookie`: a browser (the cookie-mode server): every cookie the sign-in page sets (the access,
  refresh and CSRF cookies, under whatever names the app gives them), and `X-CSRF-Token` equal to
  the CSRF cookie on every request.

The session is signed in again every REFRESH seconds and whenever a request answers 401: the fuzzer
itself signs it out now and then (logout, revoking sessions, a reused refresh token).
"""

import os
import re

import requests
import schemathesis

BASE_URL = os.environ["FUZZ_BASE_URL"]
MODE = os.environ["FUZZ_AUTH"]
EMAIL = os.environ["FUZZ_EMAIL"]
PASSWORD = os.environ["FUZZ_PASSWORD"]
REFRESH = 20


def sign_in_api():
    answer = requests.post(
        f"{BASE_URL}/api/auth/login", json={"email": EMAIL, "password": PASSWORD}, timeout=30
    )
    answer.raise_for_status()
    return {"access_token": answer.json()["access_token"]}


def sign_in_page():
    with requests.Session() as browser:
        form = browser.get(f"{BASE_URL}/login", timeout=30)
        form.raise_for_status()
        csrf = re.search(r'name="_csrf" value="([^"]+)"', form.text).group(1)
        answer = browser.post(
            f"{BASE_URL}/login",
            data={"email": EMAIL, "password": PASSWORD, "_csrf": csrf},
            allow_redirects=False,
            timeout=30,
        )
        if answer.status_code != 303:
            raise RuntimeError(f"sign-in page answered {answer.status_code}: {answer.text[:200]}")
        cookies = browser.cookies.get_dict()
    csrf = [value for name, value in cookies.items() if name.endswith("csrf_token")]
    if len(cookies) < 3 or not csrf:
        raise RuntimeError(f"sign-in set only the cookies {sorted(cookies)}")
    return {"cookies": cookies, "csrf": csrf[0]}


@schemathesis.auth(refresh_interval=REFRESH)
class SignedIn:
    def get(self, case, context):
        return sign_in_api() if MODE == "bearer" else sign_in_page()

    def set(self, case, data, context):
        headers = case.headers if case.headers is not None else {}
        if MODE == "bearer":
            # A stateful link may already carry the token of the session it follows.
            headers.setdefault("Authorization", f"Bearer {data['access_token']}")
        else:
            case.cookies = {**(case.cookies or {}), **data["cookies"]}
            headers["X-CSRF-Token"] = data["csrf"]
        case.headers = headers


@schemathesis.hook
def before_load_schema(context, raw_schema):
    """Cookie mode: the refresh token is the cookie, never in a body, so the document's links to
    `refresh` (written for body mode) carry no body here."""
    if MODE != "cookie":
        return
    for item in raw_schema.get("paths", {}).values():
        for operation in item.values():
            for answer in operation.get("responses", {}).values():
                for link in answer.get("links", {}).values():
                    if link.get("operationId") == "refresh":
                        link.pop("requestBody", None)
