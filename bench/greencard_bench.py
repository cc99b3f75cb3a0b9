#!/usr/bin/env python3
"""Green card verification benchmark (issue 7): offline library speed, and the HTTP API under gunicorn.

    python bench/greencard_bench.py                 # SQLite in a temporary directory
    python bench/greencard_bench.py --database-url postgres://USER@HOST:5432/gcbench   # an EMPTY database
    python bench/greencard_bench.py --json          # raw figures
    python bench/greencard_bench.py --configs gthread:2x1,gthread:3x2 --modes m2m,session --generator auto

What it does:
1. offline: ``onestop.greencards.credential.verify`` and the standalone ``docs/greencard_verify.py`` in one process
   (one core), N verifications of a real token against the published key set;
2. sets up a fresh database with production settings (migrate, one partner, C checkers with TOTP devices, signed-in
   sessions that passed the second factor and K API keys each, cards issued by the real service);
3. for each gunicorn configuration (gthread workers × threads; sync workers are left out because they close the
   connection after every answer) and each mode — ``m2m`` (``POST /api/m2m/greencards/verify`` with an API key,
   rotating over all keys; the per-key limit at its default so its count runs and does not refuse) and ``session``
   (``POST /api/v1/greencards/verify`` by a signed-in checker: session, CSRF, OTP, roles, ninja; per-checker limit
   raised) — it starts gunicorn on loopback and measures:
   * saturation with ``wrk`` when installed (C, one thread, a Lua script for the POST bodies; its CPU use is
     reported), else closed-loop Python clients → sustained verifications/s and latency percentiles (closed loop:
     latency under saturation is indicative only);
   * a fixed rate (default 200/s) with an open-loop Python client in a few processes — wrk 4 has no fixed-rate mode —
     latency measured from the scheduled send time, so a stall is not hidden; its CPU use is reported too.

Everything runs on this machine: the load generator shares the cores with the server (as in the issue), and so does
whatever else runs there — the load average before and after each run is in the output.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing as mp
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _kek() -> str:
    return "bench:" + base64.b64encode(secrets.token_bytes(32)).decode()


def _env(database_url: str, workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url,
            "ONESTOP_FIELD_KEYS": "b1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "ONESTOP_BLIND_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "ONESTOP_GREENCARD_KEYS": _kek(),
            "SECURE_SSL_REDIRECT": "0",
            # Production requires a shared cache for its rate limits; neither verification path reads the cache
            # (both count attempts over the scan log), so a per-process one does not change what is measured.
            "CACHE_URL": os.environ.get("GREENCARD_BENCH_CACHE_URL", "locmem://"),
            "GREENCARD_VERIFY_RATE_PER_MINUTE": "100000",
            # The default per-key limit: with 256 keys in rotation no key reaches it below ~2,500/s in total, so
            # the limit's count runs over a realistic window and does not refuse.
            "GREENCARD_M2M_RATE_PER_MINUTE": "600",
            "MEDIA_ROOT": str(workdir / "media"),
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


# --- offline -----------------------------------------------------------------------------------------------------------


def bench_offline(n: int) -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from onestop.greencards import credential

    key = Ed25519PrivateKey.generate()
    now = int(time.time())
    token = credential.sign(
        private_key=key,
        kid="gk-bench",
        card_id="ABCDEFGH2345",
        card_class="B",
        not_before=now - 86400,
        expires=now + 86400 * 365,
    )
    jwks = {"keys": [credential.public_jwk("gk-bench", key.public_key())]}
    keys = credential.keys_from_jwks(jwks)
    out: dict[str, Any] = {"token_length": len(token)}
    for name, fn in (("library", lambda: credential.verify(token, keys=keys, now=now)),):
        for _i in range(500):
            fn()
        best = 0.0
        for _r in range(3):
            start = time.perf_counter()
            for _i in range(n):
                fn()
            best = max(best, n / (time.perf_counter() - start))
        out[f"{name}_per_second"] = round(best)
    sys.path.insert(0, str(ROOT / "docs"))
    import greencard_verify as script

    skeys = script.load_keys(jwks)
    best = 0.0
    for _r in range(3):
        start = time.perf_counter()
        for _i in range(n):
            script.verify(token, skeys, {}, now)
        best = max(best, n / (time.perf_counter() - start))
    out["script_per_second"] = round(best)
    # Where the time goes: the Ed25519 signature check alone.
    head, body, sig = token.split(".")
    raw = credential.b64url_decode(sig)
    public = keys["gk-bench"]
    start = time.perf_counter()
    for _i in range(n):
        public.verify(raw, f"{head}.{body}".encode())
    out["ed25519_only_per_second"] = round(n / (time.perf_counter() - start))
    return out


# --- fixture data --------------------------------------------------------------------------------------------------


def setup_data(checkers: int, cards: int, keys_per_checker: int) -> dict[str, Any]:
    """Runs in a child process with the bench environment (production settings, the bench database)."""
    import django

    django.setup()
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.middleware.csrf import _get_new_csrf_string
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from onestop.core.choices import AccountType, Role
    from onestop.core.models import PartnerOrganization, RoleAssignment, User
    from onestop.greencards.services import api_key_create, card_issue

    call_command("migrate", verbosity=0, interactive=False)
    partner = PartnerOrganization.objects.create(code="bench_hospital", name="压测医院", kind="hospital")
    sessions = []
    api_keys = []
    for i in range(checkers):
        user = User(username=f"bench_checker_{i}", real_name=f"核验员{i}", account_type=AccountType.PARTNER)
        user.set_unusable_password()
        user.save()
        RoleAssignment.objects.create(user=user, role=Role.PARTNER_CHECKER, partner=partner)
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        store = SessionStore()
        now = time.time()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "onestop.core.auth.PhoneOrUsernameBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id
        store["onestop_auth_at"] = now
        store["onestop_last_seen"] = now + 3600  # no idle-time rewrite during the run
        store.create()
        sessions.append({"session": store.session_key, "csrf": _get_new_csrf_string()})
        for k in range(keys_per_checker):
            api_keys.append(api_key_create(checker=user, name=f"扫码枪{k}", actor=user).secret)
    tokens = []
    today = timezone.localdate()
    for i in range(cards):
        holder = User(account_type=AccountType.TALENT, real_name=f"人才{i}")
        holder.set_phone(f"1380000{i:04d}")
        holder.set_unusable_password()
        holder.save()
        RoleAssignment.objects.create(user=holder, role=Role.TALENT)
        card = card_issue(
            holder=holder,
            card_class="BC"[i % 2],
            valid_from=today - timedelta(days=1),
            valid_until=today + timedelta(days=365),
        )
        tokens.append(card.token)
    return {
        "sessions": sessions,
        "api_keys": api_keys,
        "tokens": tokens,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
    }


def _setup_child(env: dict[str, str], checkers: int, cards: int, keys_per_checker: int, queue: Any) -> None:
    os.environ.clear()
    os.environ.update(env)
    queue.put(setup_data(checkers, cards, keys_per_checker))


# --- in process (no sockets): where the server's time goes ---------------------------------------------------------


def _wsgi_environ(path: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    import io

    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    return environ


def bench_inprocess(args: argparse.Namespace) -> dict[str, Any]:
    """The m2m request through the WSGI application in this process, without gunicorn or sockets: CPU per request of
    the lean path (``config.wsgi.application``) and of Django's full handler, and optionally a cProfile listing."""
    workdir = Path(tempfile.mkdtemp(prefix="gcbench-inproc-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.update(_env(database_url, workdir))
    fixture = setup_data(args.checkers, args.cards, args.keys_per_checker)
    from django.core.wsgi import get_wsgi_application

    from config.wsgi import application as lean

    pipelines = {"wsgi": lean, "django": get_wsgi_application()}
    statuses: dict[str, int] = {}

    def one(app: Any, i: int) -> None:
        body = json.dumps({"token": fixture["tokens"][(i * 7) % len(fixture["tokens"])]}).encode()
        environ = _wsgi_environ(PATHS["m2m"], body, _headers(fixture, i, "m2m"))
        seen: list[str] = []
        result = app(environ, lambda status, headers, exc_info=None: seen.append(status))
        try:
            payload = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        if not seen[0].startswith("200") or b'"valid"' not in payload[:40]:
            statuses[seen[0]] = statuses.get(seen[0], 0) + 1

    out: dict[str, Any] = {
        "database": "postgresql" if database_url.startswith("postgres") else "sqlite",
        "requests": args.inprocess,
    }
    try:
        for name, app in pipelines.items():
            for i in range(300):
                one(app, i)
            best_cpu = best_wall = float("inf")
            for _r in range(3):
                cpu0, wall0 = time.process_time(), time.perf_counter()
                for i in range(args.inprocess):
                    one(app, i)
                best_cpu = min(best_cpu, (time.process_time() - cpu0) / args.inprocess)
                best_wall = min(best_wall, (time.perf_counter() - wall0) / args.inprocess)
            out[name] = {
                "cpu_ms_per_request": round(best_cpu * 1000, 3),
                "wall_ms_per_request": round(best_wall * 1000, 3),
            }
        if args.profile:
            import cProfile
            import io as _io
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            for i in range(args.inprocess):
                one(lean, i)
            profiler.disable()
            text = _io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats(args.profile).print_stats(40)
            out["profile"] = text.getvalue()
        out["unexpected_statuses"] = statuses
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return out


# --- load generation ------------------------------------------------------------------------------------------------

PATHS = {"m2m": "/api/m2m/greencards/verify", "session": "/api/v1/greencards/verify"}


def _headers(fixture: dict[str, Any], i: int, mode: str) -> dict[str, str]:
    if mode == "m2m":
        key = fixture["api_keys"][i % len(fixture["api_keys"])]
        return {"Content-Type": "application/json", "Host": "127.0.0.1", "Authorization": f"Bearer {key}"}
    s = fixture["sessions"][i % len(fixture["sessions"])]
    return {
        "Content-Type": "application/json",
        "Host": "127.0.0.1",
        "X-CSRFToken": s["csrf"],
        "Cookie": f"{fixture['session_cookie']}={s['session']}; {fixture['csrf_cookie']}={s['csrf']}",
    }


def _cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _closed_loop(
    port: int, fixture: dict[str, Any], mode: str, worker: int, connections: int, duration: float, out: Any
) -> None:
    """Python fallback for saturation when wrk is absent: one process, ``connections`` persistent connections
    interleaved; each sends its next request as soon as its previous answer is read."""
    import selectors as sel

    tokens = fixture["tokens"]
    url = PATHS[mode]
    latencies: list[float] = []
    errors = 0
    conns = []
    cpu0 = _cpu()
    for c in range(connections):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conns.append((conn, worker * connections + c))
    selector = sel.DefaultSelector()
    pending: dict[int, tuple[Any, float]] = {}
    n = 0
    first_error = ""

    def send(index: int) -> None:
        nonlocal n
        conn, slot = conns[index]
        body = json.dumps({"token": tokens[n % len(tokens)]}).encode()
        n += 1
        conn.putrequest("POST", url, skip_host=True, skip_accept_encoding=True)
        for k, v in _headers(fixture, slot + n * 7, mode).items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        pending[index] = (conn, time.perf_counter())

    for index in range(connections):
        selector.register(conns[index][0].sock, sel.EVENT_READ, index)
        send(index)
    end = time.perf_counter() + duration
    while pending:
        for key, _mask in selector.select(timeout=1):
            index = key.data
            conn, started = pending.pop(index)
            response = conn.getresponse()
            payload = response.read()
            latencies.append(time.perf_counter() - started)
            if response.status != 200 or b'"valid"' not in payload[:40]:
                errors += 1
                if errors == 1:
                    first_error = f"{response.status} {payload[:300]!r}"
            if time.perf_counter() < end:
                send(index)
    out.put(
        {"latencies": latencies, "errors": errors, "first_error": first_error, "cpu_seconds": _cpu() - cpu0}
    )


def _open_loop(
    port: int, fixture: dict[str, Any], mode: str, worker: int, rate: float, duration: float, out: Any
) -> None:
    """Send on a fixed schedule; latency counts from the scheduled time (no coordinated omission). wrk 4 has no
    fixed-rate mode (wrk2 has), so this one is Python; its own CPU use is reported."""
    tokens = fixture["tokens"]
    url = PATHS[mode]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    errors = 0
    first_error = ""
    interval = 1.0 / rate
    cpu0 = _cpu()
    start = time.perf_counter() + 0.2
    total = int(rate * duration)
    for i in range(total):
        scheduled = start + i * interval
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        body = json.dumps({"token": tokens[(worker * 7919 + i) % len(tokens)]}).encode()
        try:
            conn.request("POST", url, body=body, headers=_headers(fixture, worker * 7919 + i, mode))
            response = conn.getresponse()
            payload = response.read()
            ok = response.status == 200 and b'"valid"' in payload[:40]
            if not ok and not first_error:
                first_error = f"{response.status} {payload[:300]!r}"
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            ok = False
            first_error = first_error or repr(exc)
        latencies.append(time.perf_counter() - scheduled)
        errors += not ok
    out.put(
        {"latencies": latencies, "errors": errors, "first_error": first_error, "cpu_seconds": _cpu() - cpu0}
    )


def _summary(parts: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    lat = sorted(x for p in parts for x in p["latencies"])
    errors = sum(p["errors"] for p in parts)

    def pct(q: float) -> float:
        return round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000, 2) if lat else float("nan")

    cpu = sum(p.get("cpu_seconds", 0.0) for p in parts)
    return {
        "generator": "python",
        "requests": len(lat),
        "errors": errors,
        "seconds": round(seconds, 2),
        "per_second": round(len(lat) / seconds, 1),
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": round(lat[-1] * 1000, 2) if lat else None,
        "mean_ms": round(statistics.fmean(lat) * 1000, 2) if lat else None,
        "generator_cpu_share": round(cpu / seconds, 2),  # in cores
        "first_error": next((p["first_error"] for p in parts if p.get("first_error")), ""),
    }


def _run_procs(target: Any, args_list: list[tuple[Any, ...]]) -> tuple[list[dict[str, Any]], float]:
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*a, queue)) for a in args_list]
    start = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get(timeout=600) for _p in procs]
    for p in procs:
        p.join()
    return results, time.perf_counter() - start


