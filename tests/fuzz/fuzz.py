"""schemathesis against the live app, every operation of /api/openapi.json, signed in.

Two passes, each on its own server (the app binary, a fresh SQLite file, a free loopback port):

- `cookie`: the default cookie mode, signed in as a browser is (the sign-in page's cookies, and
  `X-CSRF-Token` on every request);
- `bearer`: body mode (`refresh_token_as_cookie = false`), signed in as an API client is
  (`Authorization: Bearer`); here the stateful phase can follow every link of the document
  (sign in or up -> refresh -> refresh -> sessions -> revoke, sign up -> password change), since
  refresh tokens travel in the bodies.

Rate limits are off on these servers: the fuzzer signs in again whenever a request answers 401, and
under the real quotas most requests would be 429. The document still declares 429 (with
`Retry-After`) wherever a limit applies; tests/api/openapi.rs checks that, and the rate-limit tests
check the answers themselves.

    APP_BIN=target/debug/rocket-auth-template python fuzz.py     (tests/fuzz/run.sh does this)

Environment: FUZZ_MAX_EXAMPLES (cases per operation and phase, default 40), FUZZ_SEED.
"""

import collections
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
]
# The account the document's examples sign in with (`Credentials` in src/api/auth.rs).
EMAIL = "ada@example.com"
PASSWORD = "correct horse battery staple"
SECRET = "fuzz-tests-secret-fuzz-tests-secret-0123456789"
PASSES = {
    "cookie": {"ROCKET_REFRESH_TOKEN_AS_COOKIE": "true"},
    "bearer": {"ROCKET_REFRESH_TOKEN_AS_COOKIE": "false"},
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The app binary on a temp SQLite file and a free loopback port."""

    def __init__(self, binary, env):
        self.dir = tempfile.mkdtemp(prefix="rat-fuzz-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.binary = binary
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.env = {
            **os.environ,
            "ROCKET_PROFILE": "debug",
            "ROCKET_ADDRESS": "127.0.0.1",
            "ROCKET_PORT": str(self.port),
            "ROCKET_DATABASES": f'{{app={{url="sqlite://{self.dir}/app.db"}}}}',
            "ROCKET_JWT_SECRET": SECRET,
            "ROCKET_DATA_KEY": "ZnV6ei1kYXRhLWtleS1mdXp6LWRhdGEta2V5LTAxMjM=",
            "ROCKET_LOG_LEVEL": "critical",
            "ROCKET_CLI_COLORS": "false",
            "ROCKET_RATE_LIMIT_LOGIN_PER_IP": "off",
            "ROCKET_RATE_LIMIT_LOGIN_PER_ACCOUNT": "off",
            "ROCKET_RATE_LIMIT_REGISTER_PER_IP": "off",
            "ROCKET_RATE_LIMIT_REFRESH_PER_IP": "off",
            "ROCKET_RATE_LIMIT_MAIL_PER_IP": "off",
            "ROCKET_RATE_LIMIT_MAIL_PER_ADDRESS": "off",
            # Mails (verification, reset links, new-device alerts) go to the temp dir.
            "ROCKET_MAIL_OUTBOX_DIR": os.path.join(self.dir, "outbox"),
            **env,
        }
        self.process = subprocess.Popen(
            [binary], cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, env=self.env
        )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited with {self.process.returncode}:\n{self.output()}")
            try:
                requests.get(f"{self.url}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the app did not answer within 30 s:\n{self.output()}")
                time.sleep(0.1)

    def command(self, *args):
        """One of the binary's commands (`--help` lists them) on this server's database."""
        subprocess.run([self.binary, *args], cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)

    def output(self):
        self.log.flush()
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()[-4000:]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def statuses_seen(har_path):
    """{"GET /api/sessions": {200, 401}, ...} from the HAR of the run (documented methods only)."""
    with open(har_path, encoding="utf-8") as f:
        entries = json.load(f)["log"]["entries"]
    seen = collections.defaultdict(set)
    for entry in entries:
        request = entry["request"]
        path = re.sub(r"^https?://[^/]+", "", request["url"]).split("?")[0]
        path = re.sub(r"^/api/sessions/.+", "/api/sessions/{id}", path)
        path = re.sub(r"^/api/admin/users/[^/]+/sessions/[^/]+$", "/api/admin/users/{id}/sessions/{sid}", path)
        path = re.sub(r"^/api/admin/users/[^/]+", "/api/admin/users/{id}", path)
        path = re.sub(r"^/api/account/passkeys/(?!register/)[^/]+$", "/api/account/passkeys/{id}", path)
        seen[f"{request['method']} {path}"].add(entry["response"]["status"])
    return seen


def run_pass(name, binary, out_dir):
    server = Server(binary, PASSES[name])
    try:
        signed_up = requests.post(
            f"{server.url}/api/auth/register",
            json={"email": EMAIL, "password": PASSWORD, "name": "Ada"},
            timeout=30,
        )
        signed_up.raise_for_status()
        # An admin, so that /api/admin answers 2xx too. The last active admin can be neither
        # demoted, deactivated nor deleted (409 last_admin), so the fuzzer keeps the role.
        server.command("set-role", "--email", EMAIL, "--role", "admin")
        document = requests.get(f"{server.url}/api/openapi.json", timeout=30).json()
        report_dir = os.path.join(out_dir, name)
        command = [
            os.path.join(os.path.dirname(sys.executable), "schemathesis"),
            "run",
            f"{server.url}/api/openapi.json",
            "--checks", ",".join(CHECKS),
            # Any filter at all: without one, schemathesis leaves out the operation that serves
            # the document itself (GET /api/openapi.json).
            "--include-path-regex", "^/",
            "--phases", "examples,coverage,fuzzing,stateful",
            "--max-examples", os.environ.get("FUZZ_MAX_EXAMPLES", "40"),
            "--workers", "1",
            "--report", "json,har,junit",
            "--report-dir", report_dir,
            "--no-color",
        ]
        if os.environ.get("FUZZ_SEED"):
            command += ["--seed", os.environ["FUZZ_SEED"]]
        print(f"== schemathesis, {name} pass: {server.url}", flush=True)
        code = subprocess.call(
            command,
            cwd=HERE,
            env={
                **os.environ,
                "SCHEMATHESIS_HOOKS": "hooks",
                "PYTHONPATH": HERE,
                "FUZZ_BASE_URL": server.url,
                "FUZZ_AUTH": name,
                "FUZZ_EMAIL": EMAIL,
                "FUZZ_PASSWORD": PASSWORD,
            },
        )
        if code != 0:
            print(f"-- server log (tail):\n{server.output()}")
        return code, summarise(name, report_dir, document)
    finally:
        server.stop()


def summarise(name, report_dir, document):
    with open(glob.glob(os.path.join(report_dir, "json-*.json"))[0], encoding="utf-8") as f:
        report = json.load(f)
    seen = statuses_seen(glob.glob(os.path.join(report_dir, "har-*.json"))[0])
    problems = []
    # Signed in for real: every GET behind a token answered 2xx at least once. (Writes may not:
    # a revoke needs a live session id, a password change the current password.)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            label = f"{method.upper()} {path}"
            statuses = sorted(seen.get(label, ()))
            print(f"   {label:34} {' '.join(map(str, statuses))}")
            protected = any(alt for alt in operation.get("security", [{}]))
            if method == "get" and protected and not any(200 <= s < 300 for s in statuses):
                problems.append(f"{label} never answered 2xx: the fuzzer was not signed in")
            if not statuses:
                problems.append(f"{label} was never called")
    cases = report["test_cases"]
    failures = cases["unique_failures"] + cases["errored"] + len(report["errors"])
    print(
        f"schemathesis {name}: {report['operations']['tested']} operations, "
        f"{cases['generated']} cases, {failures} failures (seed {report['seed']})"
    )
    return failures + len(problems), problems


def main():
    binary = os.environ.get("APP_BIN") or os.path.join(ROOT, "target", "debug", "rocket-auth-template")
    out_dir = os.path.join(ROOT, "tests", "output", "fuzz")
    shutil.rmtree(out_dir, ignore_errors=True)
    passed = failed = 0
    for name in PASSES:
        code, (failures, problems) = run_pass(name, binary, out_dir)
        for problem in problems:
            print(f"!! {problem}")
        if code == 0 and failures == 0:
            passed += 1
        else:
            failed += 1
    print(f"reports in {os.path.relpath(out_dir, ROOT)}/")
    print(f"schemathesis: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
