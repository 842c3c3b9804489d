"""The pseudonymised statistics store (domain.md §4.8).

One row per referral, per intervention and per deadline breach, keyed by a keyed hash
(HMAC-SHA256, ``reports.keys``) of the source's id. Only categories, months and counts:
no CPR number, name, free text, exact date or foreign key to a person, case or referral,
so there is no route back to case data and retention can anonymise or delete the live
rows without changing the statistics (rows here are never deleted, and a row whose
source has settled is not rewritten). Dates are kept as the first day of their month;
the days from receipt to screening are counted from the exact dates at refresh time.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AgeBand(models.TextChoices):
    """Age at registration (the date the referral was received)."""

    UNDER_15 = "0-14", _("0–14 years")
    AGE_15_17 = "15-17", _("15–17 years")
    AGE_18_24 = "18-24", _("18–24 years")
    AGE_25_PLUS = "25+", _("25 years and over")
    UNKNOWN = "unknown", _("Age not known")


class StatisticsOutcome(models.TextChoices):
    """What came of a referral: the screening outcomes, the two ways a referral ends
    without screening, and not decided yet."""

    UNFOUNDED = "unfounded", _("Unfounded concern")
    ADVICE_TO_REFERRER = "advice_to_referrer", _("Advice to the referrer")
    REFERRED_ELSEWHERE = "referred_elsewhere", _("Referred to another service")
    POLICE_HANDLING = "police_handling", _("Handled by the police")
    CASE_LEVEL_2 = "case_level_2", _("Case opened at level 2")
    CASE_LEVEL_3 = "case_level_3", _("Case opened at level 3")
    SHELVED = "shelved", _("Shelved: too little information")
    TRANSFERRED = "transferred", _("Sent to another municipality")
    PENDING = "pending", _("Not decided yet")


class ReferralStatistic(models.Model):
    key = models.CharField(_("pseudonym"), max_length=64, unique=True, editable=False)
    received_month = models.DateField(_("month received"))
    referrer_type = models.CharField(_("referrer type"), max_length=20)
    age_band = models.CharField(_("age band"), max_length=8, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    outcome = models.CharField(
        _("outcome"), max_length=24, choices=StatisticsOutcome.choices, default=StatisticsOutcome.PENDING
    )
    founded = models.BooleanField(_("founded concern"), null=True)
    level = models.PositiveSmallIntegerField(_("level"), null=True)
    phenomenon = models.CharField(_("phenomenon"), max_length=20, blank=True)
    screened_month = models.DateField(_("month screened"), null=True)
    days_to_screening = models.PositiveIntegerField(_("days from receipt to screening"), null=True)
    deadline_breaches = models.PositiveSmallIntegerField(_("deadline breaches"), default=0)
    settled = models.BooleanField(
        _("settled"), default=False,
        help_text=_("The source reached its end (and its case, if any, is closed): the row is not rewritten."),
    )
    refreshed_at = models.DateTimeField(_("refreshed"))

    class Meta:
        verbose_name = _("referral statistic")
        verbose_name_plural = _("referral statistics")
        indexes = [models.Index(fields=["received_month"])]

    def __str__(self):
        return self.key[:12]


class InterventionStatistic(models.Model):
    key = models.CharField(_("pseudonym"), max_length=64, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=24)
    level = models.PositiveSmallIntegerField(_("level"), null=True)
    started_month = models.DateField(_("month started"), null=True)
    ended_month = models.DateField(_("month ended"), null=True)
    end_reason = models.CharField(_("end reason"), max_length=20, blank=True)
    deadline_breaches = models.PositiveSmallIntegerField(_("deadline breaches"), default=0)
    settled = models.BooleanField(_("settled"), default=False)
    refreshed_at = models.DateTimeField(_("refreshed"))

    class Meta:
        verbose_name = _("intervention statistic")
        verbose_name_plural = _("intervention statistics")

    def __str__(self):
        return self.key[:12]


class DeadlineBreachStatistic(models.Model):
    class Subject(models.TextChoices):
        REFERRAL = "referral", _("Referral")
        CASE = "case", _("Case")
        INTERVENTION = "intervention", _("Intervention")

    key = models.CharField(_("pseudonym"), max_length=64, unique=True, editable=False)
    breached_month = models.DateField(_("month breached"))
    deadline = models.CharField(_("deadline"), max_length=60)
    subject = models.CharField(_("on"), max_length=12, choices=Subject.choices)
    refreshed_at = models.DateTimeField(_("refreshed"))

    class Meta:
        verbose_name = _("deadline breach statistic")
        verbose_name_plural = _("deadline breach statistics")
        indexes = [models.Index(fields=["breached_month"])]

    def __str__(self):
        return self.key[:12]
