"""One id, one element (issue 20 point 5).

On the case page the journal form and the upload form both rendered ``id_restricted``:
a click on the upload form's "may not be passed on" label ticked the journal form's box,
and the document was filed unrestricted. A label, ``aria-describedby`` or a skip link
finds the first element with its id, whatever form it sits in.

On the demo data (``seed_demo``, plus a note, a draft, a restricted note and a document
per case, and the meeting, access-request and retention objects the demo lacks), as
every demo role (and signed out), every page of the URLconf is requested: each pattern
without parameters; each object pattern filled with the objects of its kind the user
may see (the kinds of test_idor.py; the first ``PAGES_PER_NAME`` of them); the task
pages of the open tasks of the processes the user may see (and the page of one
finished task of each flow); and, for the administrator, the admin site's pages. Every
200 HTML answer is parsed with the standard library's parser; an id that occurs twice
in one document fails the test, naming the page, the user and the id."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import NoReverseMatch, resolve, reverse

from tests.security.conftest import app_routes
from tests.security.test_idor import OBJECT_ROUTES, _is_flow_route, _subject_visible, add_more_objects

pytestmark = pytest.mark.django_db

ROLES = ("caseworker1", "caseworker2", "consultant", "supervisor", "bbu1", "mentor1", "exitmentor1", "coach1",
         "auditor", "partner1", "partner2", "admin")
ANONYMOUS = "anonymous"

#: TEMPORARY. Duplicate ids on pages of areas the fix of issue 20 point 5 did not own, to
#: be fixed there: (URL name, id). Remove each entry with the fix of its page.
KNOWN_DUPLICATES_OUTSIDE_SCOPE: frozenset[tuple[str, str]] = frozenset()

#: Query strings that make a page show more than its empty state.
EXTRA_QUERIES = {
    "people:search": ("?q=Demo",),
}

#: The pages of a task that render HTML (``index`` only redirects to one of them).
TASK_PAGES = ("detail", "execute", "assign")

#: Pages of one name (one view) parsed per user: the first objects the user may see in
#: id order (e.g. a minor's and an adult's case; a final note and a draft). Every object
#: of every user took several minutes; this keeps the test within a minute on two cores.
PAGES_PER_NAME = 2


class _IdCounter(HTMLParser):
    """Counts the ``id`` attributes of a document's elements (``<x/>`` included: the
    parser's ``handle_startendtag`` calls ``handle_starttag``)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: Counter[str] = Counter()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids[value] += 1


def duplicate_ids(html: str) -> dict[str, int]:
    parser = _IdCounter()
    parser.feed(html)
    parser.close()
    return {value: count for value, count in parser.ids.items() if count > 1}


def test_duplicate_ids_finds_a_repeated_id():
    html = ('<form><label for="id_x">A</label><input id="id_x"></form>'
            '<form><input id="id_x"/><input id="id_y"><svg><g id="id_y"></g></svg></form>')
    assert duplicate_ids(html) == {"id_x": 2, "id_y": 2}
    assert duplicate_ids('<p id="a"></p><p id="b"></p><script>var s = \'<i id="a">\';</script>') == {}


# --------------------------------------------------------------------------- what is crawled


@pytest.fixture(scope="module")
def crawl_users(seeded, django_db_blocker):
    """The demo users, and what the demo lacks for its pages to show their forms and
    lists (inside the seeding's transaction, rolled back when the module ends)."""
    from caseflow.accounts.models import User

    with django_db_blocker.unblock():
        users = {user.username: user for user in User.objects.filter(username__in=ROLES)}
        add_more_objects(users)
    return users


def _takes_get(route) -> bool:
    view_class = route.view_class
    if view_class is None:
        return True  # a function view (healthz, set_language): asked; only HTML is parsed
    methods = getattr(route.callback, "view_initkwargs", {}).get("http_method_names") \
        or view_class.http_method_names
    return "get" in methods and hasattr(view_class, "get")


