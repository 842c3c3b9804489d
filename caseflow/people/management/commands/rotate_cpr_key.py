"""``manage.py rotate_cpr_key``: move every stored CPR number to the current key.

Reads each person whose ciphertext was not written with the current ``CASEFLOW_CPR_KEY``
(decrypting with the current or one of ``CASEFLOW_CPR_OLD_KEYS``), writes a new ciphertext
and the blind index under the current key, in batches of ``--batch-size`` rows, each batch
in its own transaction. Running it again finds nothing left to do (idempotent). One audit
event (``person.cpr_key_rotated``) records the counts, never a number.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from caseflow.audit.actions import AuditAction
from caseflow.audit.context import audit_context
from caseflow.audit.services import audit_record
from caseflow.people.cpr import cpr_reencrypt, current_key_id, current_token_prefix
from caseflow.people.models import Person


def rotate_cpr_key(*, batch_size: int = 500) -> dict:
    """Re-encrypt every CPR number not yet on the current key. Returns the counts:
    ``rotated``, ``unreadable`` (no configured key opens it; left as it was), ``batches``."""
    prefix = current_token_prefix()
    counts = {"rotated": 0, "unreadable": 0, "batches": 0}
    last_pk = 0
    while True:
        with transaction.atomic():
            rows = list(
                Person.objects.select_for_update(of=("self",))
                .filter(pk__gt=last_pk)
                .exclude(cpr_encrypted="")
                .exclude(cpr_encrypted__startswith=prefix)
                .order_by("pk")
                .only("pk", "cpr_encrypted", "cpr_index")[:batch_size]
            )
            if not rows:
                break
            changed = []
            for person in rows:
                try:
                    person.cpr_encrypted, person.cpr_index = cpr_reencrypt(person.cpr_encrypted)
                except ValueError:
                    counts["unreadable"] += 1
                    continue
                changed.append(person)
            Person.objects.bulk_update(changed, ["cpr_encrypted", "cpr_index"])
            counts["rotated"] += len(changed)
            counts["batches"] += 1
            last_pk = rows[-1].pk
    counts["remaining_on_old_keys"] = (
        Person.objects.exclude(cpr_encrypted="").exclude(cpr_encrypted__startswith=prefix).count()
    )
    audit_record(actor=None, action=AuditAction.CPR_KEY_ROTATED, target_type="people.person",
                 extra={**counts, "key_id": current_key_id()})
    return counts


class Command(BaseCommand):
    help = "Re-encrypt every stored CPR number (and its search index) with the current CASEFLOW_CPR_KEY."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction (default 500).")

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        with audit_context(request_id="new", system_actor="command:rotate_cpr_key"):
            counts = rotate_cpr_key(batch_size=batch_size)
        self.stdout.write(
            f"rotated {counts['rotated']} CPR numbers in {counts['batches']} batches; "
            f"unreadable {counts['unreadable']}; key id {current_key_id()}"
        )
        if counts["unreadable"]:
            raise CommandError(
                f"{counts['unreadable']} CPR numbers could not be decrypted with CASEFLOW_CPR_KEY or "
                "CASEFLOW_CPR_OLD_KEYS; add the missing old key and run the command again"
            )