# --- wrk (saturation without a Python load generator on the same cores) --------------------------------------------

WRK_LUA = r"""
local keys = {%(keys)s}
local tokens = {%(tokens)s}
local session = {%(session)s}
local path = "%(path)s"
local n = 0
local offset = 0
function init(args) offset = math.random(1, 100000) end
function request()
  n = n + 1
  local i = n + offset
  local headers = {["Content-Type"] = "application/json", ["Host"] = "127.0.0.1"}
  if #keys > 0 then
    headers["Authorization"] = "Bearer " .. keys[(i %% #keys) + 1]
  else
    local s = session[(i %% #session) + 1]
    headers["X-CSRFToken"] = s[2]
    headers["Cookie"] = s[1]
  end
  return wrk.format("POST", path, headers, '{"token":"' .. tokens[((i * 7) %% #tokens) + 1] .. '"}')
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,' ..
    '"max_us":%%d,"mean_us":%%.1f,"non_2xx":%%d,"connect_errors":%%d,"read_errors":%%d,"timeouts":%%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, e.status, e.connect, e.read, e.timeout))
end
"""


def _lua_list(items: list[str]) -> str:
    return ", ".join(json.dumps(x) for x in items)


def _wrk(
    port: int,
    fixture: dict[str, Any],
    mode: str,
    threads: int,
    connections: int,
    duration: float,
    workdir: Path,
) -> dict[str, Any]:
    import resource

    if mode == "m2m":
        keys, session = _lua_list(fixture["api_keys"]), ""
    else:
        keys = ""
        cookies = [
            f"{fixture['session_cookie']}={s['session']}; {fixture['csrf_cookie']}={s['csrf']}"
            for s in fixture["sessions"]
        ]
        session = ", ".join(
            f"{{{json.dumps(c)}, {json.dumps(s['csrf'])}}}"
            for c, s in zip(cookies, fixture["sessions"], strict=True)
        )
    script = workdir / f"verify_{mode}.lua"
    script.write_text(
        WRK_LUA
        % {"keys": keys, "tokens": _lua_list(fixture["tokens"]), "session": session, "path": PATHS[mode]}
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{int(duration)}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{PATHS[mode]}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRKJSON "))
    raw = json.loads(line[len("WRKJSON ") :])
    wall = raw["duration_us"] / 1e6
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "generator": f"wrk -t{threads} -c{connections}",
        "requests": raw["requests"],
        "errors": raw["non_2xx"] + raw["connect_errors"] + raw["read_errors"] + raw["timeouts"],
        "seconds": round(wall, 2),
        "per_second": round(raw["requests"] / wall, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "mean_ms": round(raw["mean_us"] / 1000, 2),
        "generator_cpu_share": round(cpu / seconds, 2),
        "raw": raw,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(port: int, deadline: float = 60) -> None:
    end = time.time() + deadline
    while time.time() < end:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/.well-known/greencard/jwks.json", headers={"Host": "127.0.0.1"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start")


def _check_one(port: int, fixture: dict[str, Any], mode: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(
        "POST",
        PATHS[mode],
        body=json.dumps({"token": fixture["tokens"][0]}).encode(),
        headers=_headers(fixture, 0, mode),
    )
    response = conn.getresponse()
    payload = response.read()
    if response.status != 200 or b'"valid"' not in payload[:40]:
        raise SystemExit(f"{mode}: the first verification failed: {response.status} {payload[:300]!r}")
    if mode == "m2m" and response.getheader("Set-Cookie"):
        raise SystemExit("m2m: the answer set a cookie")


def _server(
    port: int, env: dict[str, str], worker_class: str, workers: int, threads: int
) -> subprocess.Popen[bytes]:
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    command = [
        gunicorn,
        "config.wsgi:application",
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        str(workers),
        "-k",
        worker_class,
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
        "--backlog",
        "2048",
    ]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )


def _server_cpu(master: int) -> float:
    """CPU seconds (user + system) of the gunicorn master and its workers so far, from /proc (Linux)."""
    total = 0
    pids = [master]
    try:
        pids += [int(x) for x in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return float("nan")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _pg_backends(database_url: str) -> tuple[list[int], int]:
    """The PostgreSQL server processes serving the bench database (client backends other than this probe's own) and
    the number of sessions the database has seen (pg_stat_database.sessions, PostgreSQL ≥ 14): a session count that
    does not move during a run means the workers reused their connections."""
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        pids = [
            int(row[0])
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
        ]
        row = conn.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()").fetchone()
    return pids, int(row[0]) if row else -1


def _pids_cpu(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) of each live process in ``pids``, from /proc (Linux)."""
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def _configs(spec: str) -> list[tuple[str, int, int]]:
    """ "sync:3,gthread:2x4" → [("sync", 3, 1), ("gthread", 2, 4)]."""
    out = []
    for part in spec.split(","):
        kind, _sep, size = part.strip().partition(":")
        workers, _x, threads = size.partition("x")
        out.append((kind, int(workers), int(threads or 1)))
    return out


def _await_fixture(child: Any, queue: Any, deadline: float = 900) -> dict[str, Any]:
    """The setup child's fixture; stop at once (with its exit code) if the child dies instead of answering."""
    import queue as queue_module

    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            return dict(queue.get(timeout=2))
        except queue_module.Empty:
            if not child.is_alive():
                raise SystemExit(
                    f"the fixture setup failed (exit code {child.exitcode}); see its traceback above"
                )
    raise SystemExit("the fixture setup did not finish in time")


def bench_http(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="gcbench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    env = _env(database_url, workdir)
    env["DJANGO_SETTINGS_MODULE"] = args.settings.split(",")[0]  # the fixture is made with the first
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(
        target=_setup_child, args=(env, args.checkers, args.cards, args.keys_per_checker, queue)
    )
    child.start()
    fixture = _await_fixture(child, queue)
    child.join()
    postgres = database_url.startswith("postgres")
    use_wrk = args.generator == "wrk" or (args.generator == "auto" and shutil.which("wrk") is not None)
    runs = []
    try:
        variants = [(c, m, v) for c in _configs(args.configs) for m in args.modes.split(",")
                    for v in args.settings.split(",")]
        for (worker_class, workers, threads), mode, settings_module in variants:
            port = _free_port()
            server = _server(port, {**env, "DJANGO_SETTINGS_MODULE": settings_module}, worker_class, workers,
                             threads)
            try:
                _wait_up(port)
                _check_one(port, fixture, mode)
                run: dict[str, Any] = {
                    "mode": mode,
                    "settings": settings_module,
                    "path": PATHS[mode],
                    "gunicorn": {"worker_class": worker_class, "workers": workers, "threads": threads},
                    "load_before": [round(x, 2) for x in os.getloadavg()],
                }
                # Warm-up: every worker loads its code, keys and connections.
                _run_procs(_open_loop, [(port, fixture, mode, w, 50.0, 2.0) for w in range(2)])
                cpu0 = _server_cpu(server.pid)
                if postgres:
                    backends, sessions0 = _pg_backends(database_url)
                    backend_cpu0 = _pids_cpu(backends)
                if use_wrk:
                    run["saturation"] = _wrk(
                        port,
                        fixture,
                        mode,
                        args.wrk_threads,
                        args.wrk_connections,
                        args.duration,
                        workdir,
                    )
                else:
                    parts, seconds = _run_procs(
                        _closed_loop,
                        [
                            (port, fixture, mode, w, args.connections, args.duration)
                            for w in range(args.clients)
                        ],
                    )
                    run["saturation"] = _summary(parts, seconds)
                sat = run["saturation"]
                # The server's own CPU per verification: the figure least sensitive to the machine's load.
                sat["server_cpu_ms_per_request"] = round(
                    (_server_cpu(server.pid) - cpu0) * 1000 / max(1, sat["requests"]), 3
                )
                if postgres:
                    # The database server's CPU for the same requests (it shares the cores): the backends
                    # connected before the run and at its end (a backend that came and went within the run is
                    # missed; db_sessions_opened says whether there were any).
                    backends1, sessions1 = _pg_backends(database_url)
                    backend_cpu1 = _pids_cpu(sorted({*backend_cpu0, *backends1}))
                    used = sum(cpu - backend_cpu0.get(pid, 0.0) for pid, cpu in backend_cpu1.items())
                    sat["db_backends"] = len(backend_cpu1)
                    sat["db_sessions_opened"] = sessions1 - sessions0 - 1  # less the probe's own
                    sat["db_cpu_ms_per_request"] = round(used * 1000 / max(1, sat["requests"]), 3)
                if args.rate > 0:
                    per = max(1, args.rate_procs)
                    parts, seconds = _run_procs(
                        _open_loop,
                        [(port, fixture, mode, w, args.rate / per, args.duration) for w in range(per)],
                    )
                    run["fixed_rate"] = _summary(parts, seconds)
                    run["fixed_rate"]["target_per_second"] = args.rate
                run["load_after"] = [round(x, 2) for x in os.getloadavg()]
                runs.append(run)
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "database": "postgresql" if database_url.startswith("postgres") else "sqlite",
        "fixture": {
            "checkers": args.checkers,
            "api_keys": len(fixture["api_keys"]),
            "cards": args.cards,
            "m2m_rate_per_minute_per_key": int(env["GREENCARD_M2M_RATE_PER_MINUTE"]),
        },
        "runs": runs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    parser.add_argument("--offline-n", type=int, default=20000)
    parser.add_argument(
        "--database-url", default="", help="an empty database (default: SQLite in a temp dir)"
    )
    parser.add_argument(
        "--configs",
        default="gthread:2x4,gthread:3x3",
        help="gunicorn configurations: worker_class:workers[xthreads], comma-separated",
    )
    parser.add_argument(
        "--modes", default="m2m,session", help="m2m (API key) and/or session (signed-in checker)"
    )
    parser.add_argument(
        "--generator",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="saturation load generator (auto: wrk when installed)",
    )
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--wrk-connections", type=int, default=16)
    parser.add_argument(
        "--clients", type=int, default=2, help="Python generator processes (saturation fallback)"
    )
    parser.add_argument("--connections", type=int, default=8, help="connections per Python generator process")
    parser.add_argument("--checkers", type=int, default=32)
    parser.add_argument("--keys-per-checker", type=int, default=8)
    parser.add_argument("--cards", type=int, default=200)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--rate", type=float, default=200.0, help="the fixed-rate run's target (0: no such run)")
    parser.add_argument("--rate-procs", type=int, default=2)
    parser.add_argument(
        "--settings",
        default="config.settings.production",
        help="Django settings module(s) of the server, comma-separated: variants compared back to back on the same "
        "fixture, interleaved per configuration (each must be importable, see PYTHONPATH)",
    )
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument(
        "--inprocess",
        type=int,
        default=0,
        metavar="N",
        help="only the in-process measure: N m2m requests through the WSGI application, no sockets",
    )
    parser.add_argument(
        "--profile",
        default="",
        choices=["", "cumulative", "tottime"],
        help="with --inprocess: a cProfile listing of the lean path, sorted so",
    )
    args = parser.parse_args()
    if args.inprocess:
        measured = bench_inprocess(args)
        profile = measured.pop("profile", "")
        print(json.dumps(measured, ensure_ascii=False, indent=2))
        if profile:
            print(profile)
        return 0
    result: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "offline": bench_offline(args.offline_n),
    }
    if not args.skip_http:
        result["http"] = bench_http(args)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    off = result["offline"]
    print(
        f"offline (1 core): library {off['library_per_second']:,}/s · standalone script "
        f"{off['script_per_second']:,}/s · Ed25519 alone {off['ed25519_only_per_second']:,}/s "
        f"(token {off['token_length']} chars)"
    )
    if "http" in result:
        h = result["http"]
        for run in h["runs"]:
            g = run["gunicorn"]
            sat, fix = run["saturation"], run.get("fixed_rate")
            print(
                f"HTTP {run['mode']} ({h['database']}, gunicorn {g['worker_class']} {g['workers']}×{g['threads']}, "
                f"{run['settings']}; "
                f"load {run['load_before'][0]}→{run['load_after'][0]}):"
            )
            print(
                f"  saturation ({sat['generator']}, {sat['generator_cpu_share']} cores): {sat['per_second']:,}/s "
                f"over {sat['seconds']} s, p50 {sat['p50_ms']} ms, p99 {sat['p99_ms']} ms, errors {sat['errors']}, "
                f"server CPU {sat['server_cpu_ms_per_request']} ms/verification"
                + (
                    f" + database {sat['db_cpu_ms_per_request']} ms ({sat['db_backends']} connections, "
                    f"{sat['db_sessions_opened']} opened during the run)"
                    if "db_cpu_ms_per_request" in sat
                    else ""
                )
            )
            if fix:
                print(
                    f"  fixed {fix['target_per_second']:.0f}/s (python, {fix['generator_cpu_share']} cores): "
                    f"achieved {fix['per_second']}/s, p50 {fix['p50_ms']} ms, p99 {fix['p99_ms']} ms, "
                    f"max {fix['max_ms']} ms, errors {fix['errors']}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
