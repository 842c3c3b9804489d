"""Process models of the workflows: real child models of viewflow's Process with a
foreign key to the domain object (design.md §3, viewflow-notes §1 option 2)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

#: Declared here, not left to ``Flow.__init_subclass__`` (viewflow-notes P8).
PROCESS_PERMISSIONS = ("add", "change", "delete", "view", "manage")


class ReferralProcess(Process):
    """One ReferralFlow run: the screening of one referral."""

    referral = models.ForeignKey(
        "referrals.Referral",
        verbose_name=_("referral"),
        on_delete=models.PROTECT,
        null=True,
        related_name="processes",
    )
    bbu_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("BBU contact"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The named BBU contact of a referral about a minor (set at the initial assessment)."),
    )

    class Meta:
        verbose_name = _("referral process")
        verbose_name_plural = _("referral processes")
        default_permissions = PROCESS_PERMISSIONS
        ordering = ["-created"]
