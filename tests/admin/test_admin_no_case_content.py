"""Issue 20 point 3: the superuser administers the system in /admin/ and sees no case
content on any of its pages (README "Access").

The demo is seeded, more case content is added (a restricted document and journal note,
a disclosure, an emergency access), and every non-empty free-text field of the case
apps gets a unique marker: names and CPR numbers of persons, concern texts, references,
subjects, session topics, decisions, meeting notes, grant reasons... The plain CPR
numbers are markers too. Then the superuser ``admin`` requests every admin page that can
be enumerated: the index (with recent actions), each app's index, each model's list
(searched too), add form, and for every object each of its pages (change, history,
delete confirmation, password form), the "delete selected" confirmation of every model's
objects, and the autocomplete answers. No page fails and none shows a marker.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import models
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from tests.security.conftest import demo_seeded

#: Apps whose rows are case content (their free-text fields get markers).
CONTENT_APPS = ("people", "referrals", "cases", "interventions", "journal", "documents", "meetings",
                "access_requests", "retention", "permissions")
#: Not free text: encrypted or hashed values and detected file types.
NOT_TEXT = {"cpr_encrypted", "cpr_index", "sha256", "content_type"}
MARKER = "zq{:05d}qx"
#: Objects crawled per model: all of the demo's users, teams, groups, processes and
#: partner objects; the first of its 150-odd tasks (one page looks like the next).
OBJECTS_PER_MODEL = 40
MARKER_PATTERN = re.compile(r"zq\d{5}qx")


@pytest.fixture(scope="module")
def marked(django_db_setup, django_db_blocker):
    """The demo with markers, once per module, rolled back when the module ends."""
    with demo_seeded(django_db_blocker):
        yield _mark_case_content()


def _mark_case_content() -> list[str]:
    from viewflow.workflow.models import Task

    from caseflow.accounts.models import Team, User
    from caseflow.cases.models import Case, Disclosure
    from caseflow.documents.models import Document
    from caseflow.intake.models import IdempotencyRecord, PartnerOrganisation
    from caseflow.intake.services import partner_token_issue
    from caseflow.journal.models import JournalNote
    from caseflow.people.cpr import cpr_decrypt
    from caseflow.people.models import Person
    from caseflow.referrals.models import Referral
    from permissions.models import BreakGlassAccess

    counter = iter(range(1, 100000))
    markers = []

    def marker():
        value = MARKER.format(next(counter))
        markers.append(value)
        return value

    admin_user = User.objects.get(username="admin")
    case = Case.objects.order_by("pk").first()
    now = timezone.now()
    # Content beyond the demo's, by caseworker1 (who owns tasks) and by a demo user who
    # owns none (whose delete confirmation Django would fill with the protecting objects).
    without_tasks = (User.objects.filter(is_superuser=False).exclude(pk__in=Task.objects.filter(owner__isnull=False)
                                                                     .values("owner"))
                     .order_by("pk").first())
    for author in (User.objects.get(username="caseworker1"), without_tasks):
        JournalNote.objects.create(case=case, author=author, event_at=now, status="final", finalised_at=now,
                                   text=f"Restricted note {marker()}", source_authority="police", restricted=True)
        JournalNote.objects.create(case=case, author=author, event_at=now, text="draft", source_authority="ssp")
        Document.objects.create(case=case, subject="subject", restricted=True, file="documents/x",
                                original_name="name.pdf", content_type="application/pdf", size=1, sha256="0" * 64,
                                uploaded_by=author)
        Disclosure.objects.create(case=case, recipient="recipient", data="data", legal_basis="sel_49b",
                                  justification="why", decided_by=author)
        BreakGlassAccess.objects.create(case=case, user=author, reason="reason", opened_at=now,
                                        expires_at=now + datetime.timedelta(hours=1))
    # A partner organisation with a token and an idempotency record naming a referral.
    organisation = PartnerOrganisation.objects.create(name="Partner school", team=Team.objects.order_by("pk").first(),
                                                      service_user=User.objects.get(username="partner1"))
    partner_token_issue(actor=admin_user, organisation=organisation)
    IdempotencyRecord.objects.create(organisation=organisation, key="key-1", body_hash="0" * 64,
                                     referral=Referral.objects.order_by("pk").first())

    # The plain CPR numbers, before any marker overwrites their masked form.
    tokens = Person.objects.exclude(cpr_encrypted="").exclude(cpr_encrypted__isnull=True)
    for token in tokens.values_list("cpr_encrypted", flat=True):
        number = cpr_decrypt(token)
        markers += [number, f"{number[:6]}-{number[6:]}"]

    for model in apps.get_models():
        if model._meta.app_label not in CONTENT_APPS or model._meta.proxy or not model._meta.managed:
            continue
        fields = [field for field in model._meta.concrete_fields
                  if isinstance(field, (models.CharField, models.TextField, models.FileField))
                  and not field.choices and field.name not in NOT_TEXT
                  and (field.max_length is None or field.max_length >= len(MARKER.format(0)))]
        rows = model._default_manager.all()
        if model is JournalNote:
            rows = rows.exclude(status="final")  # final notes are immutable (the one above has its marker)
        for row in rows.values("pk", *[field.attname for field in fields]):
            values = {field.attname: marker() for field in fields if row[field.attname]}
            if values:
                model._default_manager.filter(pk=row["pk"]).update(**values)
    return markers


@pytest.fixture
def superuser_client(marked, db):
    from caseflow.accounts.models import User

    admin_user = User.objects.get(username="admin", is_superuser=True)
    # Recent actions on the index: one entry per registered model's first objects.
    for model in admin.site._registry:
        first = model._default_manager.order_by("pk")[:2]
        if first:
            LogEntry.objects.log_actions(user_id=admin_user.pk, queryset=first, action_flag=CHANGE,
                                         change_message="checked")
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    return client


def _object_pages(model, model_admin, pk) -> list[str]:
    """Every page of the model admin that takes an object id (change, history, delete,
    a user's password form...)."""
    urls = []
    for pattern in model_admin.get_urls():
        if not isinstance(pattern, URLPattern) or not pattern.name:
            continue
        route = str(pattern.pattern)
        params = re.findall(r"<(?:\w+:)?(\w+)>", route)
        if params and set(params) <= {"object_id", "id"}:
            urls.append(reverse(f"admin:{pattern.name}", kwargs=dict.fromkeys(params, pk)))
    return urls


def _autocomplete_queries() -> list[dict]:
    queries = []
    for model in admin.site._registry:
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and field.related_model is not None:
                queries.append({"app_label": model._meta.app_label, "model_name": model._meta.model_name,
                                "field_name": field.name, "term": ""})
    return queries


def _leaks(content: bytes, markers: list[str]) -> list[str]:
    text = content.decode("utf-8", errors="replace")
    return sorted({marker for marker in markers if marker in text} | set(MARKER_PATTERN.findall(text)))


def test_the_markers_are_in_place(marked):
    """The crawl below means something: the markers are in the database."""
    from caseflow.documents.models import Document
    from caseflow.people.models import Person

    assert len(marked) > 100
    assert any(MARKER_PATTERN.fullmatch(person.last_name) for person in Person.objects.all())
    assert all(MARKER_PATTERN.fullmatch(document.subject) for document in Document.objects.filter(restricted=True))


def test_no_admin_page_shows_case_content(superuser_client, marked):
    client = superuser_client
    problems = []

    def check(url, response):
        if response.status_code >= 500:
            problems.append((url, response.status_code))
        leaks = _leaks(response.content, marked)
        if leaks:
            problems.append((url, leaks[:5]))

    def get(url, data=None):
        check(url if not data else f"{url}?{data}", client.get(url, data or {}))

    get(reverse("admin:index"))
    get(reverse("admin:password_change"))
    for app_label in sorted({model._meta.app_label for model in admin.site._registry}):
        get(reverse("admin:app_list", args=[app_label]))
    pages = 0
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        changelist = reverse(f"{info}_changelist")
        get(changelist)
        get(changelist, {"q": "zq"})
        get(changelist, {"_popup": "1", "_to_field": "id"})
        get(reverse(f"{info}_add"))
        pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True)[:OBJECTS_PER_MODEL])
        for pk in pks:
            for url in _object_pages(model, model_admin, pk):
                get(url)
                pages += 1
        # The "delete selected" action's confirmation (it deletes only on "post": yes).
        if pks:
            response = client.post(changelist, {"action": "delete_selected", "_selected_action": pks, "index": 0})
            check(f"{changelist} delete_selected", response)
    for query in _autocomplete_queries():
        get(reverse("admin:autocomplete"), query)

    assert pages > 100, "the crawl reached the objects' pages"
    assert problems == [], "\n".join(f"{url}: {problem}" for url, problem in problems)


