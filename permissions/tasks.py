from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from caseflow.accounts.models import User
from caseflow.accounts.roles import Role
from caseflow.audit.tasks import AuditedTask

from .models import BreakGlassAccess


@shared_task(base=AuditedTask, name="permissions.tasks.break_glass_alert_task", acks_late=True)
def break_glass_alert_task(*, access_id: int) -> int:
    """Tell the case team's supervisors that an emergency access waits for review.
    The mail says only that there is something to look at; no names, no case content."""
    access = BreakGlassAccess.objects.select_related("case").filter(pk=access_id).first()
    if access is None or access.review != BreakGlassAccess.Review.PENDING:
        return 0
    recipients = list(
        User.objects.filter(team_id=access.case.team_id, groups__name=Role.SUPERVISOR.value, is_active=True)
        .exclude(email="").values_list("email", flat=True)
    )
    if not recipients:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        link = f"{settings.CASEFLOW_BASE_URL}{reverse('permissions:break_glass_reviews')}"
        send_mail(
            _("Caseflow: an emergency access waits for your review"),
            _("An emergency access to a case waits for your review in Caseflow:\n%(link)s") % {"link": link},
            settings.DEFAULT_FROM_EMAIL,
            recipients,
        )
    return len(recipients)
