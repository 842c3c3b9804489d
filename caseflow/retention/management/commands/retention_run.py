from django.core.management.base import BaseCommand, CommandError

from caseflow.audit.context import audit_context
from caseflow.retention.services import retention_run


class Command(BaseCommand):
    help = (
        "Apply the retention rules: anonymise old unfounded concerns, delete closed adult cases past "
        "their retention, queue minors' cases for archive review, prune old audit read events. "
        "Legal holds stop the rules. --dry-run only prints what would happen."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Print what would happen per rule; change nothing.")

    def handle(self, *, dry_run, **options):
        with audit_context(system_actor="command:retention_run", request_id="new"):
            result = retention_run(dry_run=dry_run)
        if result.skipped:
            self.stdout.write("another retention run is in progress; nothing done")
            return
        verb = "would" if dry_run else "done"
        for rule, counts in result.counts.items():
            if isinstance(counts, dict):
                summary = ", ".join(f"{outcome} {count}" for outcome, count in sorted(counts.items())) or "nothing"
            else:
                summary = str(counts)
            self.stdout.write(f"{rule}: {verb}: {summary}")
        self.stdout.write(f"audit read events: {verb}: pruned {result.audit_reads_pruned}")
        for error in result.errors:
            self.stderr.write(f"failed: {error['item']}: {error['error']}")
        if result.errors:
            raise CommandError(f"{len(result.errors)} item(s) failed; see the log")
