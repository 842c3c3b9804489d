"""Two Celery beat processes started by mistake (issue 9, point 3d): timers and retention
still act once.

Two real ``celery beat`` processes, each with its own schedule file, run against a Redis
of this test and this session's PostgreSQL database, with two real workers taking from
the same queue (so the two copies of each scheduled task run at the same time). Both
schedule files say the workflow timers and the nightly retention run are overdue (their
last run two days ago: beat sends a missed run once at start-up), so both beats send both
tasks at once. Due: a viewflow timer (a referral waiting for information past its
deadline) and retention candidates (two unfounded concerns closed 13 months ago, a closed
adult case and a closed minor's case, both closed six years ago).

Required: the timer fired once (one shelving decision, one end task, one audit event; one
of the two timer runs fired 1, the other 0); each concern anonymised once and the adult
case deleted once (one deletion record and one audit event each); the minor's case queued
for archive review once; the audit chain verifies.
"""

from __future__ import annotations

import datetime
import re
import subprocess
import sys
import time
import uuid

import pytest
from celery.beat import PersistentScheduler
from dateutil.relativedelta import relativedelta
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from caseflow.audit.models import AuditEvent
from caseflow.audit.services import audit_verify
from caseflow.cases.models import Case
from caseflow.cases.services import case_close
from caseflow.celery import app as celery_app
from caseflow.referrals.models import Referral
from caseflow.referrals.services import referral_register, referral_screen
from caseflow.retention.models import ArchiveReview, DeletionRecord
from tests.factories import CaseFactory, PersonFactory
from tests.faults.processes import ROOT, app_env, start_worker, stop, wait_for, wait_ready
from tests.workflows.test_referral_api_and_timeout import timer_of, to_waiting
from workflows.flows.referral import ReferralFlow
from workflows.models import ReferralProcess
from workflows.services import referral_process_start

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

OVERDUE = ("fire-workflow-timers", "retention-run")
TIMERS_TASK = "workflows.tasks.workflow_timers_fire_task"
RETENTION_TASK = "retention.tasks.retention_run_task"


def overdue_schedule(path) -> None:
    """A beat schedule file (what ``celery beat --schedule`` keeps between runs) in which
    the timers and the retention run last ran two days ago; every other entry just now."""
    scheduler = PersistentScheduler(app=celery_app, schedule_filename=str(path))
    try:
        for name in OVERDUE:
            scheduler.schedule[name].last_run_at = celery_app.now() - datetime.timedelta(days=2)
        scheduler.sync()
    finally:
        scheduler.close()


def start_beat(redis_url: str, queue: str, schedule, log_path, **extra: str) -> subprocess.Popen:
    log = open(log_path, "ab")  # noqa: SIM115 - the child keeps it
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "caseflow", "beat", "--loglevel", "INFO",
                             "--schedule", str(schedule)],
                            cwd=ROOT, env=app_env(redis_url, queue, **extra), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def succeeded(logs, task_name: str) -> list[str]:
    """Return values of ``task_name`` runs the workers report as succeeded."""
    pattern = re.compile(rf"Task {re.escape(task_name)}\[[^\]]+\] succeeded in [\d.]+s: (.*)")
    return [match for log in logs for match in pattern.findall(log.read_text(errors="replace"))]


def retention_candidates(team, worker):
    """Two unfounded concerns closed 13 months ago; an adult's and a minor's case closed
    six years ago. Built through the services, then aged."""
    long_ago = timezone.now() - relativedelta(months=13)
    concerns = []
    for number in range(2):
        person = PersonFactory(first_name="Fiktiv", last_name=f"Grundløs{number}", birth_date=datetime.date(1991, 2, 3))
        referral = referral_register(actor=worker, team=team, channel=Referral.Channel.PHONE,
                                     referrer_type=Referral.ReferrerType.PARENT_RELATIVE,
                                     concern_text="Fiktiv bekymring uden grundlag.", person=person,
                                     referrer_name="Fiktiv Mor")
        referral_process_start(actor=worker, referral=referral)
        referral_screen(actor=worker, referral=referral, outcome=Referral.Outcome.UNFOUNDED,
                        justification="Fiktiv: ingen tegn.", members_present="Fiktiv Medlem")
        concerns.append(referral.pk)
    Referral.objects.filter(pk__in=concerns).update(received_at=long_ago, closed_at=long_ago)

    six_years_ago = timezone.now() - relativedelta(years=6)
    cases = {}
    for kind, born in (("adult", datetime.date(1980, 1, 1)), ("minor", timezone.localdate() - relativedelta(years=15))):
        case = CaseFactory(team=team, responsible=worker, is_minor=kind == "minor",
                           person=PersonFactory(first_name="Fiktiv", last_name=f"Lukket{kind}", birth_date=born))
        case_close(actor=worker, case=case, reason=Case.ClosureReason.GOALS_MET, justification="Fiktiv: mål nået.")
        Case.objects.filter(pk=case.pk).update(opened_at=six_years_ago - relativedelta(years=1),
                                               closed_at=six_years_ago)
        cases[kind] = case.pk
    return concerns, cases


