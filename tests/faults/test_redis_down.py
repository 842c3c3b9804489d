"""Redis stopped while users work: pages answer at once, the work that would have been
enqueued waits in the transactional outbox, and when Redis is back the relay (a real
``manage.py outbox_relay`` process) publishes it; a real worker runs each job once and
each mail goes out once; a workflow timer that fell due meanwhile fires once. The broker (and the cache) of this test is a Redis of its own
that the test stops and starts again."""

import datetime
import time
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from caseflow.audit.models import AuditEvent
from caseflow.notifications.models import Notification, OutboxMessage
from permissions.models import BreakGlassAccess
from tests.factories import CaseFactory, UserFactory
from tests.faults.processes import publishing_to, start_relay, start_worker, stop, wait_for, wait_ready
from tests.workflows.test_referral_cosign_bbu import to_assessed_minor
from workflows.flows.referral import ReferralFlow
from workflows.flows.selfcheck import WorkerSelfCheckFlow
from workflows.models import DeadlineBreach
from workflows.tasks import workflow_timers_fire_task

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

#: A page must answer within this many seconds while Redis is down.
QUICK = 3.0


def _mails(log_path) -> int:
    """Mails the worker sent (console e-mail backend: one "Subject:" header each)."""
    return log_path.read_text(errors="replace").count("Subject: ")


def test_redis_down_work_waits_in_the_outbox_and_is_delivered_once(client, redis_factory, tmp_path, settings, team,
                                                                  supervisor, worker):
    redis = redis_factory()
    queue = f"fault-redis-{uuid.uuid4().hex[:8]}"
    settings.CASEFLOW_OUTBOX_BACKOFF_SECONDS = 1.0
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis.url,
                                   "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
    supervisor.email = "leder@kommune.invalid"
    supervisor.save(update_fields=["email"])
    bbu = UserFactory(team=None, roles=["bbu_liaison"], email="bbu@kommune.invalid")
    colleague = UserFactory(team=team, roles=["caseworker"])
    case = CaseFactory(team=team)
    worker_log, relay_log = tmp_path / "worker.log", tmp_path / "relay.log"
    worker_log.touch()
    celery_worker = start_worker(redis.url, queue, worker_log)
    relay = None
    try:
        wait_ready(celery_worker, worker_log)
        with publishing_to(redis.url, queue):
            redis.stop()
            # ---- users work while Redis is down
            timings = {}
            started = time.monotonic()
            referral = to_assessed_minor(client, worker, bbu, report_needed=True)  # 3 requests; a job for BBU
            timings["register, triage, assess"] = time.monotonic() - started
            client.force_login(colleague)
            started = time.monotonic()
            response = client.post(reverse("permissions:break_glass_open"),
                                   {"case_id": case.pk, "reason": "Akut: fiktiv nødsituation."})
            timings["break-glass"] = time.monotonic() - started
            assert response.status_code == 302
            started = time.monotonic()
            probe = WorkerSelfCheckFlow.start.run()  # a workflow job through a service
            timings["workflow job"] = time.monotonic() - started
            print(f"while Redis was down: {({k: round(v, 3) for k, v in timings.items()})}")  # noqa: T201
            assert timings["register, triage, assess"] < 3 * QUICK, timings
            assert timings["break-glass"] < QUICK, timings
            assert timings["workflow job"] < QUICK, timings

            # BBU's 24-hour clock runs out during the outage (its timer is a row in PostgreSQL).
            bbu_task = Task.objects.get(process__referralprocess__referral=referral,
                                        flow_task=ReferralFlow.bbu_acknowledge)
            timer = Task.objects.get(previous=bbu_task, flow_task_type="TIMER", status=STATUS.SCHEDULED)
            Task.objects.filter(pk=timer.pk).update(scheduled=timezone.now() - datetime.timedelta(minutes=1))

            pending = OutboxMessage.objects.filter(delivered_at__isnull=True)
            outage_ids = sorted(pending.values_list("pk", flat=True))
            assert sorted(pending.values_list("task_name", flat=True)) == [
                "permissions.tasks.break_glass_alert_task",
                "workflows.tasks.workflow_job_run_task",
                "workflows.tasks.workflow_job_run_task",
            ]
            # A relay that needs nothing from Redis keeps trying; nothing gets through yet.
            relay = start_relay(redis.url, queue, relay_log, interval=0.5)
            assert wait_for(lambda: pending.order_by("pk").first().attempts >= 2, 30), relay_log.read_text()
            assert pending.count() == 3
            assert relay.poll() is None

            # ---- Redis is back
            redis.start()
            back = time.monotonic()
            assert wait_for(lambda: not OutboxMessage.objects.filter(delivered_at__isnull=True).exists(), 60), \
                relay_log.read_text()[-3000:]
            bbu_job = Task.objects.get(process__referralprocess__referral=referral, flow_task=ReferralFlow.notify_bbu)
            assert wait_for(lambda: Process.objects.get(pk=probe.pk).status == PROCESS.DONE, 90), \
                worker_log.read_text()[-3000:]
            assert wait_for(lambda: Task.objects.get(pk=bbu_job.pk).status == STATUS.DONE, 60)
            assert wait_for(lambda: _mails(worker_log) >= 2, 60), worker_log.read_text()[-3000:]
            print(f"all delivered and done {time.monotonic() - back:.1f} s after Redis was back")  # noqa: T201

            # The first beat ticks after the outage (two beats by mistake: twice) fire the timer once.
            for _ in range(2):
                workflow_timers_fire_task.apply_async(ignore_result=True)
            assert wait_for(lambda: DeadlineBreach.objects.filter(task=bbu_task).exists(), 60), \
                worker_log.read_text()[-3000:]

            # Work after the outage goes straight through again (the backoff is over).
            time.sleep(settings.CASEFLOW_OUTBOX_BACKOFF_SECONDS)
            after = WorkerSelfCheckFlow.start.run()
            assert OutboxMessage.objects.filter(delivered_at__isnull=True).count() == 0
            assert wait_for(lambda: Process.objects.get(pk=after.pk).status == PROCESS.DONE, 60)

            # ---- nothing lost, nothing twice
            time.sleep(3)
            assert Process.objects.get(pk=probe.pk).data["runs"] == 1
            assert Process.objects.get(pk=after.pk).data["runs"] == 1
            assert _mails(worker_log) == 2  # one to BBU, one to the supervisor
            assert DeadlineBreach.objects.filter(task=bbu_task).count() == 1
            assert Task.objects.get(pk=timer.pk).status == STATUS.DONE
            access = BreakGlassAccess.objects.get(case=case)
            assert Notification.objects.get(kind="break_glass", object_key=f"break_glass:{access.pk}",
                                            user=supervisor).sent_at is not None
            assert Notification.objects.get(kind="bbu_report", user=bbu).sent_at is not None
            assert AuditEvent.objects.filter(action="notification.sent").count() == 2
            relayed = AuditEvent.objects.filter(action="outbox.delivered")
            assert sum(event.extra["count"] for event in relayed) == 3
            assert sorted(pk for event in relayed for pk in event.extra["message_ids"]) == outage_ids
            direct = OutboxMessage.objects.exclude(pk__in=outage_ids).get()  # the job after the outage
            assert direct.attempts == 1
    finally:
        stop(relay)
        stop(celery_worker)
