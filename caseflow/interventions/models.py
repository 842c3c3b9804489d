from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Intervention(models.Model):
    """An intervention (indsats) within a case, domain.md §2.6."""

    class Kind(models.TextChoices):
        MENTOR = "mentor", _("Mentor programme")
        PARENT_COACH = "parent_coach", _("Parent coach")
        RELATIVE_COACH = "relative_coach", _("Relative coach")
        EXIT_PROGRAMME = "exit_programme", _("Exit and resocialisation programme")
        CONCERN_CONVERSATION = "concern_conversation", _("Concern conversation")
        PROFESSIONAL_ADVICE = "professional_advice", _("Advice to a professional")
        CIVIL_SOCIETY = "civil_society", _("Referral to a civil-society activity")
        OTHER_AUTHORITY = "other_authority", _("Referral to another authority")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        CONSENT_OBTAINED = "consent_obtained", _("Consent obtained")
        MATCHING = "matching", _("Matching")
        STARTED = "started", _("Started")
        ACTIVE = "active", _("Active")
        REVIEW = "review", _("Progress review")
        REMATCHING = "rematching", _("Rematching")
        ENDED = "ended", _("Ended")

    class EndReason(models.TextChoices):
        GOALS_MET = "goals_met", _("Goals met")
        CITIZEN_STOPPED = "citizen_stopped", _("Citizen stopped")
        PROVIDER_STOPPED = "provider_stopped", _("Provider stopped")
        MOVED_ON = "moved_on", _("Moved to another intervention")

    # Kinds that need consent before they can start (domain.md §2.6).
    CONSENT_REQUIRED = (Kind.MENTOR, Kind.PARENT_COACH, Kind.RELATIVE_COACH, Kind.EXIT_PROGRAMME)

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="interventions"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="provided_interventions",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED
    )
    goals = models.TextField(_("goals"), blank=True)
    started_on = models.DateField(_("started"), null=True, blank=True)
    ended_on = models.DateField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=20, choices=EndReason.choices, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        ordering = ["case", "created_at", "pk"]
        permissions = [("claim_intervention_task", _("Can claim an intervention's tasks"))]
        indexes = [models.Index(fields=["provider", "status"])]

    def __str__(self):
        return self.get_kind_display()
