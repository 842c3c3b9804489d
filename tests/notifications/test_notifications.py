"""E-mail notifications: every kind is recorded once per user and object and mailed
once; no mail carries a CPR number, a name, a reference or case text; a daily digest
for users who prefer it. Driven through the real flows and pages."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from caseflow.audit.models import AuditEvent
from caseflow.notifications.models import Notification, NotificationPreference
from caseflow.notifications.services import (
    notification_digest_send,
    notification_scan,
    notification_send_pending,
)
from caseflow.referrals.models import Referral
from permissions.services import break_glass_open
from permissions.tasks import break_glass_alert_task
from tests.factories import CaseFactory, PersonFactory, UserFactory
from tests.workflows.test_referral_flow import MINOR_BIRTH_DATE, claim, execute, open_task
from workflows.flows.referral import ReferralFlow
from workflows.tasks import workflow_job_run_task, workflow_timers_fire_task

pytestmark = pytest.mark.django_db

Kind = Notification.Kind

CONCERN = "Fiktiv bekymring: eleven deler voldelige memes i klassens chat."
REFERRER = "Fiktiv Lærersen"
JUSTIFICATION = "Fiktiv begrundelse fra koordineringsmødet."
BREAK_GLASS_REASON = "Fiktiv akut situation: barnet er forsvundet."


def _cpr_for(birth_date: str) -> str:
    """A fictional CPR number for the birth date (7th digit 4: born 2000–2036)."""
    born = datetime.date.fromisoformat(birth_date)
    return f"{born:%d%m%y}-4123"


def _mailed(user, kind) -> int:
    """Notifications of ``kind`` mailed to ``user`` (each has one notification.sent event)."""
    ids = AuditEvent.objects.filter(action="notification.sent").values_list("target_id", flat=True)
    return Notification.objects.filter(user=user, kind=kind, pk__in=[int(pk) for pk in ids]).count()


def _run_jobs() -> int:
    pks = list(Task.objects.filter(flow_task_type="JOB", status=STATUS.SCHEDULED).values_list("pk", flat=True))
    for pk in pks:
        assert workflow_job_run_task.run(pk) == "executed"
    return len(pks)


@pytest.fixture
def people(team, worker, supervisor, consultant):
    for user, address in ((worker, "sagsbehandler@kommune.invalid"), (supervisor, "leder@kommune.invalid"),
                          (consultant, "konsulent@kommune.invalid")):
        user.email = address
        user.save(update_fields=["email"])
    bbu = UserFactory(team=None, roles=["bbu_liaison"], email="bbu@kommune.invalid", first_name="Bente",
                      last_name="Bbusen")
    colleague = UserFactory(team=team, roles=["caseworker"], email="kollega@kommune.invalid")
    return {"worker": worker, "supervisor": supervisor, "consultant": consultant, "bbu": bbu,
            "colleague": colleague}


def _register_minor(client, worker) -> Referral:
    client.force_login(worker)
    response = client.post(reverse("referrals:new"), {
        "received_at": (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "channel": "phone", "referrer_type": "primary_school", "referrer_name": REFERRER,
        "referrer_contact": "skole@example.invalid", "concern_text": CONCERN,
        "warning_signs": ["extremist_media"], "urgency": "normal", "cpr": _cpr_for(MINOR_BIRTH_DATE),
        "first_name": "Hemmelig", "last_name": "Navnesen", "birth_date": MINOR_BIRTH_DATE,
    })
    assert response.status_code == 302, response.context["form"].errors
    return Referral.objects.latest("pk")


def _secrets(referral, case, people) -> list[str]:
    cpr = _cpr_for(MINOR_BIRTH_DATE)
    values = [cpr, cpr.replace("-", ""), cpr[:6], "Hemmelig", "Navnesen", REFERRER, CONCERN, JUSTIFICATION,
              BREAK_GLASS_REASON, "Fiktiv begrundelse", "Tegn på mistrivsel", referral.reference, case.reference,
              case.person.first_name, case.person.last_name]
    for user in people.values():
        values += [user.first_name, user.last_name, user.username]
    return values


def test_every_kind_is_mailed_once_and_no_mail_carries_names_cpr_or_case_text(client, people, mailoutbox):
    worker, supervisor, consultant, bbu, colleague = (people[k] for k in ("worker", "supervisor", "consultant",
                                                                          "bbu", "colleague"))
    start = timezone.now()
    with time_machine.travel(start, tick=True):
        referral = _register_minor(client, worker)
        assert execute(client, worker, open_task(referral, ReferralFlow.acute_triage),
                       {"police_alerted": "no"}).status_code == 302
        response = execute(client, worker, open_task(referral, ReferralFlow.assess), {
            "outcome": "to_coordination_unit", "bbu_contact": bbu.pk, "report_needed": "yes",
            "report_justification": "Tegn på mistrivsel hos eleven."})
        assert response.status_code == 302, response.context["form"].errors
        assert _run_jobs() == 1  # the BBU notice: mailed at once (urgent)
        task = open_task(referral, ReferralFlow.screen)
        assert claim(client, worker, task).status_code == 302
        assert execute(client, worker, task, {"outcome": "case_level_2", "justification": JUSTIFICATION,
                                              "members_present": "A, B og C"}).status_code == 302
    with time_machine.travel(start + datetime.timedelta(minutes=5), tick=True):
        first = notification_scan()
    # BBU: the report and its task (assigned by the caseworker's assessment), due within 24 hours.
    assert first["recorded"][Kind.TASK_ASSIGNED] == 1
    assert first["recorded"][Kind.APPROVAL_WAITING] == 1
    assert Notification.objects.filter(user=bbu, kind=Kind.TASK_ASSIGNED).exists()
    assert Notification.objects.filter(user=bbu, kind=Kind.DEADLINE_SOON).exists()
    assert Notification.objects.filter(user=consultant, kind=Kind.APPROVAL_WAITING).exists()
    # The caseworker's own tasks (triage, assessment, screening) are no news to them.
    assert _mailed(worker, Kind.TASK_ASSIGNED) == 0

    with time_machine.travel(start + datetime.timedelta(hours=2), tick=True):
        cosign = open_task(referral, ReferralFlow.cosign_screening)
        assert claim(client, consultant, cosign).status_code == 302
        assert execute(client, consultant, cosign, {"approved": "yes", "justification": JUSTIFICATION}
                       ).status_code == 302
        referral.refresh_from_db()
        case = referral.case
        assert case is not None
        break_glass_open(actor=colleague, case=case, reason=BREAK_GLASS_REASON)
        assert break_glass_alert_task.apply(kwargs={"access_id": case.break_glass_accesses.get().pk}).get() == 1
    with time_machine.travel(start + datetime.timedelta(hours=2, minutes=5), tick=True):
        notification_scan()
    # The case opened by the consultant's co-signature: its first task is the caseworker's news.
    assert _mailed(worker, Kind.TASK_ASSIGNED) == 1
    assert _mailed(consultant, Kind.TASK_ASSIGNED) == 0  # they took the co-signature from the queue

    with time_machine.travel(start + datetime.timedelta(hours=26), tick=True):
        workflow_timers_fire_task()
        notification_scan()
        again = notification_scan()  # a second beat at the same moment: nothing new
    assert again == {"recorded": {str(kind): 0 for kind in (Kind.TASK_ASSIGNED, Kind.DEADLINE_SOON,
                                                              Kind.DEADLINE_BREACHED, Kind.BREAK_GLASS,
                                                              Kind.APPROVAL_WAITING)}, "sent": 0}
    assert set(Notification.objects.filter(user=bbu, kind=Kind.DEADLINE_BREACHED).values_list("object_key",
                                                                                              flat=True))
    assert Notification.objects.filter(user=supervisor, kind=Kind.DEADLINE_BREACHED).exists()
    assert Notification.objects.filter(user=supervisor, kind=Kind.BREAK_GLASS).count() == 1

    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert kinds == set(Kind.values)
    # Once each: every notification closed, one mail per mailed notification, none twice.
    assert not Notification.objects.filter(sent_at__isnull=True).exists()
    sent_events = list(AuditEvent.objects.filter(action="notification.sent").values_list("target_id", flat=True))
    assert len(sent_events) == len(set(sent_events)) == len(mailoutbox)
    assert {kind for kind in Kind.values if any(_mailed(user, kind) for user in people.values())} == set(Kind.values)
    by_recipient = {}
    for message in mailoutbox:
        by_recipient.setdefault(message.to[0], 0)
        by_recipient[message.to[0]] += 1
    assert by_recipient[bbu.email] == sum(_mailed(bbu, kind) for kind in Kind.values)
    # Nothing in any mail but "something to look at" and a link.
    secrets = _secrets(referral, case, people)
    for message in mailoutbox:
        text = message.subject + "\n" + message.body
        for secret in secrets:
            assert secret not in text, (secret, text)
        assert "http://" in message.body or "https://" in message.body
    for event in AuditEvent.objects.filter(action="notification.sent"):
        assert set(event.extra) == {"recipient_id", "kind", "automatic"}


def test_break_glass_alert_twice_mails_once(team, supervisor, mailoutbox):
    supervisor.email = "leder@kommune.invalid"
    supervisor.save(update_fields=["email"])
    caseworker = UserFactory(team=team, roles=["caseworker"])
    case = CaseFactory(team=team, person=PersonFactory(first_name="Hemmelig", last_name="Navnesen"))
    access = break_glass_open(actor=caseworker, case=case, reason=BREAK_GLASS_REASON)
    assert break_glass_alert_task.apply(kwargs={"access_id": access.pk}).get() == 1
    assert break_glass_alert_task.apply(kwargs={"access_id": access.pk}).get() == 0
    assert notification_scan()["sent"] == 0
    assert len(mailoutbox) == 1
    assert reverse("permissions:break_glass_reviews") in mailoutbox[0].body


def test_daily_digest_counts_per_kind_once_a_day(team, supervisor, mailoutbox):
    supervisor.email = "leder@kommune.invalid"
    supervisor.save(update_fields=["email"])
    NotificationPreference.objects.create(user=supervisor, mode=NotificationPreference.Mode.DIGEST)
    caseworker = UserFactory(team=team, roles=["caseworker"])
    for n in range(3):
        Notification.objects.create(user=supervisor, kind=Kind.DEADLINE_BREACHED, object_key=f"breach:{n}")
    Notification.objects.create(user=supervisor, kind=Kind.APPROVAL_WAITING, object_key="task:1")
    # Urgent kinds go at once whatever the preference.
    case = CaseFactory(team=team)
    access = break_glass_open(actor=caseworker, case=case, reason=BREAK_GLASS_REASON)
    assert break_glass_alert_task.apply(kwargs={"access_id": access.pk}).get() == 1
    assert notification_send_pending() == 0  # the rest waits for the digest
    assert len(mailoutbox) == 1

    assert notification_digest_send() == 1
    assert notification_digest_send() == 0  # a second beat, the same day
    assert len(mailoutbox) == 2
    digest = mailoutbox[1]
    assert digest.to == [supervisor.email]
    assert "3" in digest.body
    assert "1" in digest.body
    assert reverse("dashboard:home") in digest.body
    assert not Notification.objects.filter(sent_at__isnull=True, digested_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="notification.digest_sent")
    assert event.extra["counts"] == {Kind.DEADLINE_BREACHED: 3, Kind.APPROVAL_WAITING: 1}
    assert event.extra["recipient_id"] == supervisor.pk
    # The next day's digest lists only what is new.
    Notification.objects.create(user=supervisor, kind=Kind.TASK_ASSIGNED, object_key="task:2")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1)):
        assert notification_digest_send() == 1
    assert AuditEvent.objects.filter(action="notification.digest_sent").last().extra["counts"] == {
        Kind.TASK_ASSIGNED: 1}


def test_users_without_email_or_inactive_get_no_mail(team, supervisor, mailoutbox):
    supervisor.email = ""
    supervisor.save(update_fields=["email"])
    caseworker = UserFactory(team=team, roles=["caseworker"])
    access = break_glass_open(actor=caseworker, case=CaseFactory(team=team), reason=BREAK_GLASS_REASON)
    assert break_glass_alert_task.apply(kwargs={"access_id": access.pk}).get() == 0
    assert mailoutbox == []
    assert Notification.objects.get(user=supervisor).sent_at is not None  # closed, not retried forever


def test_assigned_task_mail_for_a_reassignment_not_for_a_claim(client, people, mailoutbox):
    from caseflow.audit.actions import AuditAction
    from caseflow.audit.services import audit_record
    from tests.workflows.test_referral_flow import to_screening

    worker, supervisor, colleague = people["worker"], people["supervisor"], people["colleague"]
    claimed = open_task(to_screening(client, worker), ReferralFlow.screen)
    assert claim(client, worker, claimed).status_code == 302
    reassigned = open_task(to_screening(client, worker), ReferralFlow.screen)
    assert claim(client, worker, reassigned).status_code == 302
    Task.objects.filter(pk=reassigned.pk).update(owner=colleague)  # as the supervisor's reassignment does
    audit_record(actor=supervisor, action=AuditAction.TASK_REASSIGNED, target=reassigned,
                 changes={"owner_id": [worker.pk, colleague.pk]})
    notification_scan()
    assert _mailed(colleague, Kind.TASK_ASSIGNED) == 1
    assert _mailed(worker, Kind.TASK_ASSIGNED) == 0
    assert [m.to for m in mailoutbox if "/tasks/" in m.body] == [[colleague.email]]
    notification_scan()
    assert _mailed(colleague, Kind.TASK_ASSIGNED) == 1
