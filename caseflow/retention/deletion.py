"""The two destructive operations of the retention rules: deleting a case's whole graph
and anonymising a concern. Both run inside the caller's transaction, with the rows
already locked and the legal holds already checked (``retention.services``), and return
how many rows of each kind they removed or cleared (model labels, never content).

No soft delete (domain.md §4.7): rows are deleted. Audit events are not: they carry
ids only, and the chain must keep verifying.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q
from viewflow.workflow.models import Process, Task

from caseflow.cases.models import Case, CaseProposal, Consent, Decision, Disclosure
from caseflow.documents.models import Document
from caseflow.interventions.models import Intervention, InterventionReview, InterventionSession
from caseflow.journal.models import JournalNote
from caseflow.meetings.models import AgendaItem, RegisterCheck
from caseflow.people.models import CustodyHolder, Person
from caseflow.referrals.models import Referral
from workflows.models import CaseProcess, InterventionProcess, ReferralProcess

#: What a cleared free-text field that may not be empty holds afterwards (a decision's
#: justification has a NOT BLANK constraint). Stored data, so not translated.
ANONYMISED_TEXT = "[anonymised]"

#: Apps whose rows point at people/cases/referrals only to remember them (SET_NULL):
#: they never keep a person alive.
_BOOKKEEPING_APPS = frozenset({"retention"})


@dataclass
class Removal:
    """Rows deleted and cleared per model label, and the document files to remove from
    storage once the transaction has committed."""

    deleted: Counter = field(default_factory=Counter)
    cleared: Counter = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)

    def add(self, result) -> None:
        """Add the result of ``QuerySet.delete()`` (its per-model counts)."""
        for label, count in result[1].items():
            if count:
                self.deleted[label.lower()] += count

    def as_json(self) -> dict:
        return {"deleted": dict(sorted(self.deleted.items())), "cleared": dict(sorted(self.cleared.items()))}


# --------------------------------------------------------------------------- cases


def _journal_notes_delete(case_ids, removal: Removal) -> None:
    """Final notes are protected by a PostgreSQL trigger (journal migration 0002); the
    retention run is the one writer allowed past it, for this transaction only. A
    correction references the note it corrects (PROTECT), so corrections go first."""
    notes = JournalNote.objects.filter(case_id__in=case_ids)
    if not notes.exists():
        return
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL caseflow.journal_retention_delete = 'on'")
    while True:
        referenced = JournalNote.objects.filter(corrects__case_id__in=case_ids).values("corrects_id")
        pks = list(notes.exclude(pk__in=referenced).values_list("pk", flat=True))
        if not pks:
            break
        removal.add(JournalNote.objects.filter(pk__in=pks).delete())
    if notes.exists():  # a note of another case corrects one of these: refuse the whole deletion
        raise RuntimeError("journal notes of the case are referenced from elsewhere")
    # Guard back on for the rest of the transaction. (On an error the rollback undoes the SET LOCAL.)
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL caseflow.journal_retention_delete = 'off'")


def _process_ids(*, case_ids, referral_ids, intervention_ids) -> set[int]:
    """The workflow processes of the case: CaseFlow, InterventionFlow and ReferralFlow
    runs, and any process whose artifact or seed is one of these objects. Sub-processes
    (``parent_task`` in one of these) go with their parent's tasks (CASCADE)."""
    ids = set(CaseProcess.objects.filter(case_id__in=case_ids).values_list("pk", flat=True))
    ids |= set(InterventionProcess.objects.filter(intervention_id__in=intervention_ids).values_list("pk", flat=True))
    ids |= set(ReferralProcess.objects.filter(referral_id__in=referral_ids).values_list("pk", flat=True))
    for model, object_ids in ((Case, case_ids), (Referral, referral_ids), (Intervention, intervention_ids)):
        content_type = ContentType.objects.get_for_model(model)
        ids |= set(Process.objects.filter(
            Q(artifact_content_type=content_type, artifact_object_id__in=object_ids)
            | Q(seed_content_type=content_type, seed_object_id__in=object_ids)
        ).values_list("pk", flat=True))
    return ids


def _generic_grants_delete(model, object_ids, removal: Removal) -> None:
    """Grants in guardian's generic tables (the policy uses the direct-FK tables; these
    are cleared in case anything ever wrote there)."""
    from guardian.models import GroupObjectPermission, UserObjectPermission

    if not object_ids:
        return
    content_type = ContentType.objects.get_for_model(model)
    keys = [str(pk) for pk in object_ids]
    for table in (UserObjectPermission, GroupObjectPermission):
        removal.add(table.objects.filter(content_type=content_type, object_pk__in=keys).delete())


