"""The access-control matrix (issue 11 §1): every URL pattern and API operation, requested by every principal against
objects owned by each owner, must answer what tests/security/policy.py declares."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest

from . import lists, policy
from .matrix import (
    ADMIN_PREFIX,
    admin_routes,
    api_operations,
    fill,
    minimal_body,
    openapi,
    outcome,
    site_routes,
)
from .world import DEPARTMENT_PAIR, EMPLOYER_PAIR, MISSING_PK, PRINCIPALS, TALENT_PAIR, World

pytestmark = pytest.mark.django_db
RECORD = os.environ.get("SECURITY_MATRIX_RECORD") == "1"
PAIRS = (TALENT_PAIR, EMPLOYER_PAIR, DEPARTMENT_PAIR)


def is_cross(principal: str, owners: frozenset[str]) -> str | None:
    """"user" or "department" when ``principal`` asks for an object owned by its counterpart, else None."""
    if not owners or principal in owners:
        return None
    for pair in PAIRS:
        if principal in pair and owners & set(pair):
            return "department" if pair is DEPARTMENT_PAIR else "user"
    return None


API_PARAM = re.compile(r"\{(\w+)\}")


def values_for(route_kwargs: tuple[str, ...], rule: policy.Rule | None, key: Any) -> dict[str, Any]:
    fixed = dict(rule.kw) if rule else {}
    return {k: fixed.get(k, key) for k in route_kwargs}


def missing_line(name: str, route: str, api: bool = False) -> str:
    table = "API" if api else "URLS"
    return (f"{name!r} ({route}) has no line in tests/security/policy.py; add one to {table}, e.g.\n"
            f"    {name!r}: R(TALENTS, obj=\"<kind from world.py>\"),   # who may use it; W(...) for a POST-only URL")


class Tally:
    def __init__(self) -> None:
        self.requests = 0
        self.cross = {"user": [0, 0], "department": [0, 0]}  # [requests, succeeded]
        self.failures: list[str] = []
        self.leaks: list[str] = []  # cross-owner requests that succeeded

    def check(self, world: World, method: str, path: str, principal: str, expected: str, cross: str | None,
              body: tuple[str, Any] | None = None) -> str:
        response = send(world.client(principal), method, path, body)
        got = outcome(response)
        self.requests += 1
        if cross:
            self.cross[cross][0] += 1
            self.cross[cross][1] += got == "ok"
            if got == "ok":
                self.leaks.append(f"{method} {path} as {principal} ({cross})")
        if got != expected:
            self.failures.append(f"{method} {path} as {principal}: expected {expected}, got {got}"
                                 + (f" ({response.status_code})" if got != str(response.status_code) else ""))
        return got


def run_rule(world: World, tally: Tally, name: str, route_kwargs: tuple[str, ...], rule: policy.Rule,
             make_path: Any, *, api: bool = False) -> None:
    for obj in world.of(rule.obj) if rule.obj else [None]:
        key = obj.key if obj else MISSING_PK
        owners = obj.owners if obj else None
        path = make_path(values_for(route_kwargs, rule, key))
        for method, r in (("GET", rule), ("POST", rule.post)):
            if r is None:
                continue
            for principal in PRINCIPALS:
                # An object every allowed principal may see (shared) is not another owner's: no cross request.
                cross = is_cross(principal, owners) if owners and not r.shared else None
                expected = r.expect(principal, owners, cross=bool(cross))
                if method == "POST" and expected == "ok":
                    continue  # an empty POST by an allowed user proves nothing here and may change state
                tally.check(world, method, path, principal, expected, cross,
                            ("form", r.data) if method == "POST" and r.data else None)


def send(client: Any, method: str, path: str, body: tuple[str, Any] | None = None) -> Any:
    """GET, or a write with a minimal schema-valid body (JSON or multipart) so the permission check is reached."""
    if method == "GET":
        return client.get(path)
    if body is None:
        return client.generic(method, path, b"{}" if path.startswith("/api/") else b"",
                              content_type="application/json" if path.startswith("/api/") else "")
    kind, data = body
    if kind == "form":
        return client.post(path, data)
    if kind == "json":
        return client.generic(method, path, json.dumps(data), content_type="application/json")
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    fields = {k: SimpleUploadedFile("a.pdf", v, "application/pdf") if isinstance(v, bytes) else v
              for k, v in (data or {}).items()}
    return client.generic(method, path, encode_multipart(BOUNDARY, fields), content_type=MULTIPART_CONTENT)


def op_body(method: str, path: str) -> tuple[str, Any] | None:
    schema = openapi()
    return minimal_body(schema["paths"][path][method.lower()], schema)


def run_api(world: World, tally: Tally, key: str, rule: policy.Rule) -> None:
    method, path = key.split(" ", 1)
    body = (("json", rule.data) if rule.data else op_body(method, path)) if method != "GET" else None
    params = tuple(API_PARAM.findall(path))
    for obj in world.of(rule.obj) if rule.obj else [None]:
        owners = obj.owners if obj else None
        values = values_for(params, rule, obj.key if obj else MISSING_PK)
        url = API_PARAM.sub(lambda m, v=values: str(v[m[1]]), path)
        for principal in PRINCIPALS:
            cross = is_cross(principal, owners) if owners and not rule.shared else None
            expected = rule.expect(principal, owners, cross=bool(cross))
            if method != "GET" and expected == "ok":
                continue
            tally.check(world, method, url, principal, expected, cross, body)


def record(world: World) -> None:  # pragma: no cover - a tool for writing policy lines, run by hand
    """SECURITY_MATRIX_RECORD=1: print what every principal gets today, as draft lines for review."""
    def draft(results: dict[str, str]) -> str:
        signed = {p: o for p, o in results.items() if p != "anon"}
        ok = sorted(p for p, o in signed.items() if o == "ok")
        denies = [o for o in signed.values() if o != "ok"]
        deny = max(set(denies), key=denies.count) if denies else "404"
        return f"ok={ok} deny={deny} anon={results['anon']} odd={ {p: o for p, o in signed.items() if o not in ('ok', deny)} }"

    from django.test import Client

    only = re.compile(os.environ.get("SECURITY_MATRIX_RECORD_URLS", "^$"))
    for r in [r for r in site_routes() if only.search(r.name)]:
        path = fill(r.route, dict.fromkeys(r.kwargs, MISSING_PK))
        get = {p: outcome(world.client(p).get(path)) for p in PRINCIPALS}
        post = {}
        for p in PRINCIPALS:
            c = Client()
            if p != "anon":
                from .world import NEEDS_OTP, sign_in
                sign_in(c, world.users[p], otp=p in NEEDS_OTP)
            post[p] = outcome(c.post(path))
        print(f"URL {r.name} {r.route}\n   GET  {draft(get)}\n   POST {draft(post)}")
    only_api = re.compile(os.environ.get("SECURITY_MATRIX_RECORD_API", "^$"))
    for method, path in [op for op in api_operations() if only_api.search(" ".join(op))]:
        url = API_PARAM.sub(str(MISSING_PK), path)
        res = {}
        for p in PRINCIPALS:
            c = world.client(p)
            res[p] = outcome(send(c, method, url, op_body(method, path) if method != "GET" else None))
        print(f"API {method} {path}\n   {draft(res)}")


def test_access_matrix(world: World) -> None:
    if RECORD:
        record(world)
        pytest.skip("record mode")
    tally = Tally()
    missing: list[str] = []
    for r in site_routes():
        rule = policy.URLS.get(r.name)
        if rule is None:
            missing.append(missing_line(r.name, "/" + r.route))
            continue
        run_rule(world, tally, r.name, r.kwargs, rule, lambda v, route=r.route: fill(route, v))
    for method, path in api_operations():
        key = f"{method} {path}"
        rule = policy.API.get(key)
        if rule is None:
            missing.append(missing_line(key, path, api=True))
            continue
        run_api(world, tally, key, rule)
    stale = (set(policy.URLS) - {r.name for r in site_routes()}) | (
        set(policy.API) - {f"{m} {p}" for m, p in api_operations()})
    n_user, ok_user = tally.cross["user"]
    n_dept, ok_dept = tally.cross["department"]
    print(f"\naccess matrix: {tally.requests} requests; {ok_user} of {n_user} cross-user and {ok_dept} of {n_dept} "
          f"cross-department requests succeeded")
    assert not missing, "URLs or API operations without a policy line:\n" + "\n".join(missing)
    assert not stale, f"policy lines for URLs that no longer exist (remove them): {sorted(stale)}"
    assert not tally.failures, f"{len(tally.failures)} answers differ from the policy:\n" + "\n".join(tally.failures)
    assert ok_user == 0 and ok_dept == 0, "cross-owner requests that succeeded:\n" + "\n".join(tally.leaks)
    assert n_user > 0 and n_dept > 0


def test_admin_matrix(world: World) -> None:
    """The Django admin under one rule: only the system and security administrators get past its login."""
    tally = Tally()
    values = {"object_id": MISSING_PK, "app_label": "core", "id": MISSING_PK, "content_type_id": 1}
    for r in admin_routes():
        path = fill(r.route, {k: values.get(k, MISSING_PK) for k in r.kwargs})
        if r.name in ("admin:logout", "admin:login", "admin:jsi18n", "admin:view_on_site"):
            continue  # the sign-in and logout pages themselves, the JS catalog, the content-type redirect
        for principal in PRINCIPALS:
            if principal in policy.ADMIN_RULE.ok:
                continue  # the admins' own back office is exercised by onestop/core/tests/test_admin.py
            tally.check(world, "GET", path, principal, policy.ADMIN_RULE.expect(principal, None, cross=False), None)
    print(f"\nadmin: {tally.requests} requests over {len(admin_routes())} patterns, all refused")
    assert not tally.failures, "\n".join(tally.failures[:50])
    assert ADMIN_PREFIX


def _values(node: Any, name: str, out: set[str]) -> set[str]:
    """Every value of the field ``name`` at any depth of a JSON answer (datetimes as local time to the second)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == name and not isinstance(v, dict | list):
                out.add(_local(v))
            _values(v, name, out)
    elif isinstance(node, list):
        for item in node:
            _values(item, name, out)
    return out


