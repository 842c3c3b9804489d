"""Shared helpers of the security suite (issue 10 point 5): the URLconf enumerated, the
demo data seeded, and a record of what a request wrote.

The enumeration reads the live URLconf, so a new view shows up in the coverage tests
(test_bad_input.py, test_csrf.py, test_idor.py) the moment it is routed."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import re

import pytest
from django.apps import apps
from django.core.management import call_command
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver

#: App labels whose tables count as "what a request may write".
WRITE_APP_PREFIXES = ("caseflow.", "permissions", "workflows", "viewflow")

#: Audit actions a refused request may still leave: reads of the page the form is on,
#: and the refusal itself.
NON_WRITE_ACTION_SUFFIXES = (".viewed", ".listed", ".searched", ".denied", ".refused")
#: viewflow starts a task's activation before the form is validated (the task is then
#: STARTED, no domain data changes): bookkeeping, not a write of the submitted data.
NON_WRITE_ACTIONS = ("workflow.task_started",)


# --------------------------------------------------------------------------- the URLconf


@dataclasses.dataclass(frozen=True)
class Route:
    route: str  # "cases/<int:pk>/"
    name: str  # "cases:detail" (namespaced); "" when unnamed
    callback: object
    pattern: URLPattern

    @property
    def view_class(self):
        return getattr(self.callback, "view_class", None)

    @property
    def view_path(self) -> str:
        """Dotted path of the view (class or function): the key of the coverage lists."""
        target = self.view_class or self.callback
        return f"{target.__module__}.{target.__qualname__}"

    @property
    def params(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.route)

    @property
    def accepts_post(self) -> bool:
        view_class = self.view_class
        if view_class is None:
            return True  # a function view: assume it may (the coverage lists classify each)
        methods = getattr(self.callback, "view_initkwargs", {}).get("http_method_names") \
            or view_class.http_method_names
        return "post" in methods and hasattr(view_class, "post")

    @property
    def csrf_exempt(self) -> bool:
        return bool(getattr(self.callback, "csrf_exempt", False))

    def url(self, **kwargs) -> str:
        """The path with the parameters filled in, without ``reverse`` (some patterns are
        unnamed and viewflow's names repeat across flows)."""
        def fill(match):
            return str(kwargs[match.group(1)])
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, self.route)


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = entry.name or ""
            if name and namespace:
                name = f"{namespace}:{name}"
            route = prefix + str(entry.pattern)
            if not isinstance(entry.pattern.regex.pattern, str) or route.startswith("^"):
                route = route.lstrip("^").rstrip("$")
            yield Route(route=route, name=name, callback=entry.callback, pattern=entry)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def app_routes() -> list[Route]:
    """Our routes (Django's admin site is left to Django; see test_csrf for its CSRF)."""
    return [route for route in all_routes() if not route.route.startswith("admin/")]


def post_routes() -> list[Route]:
    return [route for route in app_routes() if route.accepts_post]


# --------------------------------------------------------------------------- the demo


DEMO_ROLES = ("caseworker1", "caseworker2", "consultant", "supervisor", "bbu1", "mentor1", "coach1", "auditor",
              "partner1", "partner2")


@contextlib.contextmanager
def demo_seeded(django_db_blocker):
    """``seed_demo`` (as tests/demo do) inside a transaction that is rolled back when the
    block ends (each test's own transaction nests in it, as in Django's
    ``TestCase.setUpTestData``). Seeding costs seconds; the tests need many."""
    from django.conf import settings
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            previous = settings.CASEFLOW_DEMO_PASSWORD
            settings.CASEFLOW_DEMO_PASSWORD = "demo-test-pw"
            try:
                call_command("seed_demo", stdout=_Discard())
            finally:
                settings.CASEFLOW_DEMO_PASSWORD = previous
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo (``demo_seeded``) once per module: the demo users by name."""
    from caseflow.accounts.models import User

    with demo_seeded(django_db_blocker):
        yield {user.username: user for user in User.objects.filter(username__in=DEMO_ROLES)}


@pytest.fixture
def demo(seeded, db):
    """The demo users by name; the demo data is there, and what a test writes is rolled back."""
    return seeded


class _Discard:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass


# --------------------------------------------------------------------------- what was written


@functools.cache
def write_models():
    from django.db import connection

    tables = set(connection.introspection.table_names())
    return [model for model in apps.get_models()
            if model.__module__.startswith(WRITE_APP_PREFIXES) and model._meta.label != "audit.AuditEvent"
            and not model._meta.proxy and model._meta.managed and model._meta.db_table in tables]


def table_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in write_models()}


def audit_head() -> int:
    from caseflow.audit.models import AuditEvent

    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def audit_writes_since(head: int) -> list[str]:
    """Actions of the audit events after ``head`` that record a change (not a read,
    not a refusal)."""
    from caseflow.audit.models import AuditEvent

    actions = AuditEvent.objects.filter(pk__gt=head).values_list("action", flat=True)
    return [action for action in actions
            if not action.endswith(NON_WRITE_ACTION_SUFFIXES) and action not in NON_WRITE_ACTIONS]


@dataclasses.dataclass
class WriteProbe:
    """Counts of every domain table and the audit head, to compare after a request."""

    counts: dict[str, int]
    head: int

    @classmethod
    def take(cls) -> WriteProbe:
        return cls(table_counts(), audit_head())

    def changed_tables(self) -> dict[str, tuple[int, int]]:
        now = table_counts()
        return {label: (before, now[label]) for label, before in self.counts.items() if now[label] != before}

    def audit_writes(self) -> list[str]:
        return audit_writes_since(self.head)


# --------------------------------------------------------------------------- CSRF


CSRF_REFUSED = b"caseflow-test: csrf refused"


def csrf_failure(request, reason=""):
    """Stands in for Django's CSRF failure view in test_csrf, so a 403 for CSRF reasons
    is told apart from a 403 of the permission policy."""
    return HttpResponse(CSRF_REFUSED, status=403)
