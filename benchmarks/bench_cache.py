"""nbauth vs msal, side by side in one run: import time, silent cache hits, serialize/deserialize.

Run from the repository root (a few minutes; ``--quick`` stops at 10,000 tokens):

    .venv/bin/python benchmarks/bench_cache.py            # prints the table and writes benchmarks/RESULTS.md

What is measured (medians; ratio = nbauth / msal, below 1 means nbauth is faster):

(a) ``import nbauth`` / ``from nbauth import PublicClientApplication`` / ``import msal``, each in a fresh
    interpreter (``python -c``), minus the interpreter's own start-up. ``import nbauth`` is lazy by design
    (PEP 562): the application classes load on first use, hence the second row.
(b) A silent cache hit through each library's public API: ``acquire_token_silent(scopes, account)`` for a user
    token and ``acquire_token_for_client(scopes)`` for an app token, with the exact stored scope set and with
    a subset of the stored scopes ("superset" in the cache), at 1, 1,000, 10,000 and 100,000 cached access
    tokens. No network: both applications talk to a fake transport that serves discovery (fetched once,
    before timing) and counts token requests, which must stay at zero. The filler tokens have distinct scope
    sets; half belong to the signed-in user (same client, realm), half to other accounts.
(c) ``serialize()`` and ``deserialize()`` of those caches (each library its own output). nbauth builds its
    index lazily, so the first lookup after ``deserialize`` pays for it: shown as its own row.

Both caches are loaded from the same MSAL-format JSON. Secrets are 120 characters (real JWTs are longer, which
would make (c) slower for both libraries alike).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests
from requests.adapters import BaseAdapter

ENV, TENANT, CLIENT = "login.bench.example", "tenant-bench", "client-bench"
AUTHORITY = f"https://{ENV}/{TENANT}"
USER = "ada.tenant-bench"
USER_SCOPES = ["api://bench/Data.Read", "api://bench/Data.Write"]
APP_EXACT = ["api://bench/.default"]
APP_SUPERSET_STORED = ["api://bench2/.default", "api://bench2/Extra"]
SIZES = (1, 1_000, 10_000, 100_000)
CASES = {  # name: (kind, requested scopes)
    "user, exact scopes": ("user", USER_SCOPES),
    "user, superset stored": ("user", USER_SCOPES[:1]),
    "client credentials, exact": ("app", APP_EXACT),
    "client credentials, superset stored": ("app", APP_SUPERSET_STORED[:1]),
}


# -- the cache content ----------


def _at(home_account_id, target, expires_on, i):
    return {
        "credential_type": "AccessToken",
        "secret": f"at{i:07d}" + "x" * 111,
        "home_account_id": home_account_id,
        "environment": ENV,
        "client_id": CLIENT,
        "target": target,
        "realm": TENANT,
        "token_type": "Bearer",
        "cached_at": str(expires_on - 86400),
        "expires_on": str(expires_on),
        "extended_expires_on": str(expires_on),
    }


def _key(at):
    hid = at["home_account_id"] or ""
    return "-".join([hid, ENV, "AccessToken", CLIENT, TENANT, at["target"]]).lower()


def build_state(size: int) -> dict:
    """An MSAL-format cache with ``size`` access tokens (at least 3): the 3 looked up, plus fillers."""
    expires = int(time.time()) + 86400
    ats = []
    for i in range(3, max(size, 3)):
        owner = USER if i % 2 else f"user{i}.tenant-bench"
        ats.append(_at(owner, f"api://filler{i}/Data.Read openid profile", expires, i))
    # The tokens looked up were added last (the usual case: the newest token is the one needed), so a scan
    # in insertion order, like msal's, meets every filler first.
    ats += [
        _at(USER, " ".join(sorted(USER_SCOPES)), expires, 0),
        _at(None, " ".join(APP_EXACT), expires, 1),
        _at(None, " ".join(sorted(APP_SUPERSET_STORED)), expires, 2),
    ]
    state = {
        "AccessToken": {_key(at): at for at in ats},
        "RefreshToken": {
            f"{USER}-{ENV}-refreshtoken-{CLIENT}--": {
                "credential_type": "RefreshToken", "secret": "rt" + "x" * 118, "home_account_id": USER,
                "environment": ENV, "client_id": CLIENT, "target": "", "last_modification_time": str(expires),
            }
        },
        "Account": {
            f"{USER}-{ENV}-{TENANT}": {
                "home_account_id": USER, "environment": ENV, "realm": TENANT, "local_account_id": "ada",
                "username": "ada@bench.example", "authority_type": "MSSTS",
            }
        },
        "IdToken": {},
        "AppMetadata": {f"appmetadata-{ENV}-{CLIENT}": {"client_id": CLIENT, "environment": ENV}},
    }  # fmt: skip
    return state


# -- a transport without a network ----------


class FakeTransport(BaseAdapter):
    """Serves OIDC discovery for any authority; counts (and refuses) token requests."""

    def __init__(self) -> None:
        super().__init__()
        self.token_requests = 0

    def send(self, request, **kwargs):
        response = requests.Response()
        response.request, response.url = request, request.url
        response.headers["Content-Type"] = "application/json"
        if "openid-configuration" in request.url:
            base = request.url.split("/v2.0/")[0]
            body = {
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            }
            response.status_code = 200
        else:
            self.token_requests += 1
            body, response.status_code = {"error": "invalid_grant"}, 400
        response._content = json.dumps(body).encode()
        return response

    def close(self) -> None:
        pass


def session(transport: FakeTransport) -> requests.Session:
    s = requests.Session()
    s.mount("https://", transport)
    return s


# -- timing ----------


def import_times(runs: int) -> dict[str, float]:
    snippets = {
        "baseline": "pass",
        "import nbauth": "import nbauth",
        "from nbauth import PublicClientApplication": "from nbauth import PublicClientApplication",
        "import msal": "import msal",
    }
    samples: dict[str, list[float]] = {name: [] for name in snippets}
    for _ in range(runs):  # interleaved, so machine load affects all alike
        for name, code in snippets.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            samples[name].append(time.perf_counter() - start)
    base = statistics.median(samples.pop("baseline"))
    return {name: max(statistics.median(values) - base, 0.0) for name, values in samples.items()}


# -- the two libraries ----------


class Lib:
    """One library's apps over one cache."""

    def __init__(self, name: str, state_json: str) -> None:
        self.name = name
        self.transport = FakeTransport()
        if name == "msal":
            import msal

            self.cache = msal.SerializableTokenCache()
            self.cache.deserialize(state_json)
            extra = {"instance_discovery": False}
            public_cls, confidential_cls = msal.PublicClientApplication, msal.ConfidentialClientApplication
        else:
            import nbauth
            from nbauth.core.token_cache import SerializableTokenCache

            self.cache = SerializableTokenCache()
            self.cache.deserialize(state_json)
            extra = {}
            public_cls, confidential_cls = (
                nbauth.PublicClientApplication,
                nbauth.ConfidentialClientApplication,
            )
        common = {"authority": AUTHORITY, "token_cache": self.cache, "http_client": session(self.transport)}
        self.public = public_cls(CLIENT, **common, **extra)
        self.confidential = confidential_cls(CLIENT, client_credential="bench-secret", **common, **extra)
        (self.account,) = self.public.get_accounts()

    def hit(self, kind: str, scopes: list[str]) -> Callable[[], object]:
        if kind == "user":
            return lambda: self.public.acquire_token_silent(scopes, account=self.account)
        return lambda: self.confidential.acquire_token_for_client(scopes)

    def lookup(self, kind: str, scopes: list[str]) -> Callable[[], object]:
        """The cache lookup alone, as each library's application makes it."""
        account = USER if kind == "user" else None
        if self.name == "msal":
            query = {"client_id": CLIENT, "environment": ENV, "realm": TENANT, "home_account_id": account}
            return lambda: next(self.cache.search("AccessToken", target=scopes, query=query), None)
        return lambda: self.cache.find_access_token(
            client_id=CLIENT, environment=ENV, realm=TENANT, scopes=scopes, home_account_id=account,
            now=time.time(),
        )  # fmt: skip

    def check(self, kind: str, scopes: list[str]) -> None:
        result = self.hit(kind, scopes)()
        if not result or "access_token" not in result or self.transport.token_requests:
            raise SystemExit(f"{self.name}: no cache hit for {kind} {scopes}: {result}")