def _local(value: Any) -> str:
    from datetime import datetime

    from django.utils import timezone

    text = str(value)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        return text
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


class Answer:
    """One list response, and whether it shows a given world object as a row."""

    def __init__(self, response: Any) -> None:
        self.status = response.status_code
        body = response.content.decode("utf-8", errors="replace")
        self.json: Any = None
        if response.get("Content-Type", "").startswith("application/json"):
            self.json = json.loads(body)
            body = json.dumps(self.json, ensure_ascii=False)
        self.text = body

    def shows(self, rows: lists.Rows, obj: Any) -> bool:
        from django.urls import reverse

        if rows.link:
            return f'"{reverse(rows.link, kwargs={rows.kw: obj.key, **rows.extra})}"' in self.text
        if rows.text:
            assert obj.marker, f"{rows.kind}: the world gives this kind no marker"
            return obj.marker in self.text
        wanted = obj.marker if rows.by == "marker" else str(obj.key)
        return self.json is not None and wanted in _values(self.json, rows.field, set())


def test_list_scoping(world: World) -> None:
    """Every list page and list operation, as every principal allowed to open it: no row of an object owned by the
    principal's counterpart (talent A ↔ B, employer X ↔ Y, department 1 ↔ 2), and the principal's own rows."""
    responses, leaked, own_found = 0, [], 0
    problems: list[str] = []
    proven: dict[tuple[str, str], int] = {}
    for name, listing in lists.LISTS.items():
        api = name.startswith("GET ")
        rule = policy.API.get(name) if api else policy.URLS.get(name)
        assert rule is not None, f"{name}: in lists.py but not in the policy table"
        for obj in world.of(listing.obj) if listing.obj else [None]:
            if api:
                path = API_PARAM.sub(lambda m, o=obj: str(o.key), name.split(" ", 1)[1])
            else:
                route = next(r for r in site_routes() if r.name == name)
                path = fill(route.route, dict.fromkeys(route.kwargs, obj.key if obj else MISSING_PK))
            if listing.query:
                path += "?" + listing.query
            for principal in PRINCIPALS:
                owners = obj.owners if obj else None
                cross = is_cross(principal, owners) if owners and not rule.shared else None
                if rule.expect(principal, owners, cross=bool(cross)) != "ok":
                    continue
                answer = Answer(world.client(principal).get(path))
                responses += 1
                if answer.status != 200:
                    problems.append(f"GET {path} as {principal}: {answer.status}")
                    continue
                shown_other, own_here = [], 0
                for rows in listing.rows:
                    for o in world.of(rows.kind):
                        if not o.owners:
                            continue
                        if is_cross(principal, o.owners):
                            if answer.shows(rows, o):
                                shown_other.append(f"{rows.kind} {o.key} of {'/'.join(sorted(o.owners))}")
                        elif principal in o.owners:
                            if answer.shows(rows, o):
                                own_here += 1
                                proven[(name, rows.kind)] = proven.get((name, rows.kind), 0) + 1
                            elif not (rows.own_optional or listing.obj):
                                problems.append(f"GET {path} as {principal}: own {rows.kind} {o.key} not listed")
                own_found += own_here
                owns_some = any(principal in o.owners for rows in listing.rows for o in world.of(rows.kind))
                if listing.obj and owns_some and not own_here:
                    problems.append(f"GET {path} as {principal}: none of its own rows listed")
                if shown_other:
                    leaked.append(f"GET {path} as {principal} shows " + ", ".join(shown_other))
    unproven = [f"{name}: {rows.kind}" for name, listing in lists.LISTS.items() for rows in listing.rows
                if (name, rows.kind) not in proven]
    print(f"\nlist scoping: {len(leaked)} of {responses} list responses leaked another owner's rows "
          f"({len(lists.LISTS)} lists; {own_found} own rows found)")
    assert not leaked, "lists showing another owner's rows:\n" + "\n".join(leaked)
    assert not problems, "\n".join(problems)
    assert not unproven, "list lines whose rows were never recognised (they would prove nothing):\n" + "\n".join(
        unproven)
