"""The run as a whole: the nightly beat entry replaces the audit-prune one, the task
runs the rules as the system, and one item that cannot be deleted is left whole while
the others go on (the command then exits non-zero)."""

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from caseflow.journal.models import JournalNote
from caseflow.retention.models import DeletionRecord
from caseflow.retention.services import retention_run
from caseflow.retention.tasks import retention_run_task

pytestmark = pytest.mark.django_db


def test_beat_runs_retention_nightly_instead_of_the_audit_prune():
    entry = settings.CELERY_BEAT_SCHEDULE["retention-run"]
    assert entry["task"] == "retention.tasks.retention_run_task"
    assert entry["schedule"].hour == {2}
    assert "audit-prune-reads" not in settings.CELERY_BEAT_SCHEDULE


def test_task_applies_the_rules_as_the_system(build_case):
    graph = build_case()
    with time_machine.travel(graph.case.closed_at + relativedelta(years=5), tick=False):
        result = retention_run_task.apply().get()
    assert result["counts"]["closed_adult_case"] == {"deleted": 1}
    event = AuditEvent.objects.get(action="retention.deleted")
    assert event.system_actor == "task:retention.tasks.retention_run_task"
    assert event.actor is None


def test_one_failing_case_is_left_whole_and_the_others_go_on(build_case, worker, capsys):
    first = build_case()
    second = build_case()
    # A note in the second case that corrects a note of the first: the first cannot go alone.
    note = JournalNote.objects.filter(case=first.case, corrects__isnull=False).get()
    JournalNote.objects.create(case=second.case, author=worker, event_at=timezone.now(), text="Fiktiv rettelse.",
                               source_authority=JournalNote.SourceAuthority.COORDINATION_UNIT, corrects=note,
                               status=JournalNote.Status.FINAL, finalised_at=timezone.now())
    third = build_case()
    with time_machine.travel(third.case.closed_at + relativedelta(years=5), tick=False):
        with pytest.raises(CommandError):
            call_command("retention_run")
        assert f"failed: {first.case.pk}" in capsys.readouterr().err
        assert Case.objects.filter(pk=first.case.pk).exists()
        assert JournalNote.objects.filter(case=first.case).count() == 3  # rolled back whole
        assert not Case.objects.filter(pk__in=[second.case.pk, third.case.pk]).exists()
        assert sorted(DeletionRecord.objects.values_list("object_id", flat=True)) == sorted(
            [second.case.pk, third.case.pk])
        # With the correcting note gone along with its case, the next night takes the first.
        result = retention_run()
    assert result.counts["closed_adult_case"] == {"deleted": 1}
    assert not Case.objects.filter(pk=first.case.pk).exists()
