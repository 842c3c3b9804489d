from django.core.management.base import BaseCommand

from caseflow.audit.context import audit_context
from caseflow.audit.services import audit_export


class Command(BaseCommand):
    help = (
        "Write the audit log to a directory (events.jsonl, anchors.jsonl, prune_anchors.jsonl, "
        "public_key.pem) that scripts/verify_audit_export.py verifies without Django or a database."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="Directory to write (created if missing; files are overwritten).")
        parser.add_argument("--heads", dest="heads_path", default=None,
                            help="Anchor file to include (default: CASEFLOW_AUDIT_HEAD_EXPORT_PATH).")

    def handle(self, *, directory, heads_path, **options):
        with audit_context(system_actor="command:audit_export", request_id="new"):
            result = audit_export(directory=directory, heads_path=heads_path)
        self.stdout.write(
            f"wrote {result.events} events, {result.anchors} anchors and {result.prune_anchors} pruning anchors "
            f"to {result.directory}; check it with: python scripts/verify_audit_export.py {result.directory}"
        )
