"""Each retention rule fires at the right age and not a day before (time_machine);
legal holds stop them; minors' cases are queued for review, never deleted by the run;
a dry run changes nothing."""

import datetime

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.utils import timezone

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case, Decision
from caseflow.core.exceptions import ApplicationError
from caseflow.people.models import CustodyHolder, Person
from caseflow.referrals.models import Referral
from caseflow.retention.deletion import ANONYMISED_TEXT
from caseflow.retention.models import ArchiveReview, DeletionRecord, Rule
from caseflow.retention.services import (
    archive_review_decide,
    legal_hold_lift,
    legal_hold_set,
    retention_run,
)

from .conftest import CHILD, SECRET_TEXT

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def at(moment):
    return time_machine.travel(moment, tick=False)


# --------------------------------------------------------------------------- class A: unfounded concerns


def test_unfounded_concern_anonymised_after_12_months_not_a_day_before(build_unfounded):
    referral = build_unfounded()
    person_id = referral.person_id
    due = referral.closed_at + relativedelta(months=12)
    with at(due - DAY):
        result = retention_run()
    assert result.counts["unfounded_referral"] == {}
    assert Referral.objects.get(pk=referral.pk).concern_text == SECRET_TEXT
    assert not DeletionRecord.objects.exists()

    with at(due):
        result = retention_run()
    assert result.counts["unfounded_referral"] == {"anonymised": 1}
    after = Referral.objects.get(pk=referral.pk)
    assert (after.concern_text, after.referrer_name, after.referrer_contact, after.person_id) == ("", "", "", None)
    # The categorical facts stay.
    assert (after.outcome, after.status, after.channel, after.referrer_type, after.urgency, after.closed_at) == (
        referral.outcome, referral.status, referral.channel, referral.referrer_type, referral.urgency,
        referral.closed_at)
    assert after.warning_signs == ["family_isolation", "violence"]
    decision = Decision.objects.get(referral=referral)
    assert (decision.justification, decision.members_present, decision.outcome) == (ANONYMISED_TEXT, "", "unfounded")
    # The person had nothing else: gone, with their custody holders.
    assert not Person.objects.filter(pk=person_id).exists()
    assert not CustodyHolder.objects.filter(person_id=person_id).exists()
    record = DeletionRecord.objects.get()
    assert (record.rule, record.action, record.object_type, record.object_id, record.reference) == (
        Rule.UNFOUNDED_ANONYMISED, "anonymised", "referral", referral.pk, referral.reference)
    assert record.counts["deleted"]["people.person"] == 1
    assert AuditEvent.objects.filter(action="retention.anonymised", target_id=str(referral.pk)).count() == 1

    with at(due + DAY):  # the next night: nothing more to do
        assert retention_run().counts["unfounded_referral"] == {}
    assert DeletionRecord.objects.count() == 1


def test_shelved_concern_is_class_a_too(build_unfounded):
    referral = build_unfounded(shelved=True)
    assert referral.status == Referral.Status.SHELVED
    with at(referral.closed_at + relativedelta(months=12)):
        assert retention_run().counts["unfounded_referral"] == {"anonymised": 1}
    assert Referral.objects.get(pk=referral.pk).concern_text == ""


def test_unfounded_concern_keeps_a_person_who_has_a_case(build_unfounded, build_case):
    graph = build_case(closed=False)
    person = Person.objects.get(pk=graph.person_id)
    referral = build_unfounded(person=person)
    with at(referral.closed_at + relativedelta(months=12)):
        retention_run()
    assert Referral.objects.get(pk=referral.pk).person_id is None
    assert Person.objects.filter(pk=person.pk).exists()
    assert Case.objects.filter(pk=graph.case.pk).exists()


def test_founded_and_open_referrals_are_not_anonymised(build_case, worker, team):
    graph = build_case()  # its referral opened the case: it goes with the case, not by rule A
    with at(graph.referral.received_at + relativedelta(years=4)):
        assert retention_run().counts["unfounded_referral"] == {}
    assert Referral.objects.get(pk=graph.referral.pk).concern_text == SECRET_TEXT


