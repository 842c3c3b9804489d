"""The pseudonymised statistics store: what it holds (read raw), the refresh's
idempotence, and that retention (deleting or anonymising live rows) leaves the
published counts unchanged."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection

from caseflow.audit.actions import AuditAction
from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case, Decision
from caseflow.interventions.models import Intervention
from caseflow.people.services import person_identify
from caseflow.referrals.models import Referral
from caseflow.reports.keys import statistics_pseudonym
from caseflow.reports.models import (
    DeadlineBreachStatistic,
    InterventionStatistic,
    ReferralStatistic,
    StatisticsOutcome,
)
from caseflow.reports.services import age_band, statistics_refresh
from caseflow.reports.statistics import statistics_build
from caseflow.reports.tasks import statistics_refresh_task
from tests.factories import CaseFactory, InterventionFactory, PersonFactory, ReferralFactory

pytestmark = pytest.mark.django_db

CPR = "010190-1234"
CPR_DIGITS = "0101901234"
FIRST_NAME = "Ærlendur"
LAST_NAME = "Fiktivsen"
CONCERN = "Fiktiv bekymring om delte voldelige memes i frikvarteret"
REFERRER = "Lærer Fiktiva Underviser"
JUSTIFICATION = "Fiktiv begrundelse for screeningen"
GOALS = "Fiktivt mål: genoptage fritidsjobbet"


def _at(year, month, day):
    return datetime.datetime(year, month, day, 10, 0, tzinfo=datetime.UTC)


def _screen(referral, outcome, *, on, case=None):
    Decision.objects.create(kind=Decision.Kind.SCREENING, referral=referral, outcome=outcome,
                            justification=JUSTIFICATION, decided_by=referral.registered_by, decided_at=on)
    referral.outcome = outcome
    referral.status = Referral.Status.ASSESSED
    referral.case = case
    if case is None:
        referral.closed_at = on
    referral.save()
    return referral


@pytest.fixture
def cpr_person(worker):
    person = person_identify(actor=worker, cpr=CPR, first_name=FIRST_NAME, last_name=LAST_NAME)
    person.address = "Fiktivvej 1, 2300 København S"
    person.save()
    return person


@pytest.fixture
def data(team, worker, cpr_person):
    """Seven referrals received in March 2025: one founded (closed case, level 3), five
    unfounded, one pending; an intervention on the case; fictional content everywhere."""
    case = CaseFactory(team=team, responsible=worker, person=cpr_person, level=Case.Level.INTERVENING,
                       phenomenon=Case.Phenomenon.RIGHT_WING, closed_at=_at(2025, 9, 1),
                       status=Case.Status.CLOSED, closure_reason=Case.ClosureReason.GOALS_MET)
    founded = ReferralFactory(team=team, registered_by=worker, person=cpr_person, received_at=_at(2025, 3, 3),
                              concern_text=CONCERN, referrer_name=REFERRER, referrer_type="police")
    _screen(founded, Referral.Outcome.CASE_LEVEL_3, on=_at(2025, 3, 13), case=case)
    unfounded = []
    for day in range(5):
        referral = ReferralFactory(team=team, registered_by=worker, received_at=_at(2025, 3, 4 + day),
                                   concern_text=CONCERN, referrer_name=REFERRER,
                                   person=PersonFactory(first_name=FIRST_NAME, birth_date=datetime.date(2010, 1, 1)))
        unfounded.append(_screen(referral, Referral.Outcome.UNFOUNDED, on=_at(2025, 3, 20)))
    pending = ReferralFactory(team=team, registered_by=worker, received_at=_at(2025, 3, 28), concern_text=CONCERN)
    intervention = InterventionFactory(case=case, goals=GOALS, status=Intervention.Status.ENDED,
                                       started_on=datetime.date(2025, 4, 2), ended_on=datetime.date(2025, 8, 30),
                                       end_reason=Intervention.EndReason.GOALS_MET)
    return {"case": case, "founded": founded, "unfounded": unfounded, "pending": pending,
            "intervention": intervention}


def _raw_store_text() -> str:
    """Every column of every row of the store's tables, read with SQL."""
    texts = []
    with connection.cursor() as cursor:
        for model in (ReferralStatistic, InterventionStatistic, DeadlineBreachStatistic):
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")  # noqa: S608 - our own table names
            columns = [column.name for column in cursor.description]
            texts.append(" ".join(columns))
            for row in cursor.fetchall():
                texts.append(" | ".join("" if value is None else str(value) for value in row))
    return "\n".join(texts)


def _figures(year=2025) -> dict:
    stats = statistics_build(year=year)
    return {key: stats.publication.display(key) for key in stats.publication.values}