def case_graph_delete(case: Case) -> Removal:
    """Delete ``case`` and everything that belongs to it, in one transaction (the
    caller's), children before parents:

    documents (rows now, files after commit) → journal notes → workflow processes and
    their tasks (with our CaseProcess/InterventionProcess/ReferralProcess rows and
    deadline breaches) → disclosures → proposals → consents → intervention sessions,
    reviews and grants → interventions → agenda items of its referrals (with their
    register checks) → decisions → the referrals that belong to the case (grants,
    idempotency records) → the case (grants, emergency accesses) → its person, when
    nothing else refers to them. A later referral that merely pointed at the case as
    "closed case to reopen" loses that link and is otherwise kept.

    A row of a model not listed here that protects the case (PROTECT) makes the deletion
    fail as a whole (ProtectedError): nothing half-deleted, and the run reports it.
    """
    removal = Removal()
    case_ids = [case.pk]
    referral_ids = list(Referral.objects.filter(case_id=case.pk).values_list("pk", flat=True))
    intervention_ids = list(Intervention.objects.filter(case_id=case.pk).values_list("pk", flat=True))

    documents = Document.objects.filter(Q(case_id=case.pk) | Q(intervention_id__in=intervention_ids))
    removal.files.extend(name for name in documents.values_list("file", flat=True) if name)
    removal.add(documents.delete())

    _journal_notes_delete(case_ids, removal)

    process_ids = _process_ids(case_ids=case_ids, referral_ids=referral_ids, intervention_ids=intervention_ids)
    if process_ids:
        # Tasks first (their M2M "previous" links and deadline breaches go with them),
        # then the processes with their child rows.
        removal.add(Task.objects.filter(process_id__in=process_ids).delete())
        removal.add(Process.objects.filter(pk__in=process_ids).delete())

    removal.add(Disclosure.objects.filter(case_id=case.pk).delete())
    removal.add(CaseProposal.objects.filter(case_id=case.pk).delete())
    removal.add(Consent.objects.filter(Q(case_id=case.pk) | Q(intervention_id__in=intervention_ids)).delete())
    removal.add(InterventionSession.objects.filter(intervention_id__in=intervention_ids).delete())
    removal.add(InterventionReview.objects.filter(intervention_id__in=intervention_ids).delete())
    _generic_grants_delete(Intervention, intervention_ids, removal)
    removal.add(Intervention.objects.filter(pk__in=intervention_ids).delete())

    removal.add(AgendaItem.objects.filter(referral_id__in=referral_ids).delete())
    removal.add(Decision.objects.filter(Q(case_id=case.pk) | Q(referral_id__in=referral_ids)).delete())

    unlinked = Referral.objects.filter(reopen_case_id=case.pk).exclude(pk__in=referral_ids).update(reopen_case=None)
    if unlinked:
        removal.cleared["referrals.referral"] += unlinked

    _generic_grants_delete(Referral, referral_ids, removal)
    removal.add(Referral.objects.filter(pk__in=referral_ids).delete())
    _generic_grants_delete(Case, case_ids, removal)
    person_id = case.person_id
    removal.add(Case.objects.filter(pk=case.pk).delete())
    person_delete_if_unreferenced(person_id, removal)
    return removal


# --------------------------------------------------------------------------- people


def person_references(person_id: int) -> list[str]:
    """Labels of the models that still refer to the person (custody holders, which
    belong to the person, and retention's own bookkeeping do not count)."""
    found = []
    for relation in Person._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)):
            continue
        model = relation.related_model
        if model is CustodyHolder or model._meta.app_label in _BOOKKEEPING_APPS:
            continue
        if model._base_manager.filter(**{relation.field.name: person_id}).exists():
            found.append(model._meta.label_lower)
    return found


def person_delete_if_unreferenced(person_id: int | None, removal: Removal) -> bool:
    """Delete the person (and their custody holders) when nothing else refers to them."""
    if person_id is None or person_references(person_id):
        return False
    removal.add(Person.objects.filter(pk=person_id).delete())
    return True


# --------------------------------------------------------------------------- concerns


def referral_anonymise(referral: Referral) -> Removal:
    """Anonymise an unfounded (or shelved) concern after its retention period.

    Removed (cleared or deleted):
    - the link to the person, and the person themself (name, CPR number, birth date,
      address, custody holders) when nothing else refers to them; a person who also has
      a case or another referral is kept for those, only unlinked from this concern;
    - the link to a closed case of the person ("closed case to reopen");
    - the referrer's name and contact details, and the concern's free text;
    - the free text of its decisions (justification → "[anonymised]", members present)
      and of its meeting agenda items (justification, dissent, members present), and the
      partners' register-check summaries and free-text legal bases;
    - the partner intake's idempotency records (a hash of the submitted body);
    - free-form data on its workflow processes and tasks.

    Kept, because it is categorical and holds nothing about who: reference, received
    and closed times, channel, referrer type, the anonymity flags, the warning-sign
    categories, urgency, team, status and outcome; each decision's kind, outcome, legal
    basis, decider and whether the subject was a minor; the workflow's tasks (who did
    which step when); the agenda items' outcomes and the register checks' authorities,
    "nothing found" flags and legal bases. This is what the statistics count and what
    shows that a concern existed and how it ended.
    """
    removal = Removal()
    person_id = referral.person_id

    decisions = Decision.objects.filter(referral_id=referral.pk)
    removal.cleared["cases.decision"] += decisions.update(justification=ANONYMISED_TEXT, members_present="")
    items = AgendaItem.objects.filter(referral_id=referral.pk)
    removal.cleared["meetings.agendaitem"] += items.update(justification="", dissent="", members_present="")
    checks = RegisterCheck.objects.filter(item__referral_id=referral.pk)
    removal.cleared["meetings.registercheck"] += checks.update(summary="", legal_basis_other="")

    idempotency = apps.get_model("intake", "IdempotencyRecord")
    removal.add(idempotency.objects.filter(referral_id=referral.pk).delete())

    process_ids = list(ReferralProcess.objects.filter(referral_id=referral.pk).values_list("pk", flat=True))
    Process.objects.filter(pk__in=process_ids).exclude(data={}).update(data={})
    Task.objects.filter(process_id__in=process_ids).exclude(data={}).update(data={})

    Referral.objects.filter(pk=referral.pk).update(
        person=None, reopen_case=None, referrer_name="", referrer_contact="", concern_text=""
    )
    removal.cleared["referrals.referral"] += 1
    person_delete_if_unreferenced(person_id, removal)
    removal.cleared = Counter({label: n for label, n in removal.cleared.items() if n})
    return removal