# --------------------------------------------------------------------------- class B: closed adult cases


def test_closed_adult_case_deleted_after_5_years_not_a_day_before(build_case):
    graph = build_case()
    due = graph.case.closed_at + relativedelta(years=5)
    with at(due - DAY):
        assert retention_run().counts["closed_adult_case"] == {}
    assert Case.objects.filter(pk=graph.case.pk).exists()
    with at(due):
        assert retention_run().counts["closed_adult_case"] == {"deleted": 1}
    assert not Case.objects.filter(pk=graph.case.pk).exists()


def test_periods_are_configurable(build_case, build_unfounded, settings):
    settings.CASEFLOW_RETENTION_CLOSED_CASE_YEARS = 2
    settings.CASEFLOW_RETENTION_UNFOUNDED_MONTHS = 3
    graph = build_case()
    referral = build_unfounded()
    with at(graph.case.closed_at + relativedelta(years=2) + DAY):
        counts = retention_run().counts
    assert counts["closed_adult_case"] == {"deleted": 1}
    assert counts["unfounded_referral"] == {"anonymised": 1}
    assert Referral.objects.get(pk=referral.pk).person_id is None


# --------------------------------------------------------------------------- class C: minors' cases


def test_minors_case_queued_for_review_never_deleted(build_case, team):
    graph = build_case(birth_date=CHILD)
    due = graph.case.closed_at + relativedelta(years=5)
    with at(due - DAY):
        assert retention_run().counts["minor_case_review"] == {}
    assert not ArchiveReview.objects.exists()
    with at(due):
        assert retention_run().counts["minor_case_review"] == {"queued": 1}
    with at(due + relativedelta(years=3)):  # later runs neither delete it nor queue it again
        assert retention_run().counts["minor_case_review"] == {"kept": 1}
    assert Case.objects.filter(pk=graph.case.pk).exists()
    review = ArchiveReview.objects.get()
    assert (review.case_id, review.case_reference, review.team_id, review.status) == (
        graph.case.pk, graph.case.reference, team.pk, ArchiveReview.Status.PENDING)
    assert not DeletionRecord.objects.exists()
    assert AuditEvent.objects.filter(action="retention.review_queued", case_id=graph.case.pk).count() == 1


def test_case_of_someone_who_turned_18_during_it_is_a_minors_case(build_case):
    # 17 when the case opened, over 18 when it closed.
    birth_date = timezone.localdate() - relativedelta(years=17, months=6)
    graph = build_case(birth_date=birth_date)
    Case.objects.filter(pk=graph.case.pk).update(is_minor=False)
    Decision.objects.filter(case=graph.case).update(subject_was_minor=False)
    with at(graph.case.closed_at + relativedelta(years=5)):
        counts = retention_run().counts
    assert counts["minor_case_review"] == {"queued": 1}
    assert counts["closed_adult_case"] == {}
    assert Case.objects.filter(pk=graph.case.pk).exists()


def test_unknown_birth_date_goes_to_review(build_case):
    graph = build_case()
    Person.objects.filter(pk=graph.person_id).update(birth_date=None)
    with at(graph.case.closed_at + relativedelta(years=5)):
        assert retention_run().counts["minor_case_review"] == {"queued": 1}
    assert Case.objects.filter(pk=graph.case.pk).exists()


def test_review_kept_for_years_then_queued_again(build_case, supervisor):
    graph = build_case(birth_date=CHILD)
    due = graph.case.closed_at + relativedelta(years=5)
    with at(due):
        retention_run()
        review = archive_review_decide(actor=supervisor, review=ArchiveReview.objects.get(), delete=False,
                                       keep_years=2, reason="Arkivet ønsker sagen bevaret.")
    assert review.keep_until == timezone.localtime(due).date() + relativedelta(years=2)
    with at(due + relativedelta(years=2) - DAY):
        assert retention_run().counts["minor_case_review"] == {"kept": 1}
    with at(due + relativedelta(years=2)):
        assert retention_run().counts["minor_case_review"] == {"queued": 1}
    assert ArchiveReview.objects.filter(status="pending").count() == 1
    assert AuditEvent.objects.filter(action="retention.review_decided").count() == 1


