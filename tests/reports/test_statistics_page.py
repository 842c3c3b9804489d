"""The statistics page and its CSV: who may read them (and who may not), the audit
events, bad input, suppression on what is served, and the inline SVG charts."""

import csv
import datetime
import io
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from caseflow.audit.actions import AuditAction
from caseflow.audit.models import AuditEvent
from caseflow.reports.models import ReferralStatistic
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/reports/statistics/"
CSV_URL = "/reports/statistics/csv/"
YEAR = timezone.localdate().year


@pytest.fixture
def auditor():
    return UserFactory(team=None, roles=["auditor"])


@pytest.fixture
def store():
    """A store of 23 referrals this year: 12 + 3 from schools (Q1/Q2), 8 from the police."""
    now = timezone.now()
    rows = []
    for index in range(23):
        month = datetime.date(YEAR, 1 if index < 12 else (4 if index < 15 else 2), 1)
        rows.append(ReferralStatistic(
            key=f"{index:064x}", received_month=month,
            referrer_type="police" if index >= 15 else "primary_school", age_band="25+",
            outcome="unfounded" if index % 2 else "case_level_2", founded=not index % 2,
            level=None if index % 2 else 2, phenomenon="", days_to_screening=5, settled=True, refreshed_at=now,
        ))
    ReferralStatistic.objects.bulk_create(rows)


def _cells(html: str) -> list[str]:
    return [unescape(text) for text in re.findall(r'<td class="number[^"]*" data-key="[^"]+">([^<]*)</td>', html)]


def test_statistics_url_is_the_contract():
    assert reverse("reports:statistics") == URL
    assert reverse("reports:statistics_csv") == CSV_URL


@pytest.mark.parametrize("who", ["supervisor", "auditor"])
def test_supervisor_and_auditor_see_the_statistics_and_the_read_is_audited(client, store, request, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(URL, {"year": YEAR})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html
    assert 'role="img"' in html
    assert "<script" not in html.split("<main", 1)[-1]
    cells = _cells(html)
    assert cells, "the tables are rendered"
    assert "23" in cells
    assert not [text for text in cells if text.isdigit() and 0 < int(text) < 5]
    event = AuditEvent.objects.filter(action=AuditAction.STATISTICS_VIEWED).get()
    assert event.actor == user
    assert event.target_id == str(YEAR)
    assert event.extra["suppressed"] > 0


@pytest.mark.parametrize("roles", [["caseworker"], ["child_consultant"], ["bbu_liaison"], ["mentor"],
                                   ["parent_coach"], ["partner_member"], []])
def test_other_roles_are_refused_and_the_refusal_is_audited(client, team, store, roles):
    user = UserFactory(team=team, roles=roles)
    client.force_login(user)
    for url in (URL, CSV_URL):
        response = client.get(url, {"year": YEAR})
        assert response.status_code == 403
        assert b"23" not in response.content
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, actor=user,
                                     target_type="reports.statistics").count() == 2
    assert not AuditEvent.objects.filter(action__in=[AuditAction.STATISTICS_VIEWED,
                                                     AuditAction.STATISTICS_EXPORTED]).exists()


def test_superuser_without_a_role_is_refused(client, store):
    admin = UserFactory(team=None, is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get(URL).status_code == 403


def test_anonymous_is_sent_to_the_login(client, store):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_csv_has_the_same_suppression_and_is_audited(client, supervisor, store):
    client.force_login(supervisor)
    response = client.get(CSV_URL, {"year": YEAR})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["year", "table", "row", "column", "value"]
    values = [row[-1] for row in rows[1:]]
    assert "23" in values
    assert "<5" in values
    assert not [value for value in values if value.isdigit() and 0 < int(value) < 5]
    page_cells = _cells(client.get(URL, {"year": YEAR}).content.decode())
    counts = [value for value in values if not value.endswith("%") and value != "–"]
    assert sorted(counts) == sorted(page_cells)
    event = AuditEvent.objects.filter(action=AuditAction.STATISTICS_EXPORTED).get()
    assert event.actor == supervisor
    assert event.target_id == str(YEAR)


@pytest.mark.parametrize("year", ["abc", "1899", str(YEAR + 1), ""])
def test_bad_year_is_a_form_error_and_nothing_is_recorded_as_viewed(client, supervisor, store, year):
    client.force_login(supervisor)
    for url in (URL, CSV_URL):
        response = client.get(url, {"year": year})
        assert response.status_code == 400
        # The default language is Danish: "Choose one of the years in the list."
        assert "Vælg et af årene på listen." in response.content.decode() or year == ""
    assert not AuditEvent.objects.filter(action__in=[AuditAction.STATISTICS_VIEWED,
                                                     AuditAction.STATISTICS_EXPORTED]).exists()


def test_default_year_is_this_year(client, supervisor, store):
    client.force_login(supervisor)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["stats"].year == YEAR


def test_page_in_danish_renders_and_menu_links_to_it(client, supervisor, store):
    client.force_login(supervisor)
    with translation.override("da"):
        response = client.get(URL, {"year": YEAR}, HTTP_ACCEPT_LANGUAGE="da")
    assert response.status_code == 200
    assert f'href="{URL}"' in response.content.decode()
