from django.conf import settings
from django.db import models
from django.utils import timezone
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
    # Statuses in which a provider holds (or has been offered) the intervention: these
    # count against the provider's capacity.
    PROVIDER_BUSY_STATUSES = (Status.MATCHING, Status.STARTED, Status.ACTIVE, Status.REVIEW)

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
    partner_roles = models.TextField(
        _("partner roles"), blank=True,
        help_text=_("Exit programmes: which partner (police/PET, Kriminalforsorgen, jobcentre ...) owns which "
                    "element."),
    )
    unstaffed_since = models.DateTimeField(
        _("without a provider since"), null=True, blank=True,
        help_text=_("Set while a mentor, coach or exit intervention waits for a provider (alert after "
                    "CASEFLOW_UNSTAFFED_ALERT_DAYS days)."),
    )
    unstaffed_alerted_at = models.DateTimeField(_("alerted about no provider"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        ordering = ["case", "created_at", "pk"]
        permissions = [("claim_intervention_task", _("Can claim an intervention's tasks"))]
        indexes = [models.Index(fields=["provider", "status"])]

    def __str__(self):
        return self.get_kind_display()

    @property
    def needs_provider(self) -> bool:
        return self.kind in self.CONSENT_REQUIRED

    @property
    def provider_role(self) -> str:
        """The role a provider of this kind must have: mentors run mentor and exit
        programmes, parent coaches the parent and relative coaching."""
        from caseflow.accounts.roles import Role

        if self.kind in (self.Kind.PARENT_COACH, self.Kind.RELATIVE_COACH):
            return Role.PARENT_COACH
        return Role.MENTOR


class ProviderProfile(models.Model):
    """A mentor's or coach's capacity: how many interventions they may hold at once
    (without a profile: ``CASEFLOW_PROVIDER_CAPACITY``, default 5)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("provider"), on_delete=models.CASCADE,
        related_name="provider_profile",
    )
    max_active = models.PositiveSmallIntegerField(_("maximum active interventions"), default=5)

    class Meta:
        verbose_name = _("provider profile")
        verbose_name_plural = _("provider profiles")

    def __str__(self):
        return str(self.user)


class InterventionSession(models.Model):
    """A session the provider held (domain.md §2.6: date, duration, topic, a short note).
    Kept when the provider changes: the history stays with the intervention."""

    intervention = models.ForeignKey(
        Intervention, verbose_name=_("intervention"), on_delete=models.PROTECT, related_name="sessions"
    )
    held_on = models.DateField(_("date"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    topic = models.CharField(_("topic"), max_length=200)
    note = models.TextField(_("short note"), blank=True, max_length=2000)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("logged by"), on_delete=models.PROTECT, related_name="+"
    )
    logged_at = models.DateTimeField(_("logged"), default=timezone.now)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-held_on", "-pk"]

    def __str__(self):
        return f"{self.held_on:%Y-%m-%d} {self.topic}"


class InterventionReview(models.Model):
    """A progress review (statusmøde): how far the goals are met and whether the
    intervention continues."""

    class GoalsStatus(models.TextChoices):
        MET = "met", _("Goals met")
        PARTLY = "partly", _("Goals partly met")
        NOT_MET = "not_met", _("Goals not met")

    class Outcome(models.TextChoices):
        CONTINUE = "continue", _("Continue the intervention")
        END = "end", _("End the intervention")

    intervention = models.ForeignKey(
        Intervention, verbose_name=_("intervention"), on_delete=models.PROTECT, related_name="reviews"
    )
    goals_status = models.CharField(_("goals"), max_length=10, choices=GoalsStatus.choices)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), default=timezone.now)

    class Meta:
        verbose_name = _("progress review")
        verbose_name_plural = _("progress reviews")
        ordering = ["-reviewed_at", "-pk"]

    def __str__(self):
        return f"{self.reviewed_at:%Y-%m-%d} {self.get_goals_status_display()}"