def test_a_user_with_case_history_is_not_deleted(superuser_client, marked):
    """caseworker1's delete confirmation refuses (her record protects her) and counts
    what it would take, without naming it; confirming deletes nothing."""
    from caseflow.accounts.models import User

    caseworker = User.objects.get(username="caseworker1")
    url = reverse("admin:accounts_user_delete", args=[caseworker.pk])
    response = superuser_client.get(url)
    assert response.status_code == 200
    assert response.context["protected"] or response.context["perms_lacking"]
    page = response.content.decode()
    assert 'class="deactivate-instead"' in page  # "deactivate the user instead"
    assert _leaks(response.content, marked) == []

    superuser_client.post(url, {"post": "yes"})
    changelist = reverse("admin:accounts_user_changelist")
    superuser_client.post(changelist, {"action": "delete_selected", "_selected_action": [caseworker.pk],
                                       "post": "yes"})
    assert User.objects.filter(pk=caseworker.pk).exists()


def test_deletion_summary_counts_case_content_among_the_protected(superuser_client, marked):
    """The registered models are named; the others are counted per model."""
    from caseflow.accounts.models import Team

    team = Team.objects.order_by("pk").first()
    response = superuser_client.get(reverse("admin:accounts_team_delete", args=[team.pk]))
    protected = [str(line) for line in response.context["protected"]]
    assert any(re.fullmatch(r"[^:]+: \d+", line) for line in protected), protected
    assert any("/admin/accounts/user/" in line for line in protected), protected


