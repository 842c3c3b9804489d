"""Deleting a closed adult case after its retention period: the whole graph goes, in one
transaction, files included; what remains is a deletion record without content and
audit events carrying ids only."""

import json

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.db import models
from viewflow.workflow.models import Process, Task

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from caseflow.interventions.models import Intervention
from caseflow.people.models import Person
from caseflow.referrals.models import Referral
from caseflow.retention.models import DeletionRecord, Rule
from caseflow.retention.services import retention_run
from workflows.models import CaseProcess, InterventionProcess, ReferralProcess

from .conftest import SECRET_NAME, SECRET_TEXT

pytestmark = pytest.mark.django_db


def references_to(ids_by_model: dict) -> dict:
    """Every row, in every installed model, whose foreign key points at one of the ids
    (retention's own bookkeeping excluded: it only remembers references)."""
    found = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label == "retention":
            continue
        for field in model._meta.get_fields():
            if not (isinstance(field, models.ForeignKey | models.OneToOneField) and field.concrete):
                continue
            target = field.remote_field.model
            ids = ids_by_model.get(target)
            if ids and model._base_manager.filter(**{f"{field.name}__in": ids}).exists():
                found[f"{model._meta.label}.{field.name}"] = list(
                    model._base_manager.filter(**{f"{field.name}__in": ids}).values_list("pk", flat=True))
    return found


def test_closed_adult_case_deleted_whole(build_case, media_root, django_capture_on_commit_callbacks):
    graph = build_case()
    case = graph.case
    intervention_ids = list(Intervention.objects.filter(case=case).values_list("pk", flat=True))
    process_ids = (set(CaseProcess.objects.filter(case=case).values_list("pk", flat=True))
                   | set(InterventionProcess.objects.filter(intervention__case=case).values_list("pk", flat=True))
                   | set(ReferralProcess.objects.filter(referral=graph.referral).values_list("pk", flat=True)))
    task_ids = list(Task.objects.filter(process_id__in=process_ids).values_list("pk", flat=True))
    ids = {Case: [case.pk], Referral: [graph.referral.pk], Person: [graph.person_id],
           Intervention: intervention_ids, Process: list(process_ids), Task: task_ids}
    assert len(process_ids) == 3
    assert task_ids
    assert intervention_ids
    before = references_to(ids)
    for label in ("cases.Decision.case", "cases.Consent.case", "cases.Disclosure.case", "cases.CaseProposal.case",
                  "journal.JournalNote.case", "documents.Document.case", "permissions.CaseUserGrant.content_object",
                  "permissions.BreakGlassAccess.case", "workflows.DeadlineBreach.case",
                  "interventions.InterventionSession.intervention", "interventions.InterventionReview.intervention",
                  "meetings.AgendaItem.referral",
                  "people.CustodyHolder.person", "viewflow.Task.process"):
        assert label in before, label  # the graph really has it all
    files = [media_root / name for name in graph.document_files]
    assert all(path.exists() for path in files)

    with (time_machine.travel(case.closed_at + relativedelta(years=5), tick=False),
          django_capture_on_commit_callbacks(execute=True)):
        result = retention_run()

    assert result.counts["closed_adult_case"] == {"deleted": 1}
    assert not Case.objects.filter(pk=case.pk).exists()
    assert not Referral.objects.filter(pk=graph.referral.pk).exists()
    assert not Person.objects.filter(pk=graph.person_id).exists()
    assert references_to(ids) == {}
    assert not Process.objects.filter(pk__in=process_ids).exists()
    assert not Task.objects.filter(owner_permission_obj_pk=str(case.pk), owner_permission_content_type__model="case",
                                   owner_permission_content_type__app_label="cases").exists()
    assert not any(path.exists() for path in files)

    record = DeletionRecord.objects.get()
    assert (record.rule, record.action, record.object_type, record.object_id, record.reference) == (
        Rule.ADULT_CASE_DELETED, "deleted", "case", case.pk, case.reference)
    deleted = record.counts["deleted"]
    assert deleted["journal.journalnote"] == 3
    assert deleted["documents.document"] == 1
    assert deleted["cases.case"] == deleted["referrals.referral"] == deleted["people.person"] == 1
    assert deleted["viewflow.task"] == len(task_ids)
    assert deleted["interventions.intervention"] == 1
    # The audit events stay (the chain must verify) and still point at the case by id.
    assert AuditEvent.objects.filter(case_id=case.pk, action="case.closed").exists()
    event = AuditEvent.objects.get(action="retention.deleted")
    assert (event.target_type, event.target_id, event.case_id) == ("cases.case", str(case.pk), case.pk)


def test_deletion_record_and_events_carry_no_content(build_case):
    graph = build_case()
    with time_machine.travel(graph.case.closed_at + relativedelta(years=5, days=1), tick=False):
        retention_run()
    record = DeletionRecord.objects.values().get()
    events = list(AuditEvent.objects.filter(action__startswith="retention.").values("changes", "extra", "reason"))
    dumped = json.dumps([record, events], default=str)
    for secret in (SECRET_NAME, SECRET_TEXT, "Fiktivvej", "1990-05-04", "Fiktiv Lærer", "12345678"):
        assert secret not in dumped


def test_person_with_another_case_is_kept(build_case):
    first = build_case()
    person = Person.objects.get(pk=first.person_id)
    second = build_case(person=person, closed=False)
    with time_machine.travel(first.case.closed_at + relativedelta(years=5), tick=False):
        retention_run()
    assert not Case.objects.filter(pk=first.case.pk).exists()
    assert Case.objects.filter(pk=second.case.pk).exists()
    assert Person.objects.filter(pk=person.pk).exists()
    assert "people.person" not in DeletionRecord.objects.get().counts["deleted"]


def test_open_case_is_never_deleted(build_case):
    graph = build_case(closed=False)
    with time_machine.travel(graph.case.opened_at + relativedelta(years=20), tick=False):
        result = retention_run()
    assert Case.objects.filter(pk=graph.case.pk).exists()
    assert result.counts["closed_adult_case"] == {}
    assert not DeletionRecord.objects.exists()