def test_review_decided_delete_removes_the_case(build_case, supervisor, django_capture_on_commit_callbacks,
                                                media_root):
    graph = build_case(birth_date=CHILD)
    with at(graph.case.closed_at + relativedelta(years=5)):
        retention_run()
        with django_capture_on_commit_callbacks(execute=True):
            review = archive_review_decide(actor=supervisor, review=ArchiveReview.objects.get(), delete=True,
                                           reason="Gennemgået; kan kasseres.")
    assert review.status == ArchiveReview.Status.DELETED
    assert review.case_id is None
    assert not Case.objects.filter(pk=graph.case.pk).exists()
    assert not (media_root / graph.document_files[0]).exists()
    record = DeletionRecord.objects.get()
    assert (record.rule, record.decided_by, record.object_id) == (Rule.MINOR_CASE_REVIEWED, supervisor,
                                                                  graph.case.pk)
    with pytest.raises(ApplicationError):  # decided once
        archive_review_decide(actor=supervisor, review=review, delete=False, keep_years=1, reason="Igen.")


def test_review_decision_refused_to_others(build_case, worker, outsider, team):
    from tests.factories import TeamFactory, UserFactory

    graph = build_case(birth_date=CHILD)
    other_supervisor = UserFactory(team=TeamFactory(name="Andet hold"), roles=["supervisor"])
    with at(graph.case.closed_at + relativedelta(years=5)):
        retention_run()
    review = ArchiveReview.objects.get()
    for actor in (worker, outsider, other_supervisor):
        with pytest.raises(ApplicationError):
            archive_review_decide(actor=actor, review=review, delete=True, reason="Nej.")
    assert Case.objects.filter(pk=graph.case.pk).exists()
    assert ArchiveReview.objects.get().status == ArchiveReview.Status.PENDING


# --------------------------------------------------------------------------- legal hold


def test_legal_hold_on_a_case_stops_deletion_until_lifted(build_case, supervisor):
    graph = build_case()
    hold = legal_hold_set(actor=supervisor, target=graph.case, reason="Retssag verserer.")
    due = graph.case.closed_at + relativedelta(years=5)
    with at(due):
        assert retention_run().counts["closed_adult_case"] == {"held": 1}
    assert Case.objects.filter(pk=graph.case.pk).exists()
    with at(due + DAY):
        legal_hold_lift(actor=supervisor, hold=hold, reason="Retssagen er afsluttet.")
    with at(due + 2 * DAY):
        assert retention_run().counts["closed_adult_case"] == {"deleted": 1}
    assert AuditEvent.objects.filter(action="retention.legal_hold_set").count() == 1
    assert AuditEvent.objects.filter(action="retention.legal_hold_lifted").count() == 1


def test_hold_stops_every_rule_for_everything_of_the_person(build_case, build_unfounded, supervisor):
    graph = build_case()
    person = Person.objects.get(pk=graph.person_id)
    referral = build_unfounded(person=person)
    minor_graph = build_case(birth_date=CHILD)
    # A hold set through the person's (open) referral covers their closed case too.
    other = build_unfounded(person=person)
    legal_hold_set(actor=supervisor, target=other, reason="Aktindsigtssag.")
    with at(minor_graph.case.closed_at + relativedelta(years=5)):
        counts = retention_run().counts
    assert counts["closed_adult_case"] == {"held": 1}
    assert counts["unfounded_referral"] == {"held": 2}
    assert counts["minor_case_review"] == {"queued": 1}  # another person: not held
    assert Case.objects.filter(pk=graph.case.pk).exists()
    assert Referral.objects.get(pk=referral.pk).concern_text == SECRET_TEXT
    assert ArchiveReview.objects.get().case_id == minor_graph.case.pk
    assert not DeletionRecord.objects.exists()