def test_a_user_without_history_is_deleted_with_their_devices(superuser_client, marked):
    """An account never used (a typo, say) goes, and takes its sign-in device and
    notification settings with it: counted, not named."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from caseflow.accounts.models import User
    from caseflow.notifications.models import NotificationPreference

    user = User.objects.create_user(username="typo", first_name="Typo")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    NotificationPreference.objects.create(user=user)
    url = reverse("admin:accounts_user_delete", args=[user.pk])
    response = superuser_client.get(url)
    assert response.context["protected"] == []
    assert not response.context["perms_lacking"]
    lines = [str(line) for line in _flatten(response.context["deleted_objects"])]
    assert any(f"/admin/accounts/user/{user.pk}/change/" in line for line in lines), lines
    assert sum(bool(re.fullmatch(r"[^:<]+: 1", line)) for line in lines) == 2, lines

    superuser_client.post(url, {"post": "yes"})
    assert not User.objects.filter(pk=user.pk).exists()
    assert not TOTPDevice.objects.filter(user_id=user.pk).exists()


def _flatten(nested):
    for item in nested:
        if isinstance(item, list):
            yield from _flatten(item)
        else:
            yield item


def test_unnamed_objects_leave_the_nesting_and_their_named_children_move_up():
    from permissions.admin_site import _prune

    assert _prune(["user", [None, ["task", ["task link"]], "group link"], None, ["device"]]) == [
        "user", ["task", ["task link"], "group link"], "device"]
    assert _prune([None, [None]]) == []
