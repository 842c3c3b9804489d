from django.core.management.base import BaseCommand

from caseflow.audit.context import audit_context
from caseflow.reports.services import statistics_refresh


class Command(BaseCommand):
    help = (
        "Project live referrals, interventions and deadline breaches into the pseudonymised statistics "
        "store (idempotent; rows are never deleted). Beat runs the same every hour."
    )

    def handle(self, **options):
        with audit_context(system_actor="command:statistics_refresh", request_id="new"):
            results = statistics_refresh(actor=None)
        for name, result in results.items():
            self.stdout.write(
                f"{name}: {result.created} created, {result.updated} updated, {result.unchanged} unchanged, "
                f"{result.settled_skipped} settled"
            )
