"""Every HTTP endpoint of Signalbox, found at run time: the URL configuration walked recursively
(pages and API) and the OpenAPI schema, each with the methods it accepts and a concrete path
whose parameters name real objects. A new endpoint shows up here without anyone listing it."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern
from rest_framework.views import APIView

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
METHODS = ("GET", *UNSAFE)


@dataclass(frozen=True)
class Endpoint:
    name: str  # namespaced URL name, e.g. "topics:detail" or "api-topic-list"; "path:/<route>" when unnamed
    route: str  # the pattern as written, for messages
    path: str  # a concrete path with every parameter filled in
    methods: tuple[str, ...]  # what the view accepts (of GET, POST, PUT, PATCH, DELETE)
    api: bool  # a DRF view (401/403 for strangers) rather than a page (redirect to the login)

    def __str__(self) -> str:
        return f"{self.name} {self.path}"


class MissingParameterValue(Exception):
    pass


def _allowed_methods(callback: Callable[..., Any]) -> tuple[str, ...] | None:
    """The methods a function view's require_http_methods/require_POST/require_GET let through,
    found in the decorator's closure; None when nothing restricts them."""
    func: Any = callback
    while func is not None:
        for cell in getattr(func, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if (
                isinstance(value, list | tuple | set | frozenset)
                and value
                and all(isinstance(v, str) and v.upper() == v for v in value)
                and set(value) <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
            ):
                return tuple(m for m in METHODS if m in value)
        func = getattr(func, "__wrapped__", None)
    return None


def _methods(callback: Callable[..., Any]) -> tuple[tuple[str, ...], bool]:
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF viewset route: the router says which method runs which action
        return tuple(m for m in METHODS if m.lower() in actions), True
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is not None:
        offered = tuple(m for m in METHODS if m.lower() in cls.http_method_names and hasattr(cls, m.lower()))
        return offered, issubclass(cls, APIView)
    # A function view: pages are GET and POST forms unless a decorator says less.
    return _allowed_methods(callback) or ("GET", "POST"), False


def _parameters(pattern: Any) -> list[str]:
    if isinstance(pattern, RoutePattern):
        return list(pattern.converters)
    return list(pattern.regex.groupindex)


def _walk(
    patterns: list[Any], namespace: str, route: str, params: list[str]
) -> Iterator[tuple[str, str, list[str], URLPattern]]:
    for entry in patterns:
        here = route + str(entry.pattern)
        names = params + _parameters(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
            yield from _walk(entry.url_patterns, inner or "", here, names)
        else:
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            yield name, here, names, entry


def url_endpoints(value_for: Callable[[str, str], str]) -> list[Endpoint]:
    """Every URL of the configuration, with `value_for(url_name, parameter)` filling its parameters."""
    found: dict[str, Endpoint] = {}
    for name, route, params, entry in _walk(get_resolver().url_patterns, "", "", []):
        if "format" in params:
            continue  # DRF's ".json" suffix twins of a route already walked
        if name:
            path = reverse(name, kwargs={p: value_for(name, p) for p in params})
        elif not params:
            path = "/" + route
            name = f"path:{path}"
        else:
            raise MissingParameterValue(f"unnamed URL pattern with parameters: {route!r}; give it a name")
        methods, api = _methods(entry.callback)
        found.setdefault(path, Endpoint(name=name, route=route, path=path, methods=methods, api=api))
    return sorted(found.values(), key=lambda e: e.path)


def schema_operations() -> list[tuple[str, str]]:
    """(path template, METHOD) of every operation in the OpenAPI schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, method.upper())
        for path, operations in schema["paths"].items()
        for method in operations
        if method.upper() in METHODS
    ]


def route_of(path: str) -> tuple[str, str]:
    """(URL name, route) that a concrete path resolves to."""
    match = resolve(path)
    return match.view_name, match.route


def schema_path_route(template: str) -> tuple[str, str]:
    """The URL that an OpenAPI path template is served by: every {parameter} filled with a value
    every converter accepts, then resolved."""
    concrete = "/".join("1" if part.startswith("{") and part.endswith("}") else part for part in template.split("/"))
    return route_of(concrete)


@dataclass(frozen=True)
class Rule:
    """Who may use the endpoints whose URL name matches `names` with one of `methods`."""

    names: str  # space-separated globs on the namespaced URL name
    methods: str  # space-separated, or "*"
    need: str  # one of NEEDS
    why: str = ""

    def matches(self, name: str, method: str) -> bool:
        return (self.methods == "*" or method in self.methods.split()) and any(
            fnmatch.fnmatchcase(name, glob) for glob in self.names.split()
        )


NEEDS = {
    "public": "anyone, logged in or not (no data behind it)",
    "login": "any logged-in user; shows only what the user may see (no cluster scope)",
    "self": "self-service on the user's own things; a viewer may change them",
    "owner": "self-service on an object that belongs to another user here: refused",
    "viewer": "the viewer role on the cluster",
    "messages": "the viewer role plus the read-messages flag on the grant",
    "operator": "the operator role on the cluster",
    "admin": "the admin role on the cluster",
    "superuser": "superusers only (managing clusters, users, teams and grants)",
}
CLUSTER_SCOPED = {"viewer", "messages", "operator", "admin"}


def classify(rules: list[Rule], name: str, method: str) -> Rule | None:
    return next((rule for rule in rules if rule.matches(name, method)), None)
