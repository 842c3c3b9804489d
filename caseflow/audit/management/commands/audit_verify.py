import time

from django.core.management.base import BaseCommand, CommandError

from caseflow.audit.services import audit_verify


class Command(BaseCommand):
    help = (
        "Walk the audit hash chain (over pruning anchors) and compare it with the exported heads. "
        "Exits 0 with 'intact (N events)', otherwise non-zero naming the first broken event."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--heads",
            dest="heads_path",
            default=None,
            help="Head file to compare with (default: CASEFLOW_AUDIT_HEAD_EXPORT_PATH; skipped if missing).",
        )
        parser.add_argument("--batch-size", type=int, default=5000, help="Events fetched per round trip.")

    def handle(self, *, heads_path, batch_size, verbosity, **options):
        started = time.monotonic()
        result = audit_verify(heads_path=heads_path, batch_size=batch_size)
        elapsed = time.monotonic() - started
        if not result.ok:
            raise CommandError(
                f"audit chain broken at {result.broken} ({result.count} events intact before it)"
            )
        self.stdout.write(f"intact ({result.count} events)")
        if verbosity > 1:
            self.stdout.write(f"{result.heads_checked} exported heads compared, {elapsed:.1f}s")