def bench_hits(sizes) -> dict[tuple[str, int], dict[str, float]]:
    results: dict[tuple[str, int], dict[str, float]] = {}
    for size in sizes:
        state_json = json.dumps(build_state(size))
        libs = [Lib("nbauth", state_json), Lib("msal", state_json)]
        for case, (kind, scopes) in CASES.items():
            calls = {}
            for lib in libs:
                lib.check(kind, scopes)
                calls[lib.name] = lib.hit(kind, scopes)
            budget = 0.1 if size < 100_000 else 0.4
            results[(case, size)] = interleaved_medians(calls, budget=budget)
            lookups = {lib.name: lib.lookup(kind, scopes) for lib in libs}
            results[(f"cache lookup only: {case}", size)] = interleaved_medians(lookups, budget=budget)
        del libs
        gc.collect()
        print(f"  hits at {size:>7,} tokens done", file=sys.stderr)
    return results


def interleaved_medians(calls: dict[str, Callable[[], object]], *, budget: float, repeats: int = 7):
    """Per-call medians, with the libraries' batches alternating so that machine load hits both alike."""
    batches = {}
    for name, fn in calls.items():
        start = time.perf_counter()
        fn()
        batches[name] = max(1, min(20_000, int(budget / max(time.perf_counter() - start, 1e-7))))
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, fn in calls.items():
            start = time.perf_counter()
            for _ in range(batches[name]):
                fn()
            samples[name].append((time.perf_counter() - start) / batches[name])
    return {name: statistics.median(values) for name, values in samples.items()}