def test_whole_person_hold_blocks_the_minors_queue(build_case, supervisor):
    graph = build_case(birth_date=CHILD)
    hold = legal_hold_set(actor=supervisor, target=graph.case, whole_person=True, reason="Politiets anmodning.")
    assert (hold.target_type, hold.person_id, hold.case_id) == ("person", graph.person_id, None)
    with at(graph.case.closed_at + relativedelta(years=5)):
        assert retention_run().counts["minor_case_review"] == {"held": 1}
    assert not ArchiveReview.objects.exists()


def test_legal_hold_only_by_the_teams_supervisor(build_case, worker, supervisor):
    from tests.factories import TeamFactory, UserFactory

    graph = build_case()
    other_supervisor = UserFactory(team=TeamFactory(name="Andet hold"), roles=["supervisor"])
    for actor in (worker, other_supervisor):
        with pytest.raises(ApplicationError):
            legal_hold_set(actor=actor, target=graph.case, reason="Nej.")
    with pytest.raises(ApplicationError):
        legal_hold_set(actor=supervisor, target=graph.case, reason="  ")
    hold = legal_hold_set(actor=supervisor, target=graph.case, reason="Ja.")
    with pytest.raises(ApplicationError):
        legal_hold_set(actor=supervisor, target=graph.case, reason="To gange.")
    for actor in (worker, other_supervisor):
        with pytest.raises(ApplicationError):
            legal_hold_lift(actor=actor, hold=hold, reason="Nej.")
    assert AuditEvent.objects.filter(action="retention.legal_hold_set").count() == 1


def test_review_delete_refused_while_held(build_case, supervisor):
    graph = build_case(birth_date=CHILD)
    with at(graph.case.closed_at + relativedelta(years=5)):
        retention_run()
        legal_hold_set(actor=supervisor, target=graph.case, reason="Retssag.")
        with pytest.raises(ApplicationError):
            archive_review_decide(actor=supervisor, review=ArchiveReview.objects.get(), delete=True, reason="Slet.")
    assert Case.objects.filter(pk=graph.case.pk).exists()


# --------------------------------------------------------------------------- dry run


def _row_counts():
    return {model._meta.label: model._base_manager.count() for model in apps.get_models(include_auto_created=True)}


def test_dry_run_changes_nothing(build_case, build_unfounded, media_root):
    graph = build_case()
    minor = build_case(birth_date=CHILD)
    referral = build_unfounded()
    with at(minor.case.closed_at + relativedelta(years=5)):
        rows = _row_counts()
        last_event = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first()
        result = retention_run(dry_run=True)
        assert result.dry_run
        assert result.counts == {"unfounded_referral": {"anonymised": 1}, "closed_adult_case": {"deleted": 1},
                                 "minor_case_review": {"queued": 1}}
        after = _row_counts()
    new_events = list(AuditEvent.objects.filter(sequence__gt=last_event).values_list("action", flat=True))
    assert new_events == ["retention.run"]
    rows["audit.AuditEvent"] += 1
    assert after == rows
    assert Referral.objects.get(pk=referral.pk).concern_text == SECRET_TEXT
    assert Case.objects.filter(pk__in=[graph.case.pk, minor.case.pk]).count() == 2
    assert (media_root / graph.document_files[0]).exists()


def test_dry_run_command_prints_per_rule(build_case, capsys):
    from django.core.management import call_command

    graph = build_case()
    with at(graph.case.closed_at + relativedelta(years=5)):
        call_command("retention_run", "--dry-run")
    out = capsys.readouterr().out
    assert "closed_adult_case: would: deleted 1" in out
    assert "unfounded_referral: would: nothing" in out
    assert Case.objects.filter(pk=graph.case.pk).exists()


def test_command_runs_the_rules(build_case, capsys):
    from django.core.management import call_command

    graph = build_case()
    with at(graph.case.closed_at + relativedelta(years=5)):
        call_command("retention_run")
    assert "closed_adult_case: done: deleted 1" in capsys.readouterr().out
    assert not Case.objects.filter(pk=graph.case.pk).exists()
    event = AuditEvent.objects.filter(action="retention.run").get()
    assert event.system_actor == "command:retention_run"
    assert event.extra["counts"]["closed_adult_case"] == {"deleted": 1}