def test_two_beats_fire_the_timer_and_apply_retention_once(client, worker, team, redis_factory, tmp_path):
    # ---- a due timer and retention candidates
    waiting = to_waiting(client, worker)
    timer = timer_of(waiting)
    Task.objects.filter(pk=timer.pk).update(scheduled=timezone.now() - datetime.timedelta(minutes=5))
    concerns, cases = retention_candidates(team, worker)
    head = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first()

    # ---- two workers on one queue, two beats sending to it
    redis = redis_factory()
    queue = f"fault-beats-{uuid.uuid4().hex[:8]}"
    extra = {"CASEFLOW_AUDIT_HEAD_EXPORT_PATH": str(tmp_path / "audit-heads.jsonl")}
    processes, worker_logs, beat_logs = [], [], []
    try:
        for name in ("worker-a", "worker-b"):
            log = tmp_path / f"{name}.log"
            log.touch()
            processes.append(start_worker(redis.url, queue, log, **extra))
            wait_ready(processes[-1], log)
            worker_logs.append(log)
        for name in ("beat-a", "beat-b"):
            schedule = tmp_path / f"{name}-schedule"
            overdue_schedule(schedule)
            log = tmp_path / f"{name}.log"
            processes.append(start_beat(redis.url, queue, schedule, log, **extra))
            beat_logs.append(log)

        def all_ran() -> bool:
            return len(succeeded(worker_logs, TIMERS_TASK)) >= 2 and len(succeeded(worker_logs, RETENTION_TASK)) >= 2

        assert wait_for(all_ran, 120), "\n".join(log.read_text()[-2500:] for log in worker_logs + beat_logs)
        for log in beat_logs:  # each beat sent both (the mistake really happened)
            text = log.read_text()
            assert "Sending due task fire-workflow-timers" in text, text[-2000:]
            assert "Sending due task retention-run" in text, text[-2000:]
        time.sleep(2)  # any late duplicate would show now
    finally:
        for proc in reversed(processes):
            stop(proc)

    # ---- the timer fired once
    fired = sorted(int(value) for value in succeeded(worker_logs, TIMERS_TASK))
    assert sum(fired) == 1, fired  # one run fired the timer, the other found nothing due
    waiting.refresh_from_db()
    assert waiting.status == Referral.Status.SHELVED
    assert [d.outcome for d in waiting.decisions.all()] == ["shelved_info_timeout"]
    assert Task.objects.get(pk=timer.pk).status == STATUS.DONE
    process = ReferralProcess.objects.get(referral=waiting)
    assert process.status == PROCESS.DONE
    assert process.task_set.filter(flow_task=ReferralFlow.end_shelved).count() == 1
    assert AuditEvent.objects.filter(sequence__gt=head, action="referral.changed", target_id=str(waiting.pk),
                                     changes__status__1=Referral.Status.SHELVED).count() == 1

    # ---- retention acted once on each item
    runs = succeeded(worker_logs, RETENTION_TASK)
    assert len(runs) >= 2, runs
    anonymised = DeletionRecord.objects.filter(action=DeletionRecord.Action.ANONYMISED)
    assert sorted(anonymised.values_list("object_id", flat=True)) == sorted(concerns)
    deleted = DeletionRecord.objects.filter(action=DeletionRecord.Action.DELETED)
    assert list(deleted.values_list("object_id", flat=True)) == [cases["adult"]]
    assert not Case.objects.filter(pk=cases["adult"]).exists()
    assert Case.objects.filter(pk=cases["minor"]).exists()
    assert ArchiveReview.objects.filter(case_id=cases["minor"]).count() == 1
    new_events = AuditEvent.objects.filter(sequence__gt=head)
    assert new_events.filter(action="retention.anonymised").count() == 2
    assert new_events.filter(action="retention.deleted").count() == 1
    assert audit_verify(heads_path=tmp_path / "audit-heads.jsonl").ok