def bench_serialization(sizes) -> dict[tuple[str, int], dict[str, float]]:
    results: dict[tuple[str, int], dict[str, float]] = {}
    for size in sizes:
        for row, values in _serialization_at(size).items():
            results[(row, size)] = values
        gc.collect()
        print(f"  serialization at {size:>7,} tokens done", file=sys.stderr)
    return results


def _serialization_at(size: int) -> dict[str, dict[str, float]]:
    import msal

    from nbauth.core.token_cache import SerializableTokenCache

    state_json = json.dumps(build_state(size))
    repeats = 5 if size >= 100_000 else 9
    caches = {"nbauth": SerializableTokenCache(), "msal": msal.SerializableTokenCache()}
    own = {}
    for name, cache in caches.items():
        cache.deserialize(state_json)
        own[name] = cache.serialize()
    rows: dict[str, dict[str, float]] = {
        "serialize": _alternating({name: cache.serialize for name, cache in caches.items()}, repeats),
        "deserialize": _alternating(
            {name: (lambda c=cache, s=own[name]: c.deserialize(s)) for name, cache in caches.items()}, repeats
        ),
    }
    del caches
    ours = SerializableTokenCache()
    ours.deserialize(state_json)
    ours_json = ours.serialize()

    def deserialize_and_look_up() -> None:
        ours.deserialize(ours_json)
        ours.find_access_token(
            client_id=CLIENT, environment=ENV, realm=TENANT, scopes=USER_SCOPES[:1], home_account_id=USER,
            now=time.time(),
        )  # fmt: skip

    rows["deserialize + first superset lookup"] = {"nbauth": _median_of(deserialize_and_look_up, repeats)}
    return rows