def _url_pages(user, parsed: Counter) -> Iterator[tuple[str, str]]:
    """(page name, URL) of every routed page the user may open; ``parsed`` counts the
    pages of each name parsed so far."""
    for route in app_routes():
        if not _takes_get(route) or _is_flow_route(route):
            continue
        name = route.name or route.route
        if not route.params:
            url = route.url()
            yield name, url
            for query in EXTRA_QUERIES.get(name, ()):
                yield name, url + query
        elif user is not None and route.name in OBJECT_ROUTES:
            kind = OBJECT_ROUTES[route.name]
            for obj in kind.objects():
                if parsed[name] >= PAGES_PER_NAME:
                    break
                if _may_see(kind, user, obj):
                    yield name, route.url(**kind.kwargs(obj))


def _may_see(kind, user, obj) -> bool:
    """Whether the policy lets the user see the object, as test_idor.py computes it, to
    skip the requests that would answer 404 (test_idor.py holds every page to that
    answer). Should its computation fail, test_idor.py fails with it, and here the page
    itself is asked: only its 200 answers are parsed."""
    try:
        return kind.may_see(user, obj)
    except Exception:  # noqa: BLE001 - a shortcut only; test_idor.py reports the failure
        return True


def _task_pages(user, parsed: Counter) -> Iterator[tuple[str, str]]:
    """The pages of the open tasks of the processes the user may see (a few per page
    of a step), and the detail page of one finished task of each flow (one template
    for every step: ``workflows.views.TaskDetailView``)."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    open_statuses = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
    finished_seen = set()
    for task in Task.objects.select_related("process").order_by("-pk"):
        if task.status not in open_statuses:
            flow = task.process.flow_class
            if flow in finished_seen or not _subject_visible(user, task.process):
                continue
            finished_seen.add(flow)
        elif not _subject_visible(user, task.process):
            continue
        for action in TASK_PAGES if task.status in open_statuses else ("detail",):
            try:
                url = task.flow_task.reverse(action, args=[task.process_id, task.pk])
            except NoReverseMatch:
                continue  # the step has no such page
            name = resolve(url).view_name
            if parsed[name] < PAGES_PER_NAME:
                yield name, url


def _admin_pages() -> Iterator[tuple[str, str]]:
    """The admin site: its index, each app's index, and each model's list, add form
    and change form of its first object."""
    from django.contrib import admin

    yield "admin:index", reverse("admin:index")
    for app_label in sorted({model._meta.app_label for model in admin.site._registry}):
        yield "admin:app_list", reverse("admin:app_list", args=[app_label])
    for model in sorted(admin.site._registry, key=lambda model: model._meta.label):
        info = (model._meta.app_label, model._meta.model_name)
        for page in ("changelist", "add"):
            name = "admin:{}_{}_{}".format(*info, page)
            yield name, reverse(name)
        first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        if first is not None:
            name = "admin:{}_{}_change".format(*info)
            yield name, reverse(name, args=[first])


def _pages(user, parsed: Counter) -> Iterator[tuple[str, str]]:
    yield from _url_pages(user, parsed)
    if user is not None:
        yield from _task_pages(user, parsed)
        if user.is_superuser:
            yield from _admin_pages()


# --------------------------------------------------------------------------- the test


def test_every_page_with_parameters_is_crawled():
    """A new object page needs a kind in test_idor.OBJECT_ROUTES (its IDOR test insists
    too) to be crawled here; task pages are crawled through the tasks."""
    uncrawled = sorted(route.name or route.route for route in app_routes()
                       if route.params and _takes_get(route) and not _is_flow_route(route)
                       and route.name not in OBJECT_ROUTES)
    assert uncrawled == []


@pytest.mark.parametrize("username", [*ROLES, ANONYMOUS])
def test_no_page_repeats_an_id(crawl_users, username):
    user = None if username == ANONYMOUS else crawl_users[username]
    client = Client()
    if user is not None:
        client.force_login(user)
    found, parsed = [], Counter()
    for name, url in _pages(user, parsed):
        response = client.get(url)
        if response.status_code != 200 or response.streaming \
                or not response.get("Content-Type", "").startswith("text/html"):
            continue
        parsed[name] += 1
        for value, count in sorted(duplicate_ids(response.content.decode()).items()):
            if (name, value) in KNOWN_DUPLICATES_OUTSIDE_SCOPE:
                continue
            else:
                found.append(f"{name} ({url}) as {username}: id {value!r} occurs {count} times")
    assert found == [], "\n".join(found)
    assert parsed.total() >= (1 if user is None else 5), f"only {parsed.total()} pages parsed as {username}"
