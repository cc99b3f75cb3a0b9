"""The machinery of the access matrix: enumerate URL patterns and API operations, build a concrete request for each
principal and object, and classify the answer as one of the outcomes a policy entry can name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver

ADMIN_PREFIX = "admin/"
API_PREFIX = "api/v1/"


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name" — the key of the policy table
    route: str  # the route with converters, e.g. "inbox/<int:pk>/read/"
    kwargs: tuple[str, ...]


def walk(resolver: URLResolver | None = None, prefix: str = "", ns: str | None = None) -> Iterator[Route]:
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            full_ns = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
            yield from walk(p, prefix + str(p.pattern), full_ns)
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            name = f"{ns}:{p.name}" if ns else str(p.name)
            yield Route(name, route, tuple(p.pattern.regex.groupindex))


def site_routes() -> list[Route]:
    """Every URL pattern except the admin (one generic rule) and the API (covered operation by operation)."""
    return [r for r in walk() if not r.route.startswith((ADMIN_PREFIX, "^" + ADMIN_PREFIX))
            and not (r.route.startswith(API_PREFIX) and r.name not in API_META)]


API_META = {"api-v1:openapi-json", "api-v1:openapi-view", "api-v1:api-root"}


def admin_routes() -> list[Route]:
    return [r for r in walk() if r.route.startswith((ADMIN_PREFIX, "^" + ADMIN_PREFIX))]


_CONVERTER = re.compile(r"<(?:(?P<conv>[a-z]+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


def fill(route: str, values: dict[str, Any]) -> str:
    """The concrete path of ``route`` with ``values`` for its parameters (route syntax or a regex route)."""
    path = _CONVERTER.sub(lambda m: str(values[m["name"]]), route)
    if path.startswith("^") or "(?P<" in path:
        path = _REGEX_GROUP.sub(lambda m: str(values[m["name"]]), path)
        path = path.replace("^", "").replace("$", "").replace("\\", "")
    return "/" + path


def openapi() -> dict[str, Any]:
    from config.api import api

    return dict(api.get_openapi_schema())


def api_operations() -> list[tuple[str, str]]:
    """("METHOD", "/api/v1/path/{param}") for every operation of the ninja API, from its OpenAPI schema."""
    ops = []
    for path, item in openapi()["paths"].items():
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                ops.append((method.upper(), path))
    return sorted(ops)


def outcome(response: HttpResponse) -> str:
    """One word for an answer: ok, login (sent to a sign-in page), otp, redirect, or the status code."""
    status = response.status_code
    if 200 <= status < 300:
        return "ok"
    if status in (301, 302, 303, 307):
        where = response.get("Location", "")
        if "/account/login" in where or "/admin/login" in where:
            return "login"
        if "/account/otp" in where:
            return "otp"
        return "redirect"
    return str(status)


def minimal_body(operation: dict[str, Any], schema: dict[str, Any]) -> tuple[str, Any] | None:
    """A minimal body that passes the operation's schema validation, so the permission check behind it runs:
    ("json", dict) or ("multipart", dict), or None for an operation without a body."""
    body = operation.get("requestBody")
    if not body:
        return None
    content = body.get("content", {})
    kind = "json" if "application/json" in content else "multipart"
    media = content.get("application/json") or next(iter(content.values()), {})
    return kind, _instance(media.get("schema", {}), schema)


def _instance(node: dict[str, Any], root: dict[str, Any], depth: int = 0) -> Any:
    if "$ref" in node:
        target: Any = root
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return _instance(target, root, depth + 1)
    for key in ("allOf", "anyOf", "oneOf"):
        if node.get(key):
            options = [o for o in node[key] if o.get("type") != "null"] or node[key]
            return _instance(options[0], root, depth + 1)
    if "default" in node:
        return node["default"]
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type", "object")
    if kind == "object":
        props = node.get("properties", {})
        return {k: _instance(props[k], root, depth + 1) for k in node.get("required", []) if k in props}
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, int(node.get("minimum", 1)))
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    fmt = node.get("format", "")
    if fmt == "date":
        return "2026-01-05"
    if fmt == "date-time":
        return "2026-01-05T09:00:00+08:00"
    if fmt == "binary":
        return b"%PDF-1.4 minimal"
    return "x" * max(1, int(node.get("minLength", 1)))
