from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from caseflow.audit.context import audit_context
from caseflow.audit.services import audit_head_export
from caseflow.demo.seed import DEMO_USERS, seed_demo


class Command(BaseCommand):
    help = "Create the fictional demo team, users, cases and referrals (idempotent)."

    def handle(self, **options):
        password = settings.CASEFLOW_DEMO_PASSWORD
        if not settings.DEBUG and password == "demo":  # noqa: S105 - refusing the default
            raise CommandError("Refusing the default demo password outside development: set DEMO_PASSWORD.")
        counts = seed_demo(password=password)
        # a signed anchor of the seeded chain, so audit_verify and the export verifier have one
        with audit_context(system_actor="command:seed_demo", request_id="new"):
            head = audit_head_export(only_if_moved=True)
        if head is not None:
            self.stdout.write(f"Audit chain anchored at sequence {head['sequence']} "
                              f"({settings.CASEFLOW_AUDIT_HEAD_EXPORT_PATH}).")
        self.stdout.write(
            f"Demo data ready: {counts['users']} users, {counts['cases']} cases, {counts['interventions']} "
            f"interventions, {counts['referrals']} referrals, {counts['meetings']} meetings."
        )
        self.stdout.write("Demo logins (password from DEMO_PASSWORD, default 'demo'):")
        for spec in DEMO_USERS:
            role = spec.role.label if spec.role else "superuser (admin only)"
            self.stdout.write(f"  {spec.username:<12} {role}")
