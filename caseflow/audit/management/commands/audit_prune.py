from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from caseflow.audit.context import audit_context
from caseflow.audit.services import audit_prune_reads
from caseflow.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Delete read events (*.viewed, *.listed, *.searched) older than the retention, recording "
        "pruning anchors so that audit_verify still passes, and an audit.pruned event."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--retention-days",
            type=int,
            default=None,
            help=f"Days to keep read events (default: CASEFLOW_AUDIT_READ_RETENTION_DAYS, "
            f"now {settings.CASEFLOW_AUDIT_READ_RETENTION_DAYS}).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")

    def handle(self, *, retention_days, dry_run, **options):
        try:
            with audit_context(system_actor="command:audit_prune", request_id="new"):
                result = audit_prune_reads(retention_days=retention_days, dry_run=dry_run)
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        cutoff = result.cutoff.isoformat(timespec="seconds")
        if dry_run:
            self.stdout.write(f"would delete {result.deleted} read events older than {cutoff}")
        else:
            self.stdout.write(
                f"deleted {result.deleted} read events older than {cutoff}; "
                f"{result.anchors} anchors recorded (audit.pruned at sequence {result.event.sequence})"
            )
