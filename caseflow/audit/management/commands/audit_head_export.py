from django.core.management.base import BaseCommand

from caseflow.audit.context import audit_context
from caseflow.audit.services import audit_head_export


class Command(BaseCommand):
    help = (
        "Anchor the audit chain head now: record an audit.head_exported event and append its "
        "sequence and hash, signed with CASEFLOW_AUDIT_SIGNING_KEY, to CASEFLOW_AUDIT_HEAD_EXPORT_PATH."
    )

    def add_arguments(self, parser):
        parser.add_argument("--path", default=None,
                            help="Anchor file to append to (default: CASEFLOW_AUDIT_HEAD_EXPORT_PATH).")
        parser.add_argument("--if-moved", action="store_true",
                            help="Write nothing when no event was recorded since the last anchor.")

    def handle(self, *, path, if_moved, **options):
        with audit_context(system_actor="command:audit_head_export", request_id="new"):
            head = audit_head_export(path=path, only_if_moved=if_moved)
        if head is None:
            self.stdout.write("no events since the last anchor; nothing written")
        else:
            self.stdout.write(f"anchored sequence {head['sequence']} ({head['hash']}) at {head['at']}")