def _alternating(calls: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median single-call times, the libraries taking turns so that machine load hits both alike."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, fn in calls.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def _median_of(fn: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


# -- report ----------


def fmt(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def ratio(ours: float | None, theirs: float | None) -> str:
    if not ours or not theirs:
        return "n/a"
    value = ours / theirs
    return f"{value:.3f}" if value >= 0.001 else f"{value:.1e} ({theirs / ours:,.0f}x faster)"


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import msal

    import nbauth

    load = ""
    if hasattr(os, "getloadavg"):  # a shared machine: other work makes every number noisier
        load = "; load average {:.2f} {:.2f} {:.2f} when done".format(*os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} logical cores; Python {platform.python_version()} on {platform.system()} "
        f"{platform.release()}; nbauth {nbauth.__version__}, msal {msal.__version__}{load}"
    )


def report(imports, hits, serialization) -> str:
    lines = [
        "# nbauth vs msal: token cache benchmark",
        "",
        f"Machine: {machine()}.  ",
        f"Run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with "
        f"`.venv/bin/python benchmarks/bench_cache.py`. Medians; ratio = nbauth / msal (lower is better).",
        "",
        "## Import (fresh interpreter, minus interpreter start-up)",
        "",
        "| what | nbauth | msal (`import msal`) | ratio |",
        "|---|---|---|---|",
    ]
    msal_import = imports["import msal"]
    for name in ("import nbauth", "from nbauth import PublicClientApplication"):
        lines.append(
            f"| `{name}` | {fmt(imports[name])} | {fmt(msal_import)} | {ratio(imports[name], msal_import)} |"
        )
    lines += [
        "",
        "## Silent cache hit through the public API (no network)",
        "",
        "| case | cached ATs | nbauth | msal | ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    ordered = sorted(hits.items(), key=lambda item: (item[0][0].startswith("cache lookup only"), item[0][1]))
    for (case, size), values in ordered:
        ours, theirs = values.get("nbauth"), values.get("msal")
        lines.append(f"| {case} | {size:,} | {fmt(ours)} | {fmt(theirs)} | {ratio(ours, theirs)} |")
    lines += ["", "## Serialize / deserialize", "", "| operation | cached ATs | nbauth | msal | ratio |",
              "|---|---:|---:|---:|---:|"]  # fmt: skip
    for (operation, size), values in sorted(serialization.items(), key=lambda item: (item[0][0], item[0][1])):
        ours, theirs = values.get("nbauth"), values.get("msal")
        lines.append(f"| {operation} | {size:,} | {fmt(ours)} | {fmt(theirs)} | {ratio(ours, theirs)} |")
    lines += [
        "",
        "Notes: msal's `serialize()` writes indented JSON with the pure-Python encoder; nbauth writes the "
        "same JSON document compactly with the C encoder (msal reads it as is). `deserialize()` is one "
        "standard-library `json.loads` for both (nbauth's compact text is a little shorter, hence at best a "
        "small lead; orjson was tried and left out: it turns integers beyond 64 bits into floats, and "
        "checking for that costs what it saves). nbauth builds its scope index on the first lookup that "
        'needs it: the "deserialize + first superset lookup" rows. Exact-scope hits use the key in both '
        "libraries; a stored superset makes msal scan every access token, nbauth walks the smallest posting "
        "set of the requested scopes and memoises the answer. An nbauth application prepares each cache "
        'query (key, scope set, realm) once per account and scope list. The "cache lookup only" rows time '
        "the lookup each application makes (nbauth `find_access_token`, which builds the query and copies "
        "the entry; msal `TokenCache.search(...)` up to its first hit), without the application around it.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 10,000 only")
    parser.add_argument("--import-runs", type=int, default=9)
    parser.add_argument("--output", default=str(Path(__file__).with_name("RESULTS.md")), help="'-' for none")
    args = parser.parse_args()
    sizes = SIZES[:3] if args.quick else SIZES
    print("measuring imports...", file=sys.stderr)
    imports = import_times(args.import_runs)
    print("measuring cache hits...", file=sys.stderr)
    hits = bench_hits(sizes)
    print("measuring serialization...", file=sys.stderr)
    serialization = bench_serialization(sizes)
    text = report(imports, hits, serialization)
    print(text)
    if args.output != "-":
        Path(args.output).write_text(text)


if __name__ == "__main__":
    main()
