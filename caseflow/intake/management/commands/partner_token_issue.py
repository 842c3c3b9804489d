"""``manage.py partner_token_issue <organisation name>``: issue a partner's API token.

The token is printed once and stored only as a hash; the partner's previous token stops
working at once. Recorded in the audit trail as ``access.granted`` (and the old token's
``access.revoked``) by the command's system actor.
"""

from django.core.management.base import BaseCommand, CommandError

from caseflow.audit.context import audit_context
from caseflow.core.exceptions import ApplicationError
from caseflow.intake.models import PartnerOrganisation
from caseflow.intake.services import partner_token_issue


class Command(BaseCommand):
    help = "Issue a new API token for a partner organisation (revoking its current one) and print it once."

    def add_arguments(self, parser):
        parser.add_argument("organisation", help="The partner organisation's name.")

    def handle(self, *args, organisation, **options):
        try:
            org = PartnerOrganisation.objects.get(name=organisation)
        except PartnerOrganisation.DoesNotExist as exc:
            raise CommandError(f"No partner organisation named {organisation!r}.") from exc
        with audit_context(request_id="new", system_actor="command:partner_token_issue"):
            try:
                token = partner_token_issue(actor=None, organisation=org)
            except ApplicationError as exc:
                raise CommandError(str(exc.message)) from exc
        self.stderr.write(f"New token for {org.name} (shown once; the previous token is revoked):")
        self.stdout.write(token)