def test_store_read_raw_holds_no_cpr_name_or_free_text(data, cpr_person):
    statistics_refresh(actor=None)
    assert ReferralStatistic.objects.count() == 7
    raw = _raw_store_text().lower()
    forbidden = [CPR, CPR_DIGITS, CPR_DIGITS[:6], cpr_person.cpr_index, cpr_person.cpr_encrypted[:20],
                 FIRST_NAME, LAST_NAME, "fiktivvej", CONCERN, "memes", REFERRER, JUSTIFICATION, GOALS,
                 data["founded"].reference, data["case"].reference]
    for value in forbidden:
        assert value.lower() not in raw, value
    # No foreign key, and no column that points at a live row.
    with connection.cursor() as cursor:
        for model in (ReferralStatistic, InterventionStatistic, DeadlineBreachStatistic):
            relations = connection.introspection.get_relations(cursor, model._meta.db_table)
            assert relations == {}, model
    for model in (ReferralStatistic, InterventionStatistic, DeadlineBreachStatistic):
        names = {field.column for field in model._meta.get_fields()}
        assert not {name for name in names if name.endswith("_id")}, model
    # Keyed pseudonyms, not ids.
    key = statistics_pseudonym("referral", data["founded"].pk)
    row = ReferralStatistic.objects.get(key=key)
    assert len(key) == 64
    assert str(data["founded"].pk) != key
    assert row.received_month == datetime.date(2025, 3, 1)
    assert (row.outcome, row.founded, row.level, row.phenomenon) == ("case_level_3", True, 3, "right_wing")
    assert row.days_to_screening == 10
    assert row.settled
    assert row.age_band == "25+"


def test_pseudonym_depends_on_the_key(settings):
    settings.CASEFLOW_STATISTICS_KEY = "a" * 40
    first = statistics_pseudonym("referral", 1)
    settings.CASEFLOW_STATISTICS_KEY = "b" * 40
    assert statistics_pseudonym("referral", 1) != first
    assert statistics_pseudonym("intervention", 1) != statistics_pseudonym("referral", 1)


def test_refresh_is_idempotent_and_audited_with_counts_only(data):
    first = statistics_refresh(actor=None)
    assert first["referrals"].created == 7
    assert first["interventions"].created == 1
    before = list(ReferralStatistic.objects.order_by("key").values())
    figures = _figures()
    second = statistics_refresh(actor=None)
    assert second["referrals"].created == 0
    assert second["referrals"].updated == 0
    assert list(ReferralStatistic.objects.order_by("key").values()) == before
    assert _figures() == figures
    events = AuditEvent.objects.filter(action=AuditAction.STATISTICS_REFRESHED).order_by("sequence")
    assert events.count() == 2
    extra = events.last().extra
    assert extra["referrals"] == {"created": 0, "updated": 0, "unchanged": 1, "settled_skipped": 6}
    assert CONCERN not in str(extra)
    assert FIRST_NAME not in str(extra)


def test_a_moving_referral_is_updated_and_then_settles(data):
    statistics_refresh(actor=None)
    pending = data["pending"]
    key = statistics_pseudonym("referral", pending.pk)
    assert ReferralStatistic.objects.get(key=key).outcome == StatisticsOutcome.PENDING
    _screen(pending, Referral.Outcome.ADVICE_TO_REFERRER, on=_at(2025, 4, 1))
    result = statistics_refresh(actor=None)
    assert result["referrals"].updated == 1
    row = ReferralStatistic.objects.get(key=key)
    assert (row.outcome, row.founded, row.settled, row.days_to_screening) == ("advice_to_referrer", False, True, 4)


def test_deleting_live_referrals_and_cases_leaves_the_counts_unchanged(data):
    statistics_refresh(actor=None)
    figures = _figures()
    assert len(figures) > 50
    # Retention deletes the founded referral and its (closed) case, the intervention,
    # an unfounded referral and the pending one; and anonymises another's person.
    Decision.objects.filter(referral__in=[data["founded"], data["unfounded"][0], data["pending"]]).delete()
    data["founded"].delete()
    data["intervention"].delete()
    data["case"].delete()
    data["unfounded"][0].delete()
    data["pending"].delete()
    person = data["unfounded"][1].person
    person.first_name, person.birth_date = "", None
    person.save()
    result = statistics_refresh(actor=None)
    assert result["referrals"].created == 0
    assert ReferralStatistic.objects.count() == 7
    assert InterventionStatistic.objects.count() == 1
    assert _figures() == figures
    assert not Referral.objects.filter(pk=data["founded"].pk).exists()


def test_anonymised_person_of_a_moving_referral_keeps_its_age_band(data, team, worker):
    referral = ReferralFactory(team=team, registered_by=worker, received_at=_at(2025, 5, 2),
                               person=PersonFactory(birth_date=datetime.date(2009, 6, 1)))
    statistics_refresh(actor=None)
    key = statistics_pseudonym("referral", referral.pk)
    assert ReferralStatistic.objects.get(key=key).age_band == "15-17"
    referral.person.birth_date = None
    referral.person.save()
    statistics_refresh(actor=None)
    assert ReferralStatistic.objects.get(key=key).age_band == "15-17"


@pytest.mark.parametrize(("birth", "band"), [
    (datetime.date(2011, 3, 4), "0-14"), (datetime.date(2010, 3, 3), "15-17"), (datetime.date(2007, 3, 3), "18-24"),
    (datetime.date(2000, 3, 3), "25+"), (None, "unknown"),
])
def test_age_band_at_registration(birth, band):
    assert age_band(birth, datetime.date(2025, 3, 3)) == band


def test_command_and_task_refresh(data, capsys):
    call_command("statistics_refresh")
    assert "referrals: 7 created" in capsys.readouterr().out
    assert statistics_refresh_task.apply().get()["referrals"]["created"] == 0
    event = AuditEvent.objects.filter(action=AuditAction.STATISTICS_REFRESHED).order_by("-sequence").first()
    assert event.system_actor == "task:reports.tasks.statistics_refresh_task"
