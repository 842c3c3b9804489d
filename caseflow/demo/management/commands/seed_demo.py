from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from caseflow.demo.seed import DEMO_USERS, seed_demo


class Command(BaseCommand):
    help = "Create the fictional demo team, users, cases and referrals (idempotent)."

    def handle(self, **options):
        password = settings.CASEFLOW_DEMO_PASSWORD
        if not settings.DEBUG and password == "demo":  # noqa: S105 - refusing the default
            raise CommandError("Refusing the default demo password outside development: set DEMO_PASSWORD.")
        counts = seed_demo(password=password)
        self.stdout.write(
            f"Demo data ready: {counts['users']} users, {counts['cases']} cases, {counts['interventions']} "
            f"interventions, {counts['referrals']} referrals, {counts['meetings']} meetings."
        )
        self.stdout.write("Demo logins (password from DEMO_PASSWORD, default 'demo'):")
        for spec in DEMO_USERS:
            role = spec.role.label if spec.role else "superuser (admin only)"
            self.stdout.write(f"  {spec.username:<12} {role}")
