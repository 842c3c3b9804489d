"""The coordination unit's meetings (Koordineringsenheden, domain.md §1.4, §2.1, §2.3):
referrals waiting for the screening decision go on a meeting's agenda, each invited
partner member records per item what their own registers hold, and the meeting decides
the screening outcome of each item; the ReferralFlow's screening task completes from
that decision. After the chair approves the minutes the partners' access ends."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from caseflow.referrals.models import Referral


class Meeting(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        AGENDA_SENT = "agenda_sent", _("Agenda sent")
        HELD = "held", _("Held")
        MINUTES_APPROVED = "minutes_approved", _("Minutes approved")

    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="meetings"
    )
    starts_at = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=200)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("chair"), on_delete=models.PROTECT, related_name="+"
    )
    minute_taker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("minute-taker"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    agenda_sent_at = models.DateTimeField(_("agenda sent"), null=True, blank=True)
    held_at = models.DateTimeField(_("held"), null=True, blank=True)
    minutes_approved_at = models.DateTimeField(_("minutes approved"), null=True, blank=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["team", "-starts_at"])]

    def __str__(self):
        return f"{self.place} {self.starts_at:%Y-%m-%d %H:%M}"


class MeetingMember(models.Model):
    """A partner authority's representative at a meeting (police, SSP, prison and
    probation, social services, employment): invited, and present or not."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE,
                                related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.PROTECT, related_name="meeting_seats"
    )
    authority = models.CharField(_("authority"), max_length=200, help_text=_('For example "Politiet (DKS)".'))
    invited = models.BooleanField(_("invited"), default=True)
    present = models.BooleanField(_("present"), default=False)

    class Meta:
        verbose_name = _("meeting member")
        verbose_name_plural = _("meeting members")
        ordering = ["authority", "pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="meeting_member_once")]

    def __str__(self):
        return f"{self.user} ({self.authority})"


class AgendaItem(models.Model):
    """One referral on a meeting's agenda, and the meeting's screening decision on it."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE,
                                related_name="items")
    referral = models.ForeignKey(
        "referrals.Referral", verbose_name=_("referral"), on_delete=models.PROTECT, related_name="agenda_items"
    )
    order = models.PositiveIntegerField(_("order"))
    outcome = models.CharField(_("outcome"), max_length=24, choices=Referral.Outcome.choices, blank=True)
    justification = models.TextField(_("justification"), blank=True)
    dissent = models.TextField(_("dissent"), blank=True)
    members_present = models.TextField(_("members present"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+",
    )

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "referral"], name="agenda_item_once")]

    def __str__(self):
        return f"{self.order}. {self.referral_id}"

    @property
    def is_decided(self) -> bool:
        return self.decided_at is not None


class RegisterCheck(models.Model):
    """What one partner member's registers hold about an agenda item's person, and the
    legal basis for sharing it with the unit."""

    class LegalBasis(models.TextChoices):
        # The list the partners choose from; [U] in domain.md §1.2: the municipality's
        # lawyers confirm it. "Other" needs a text.
        RPL_115 = "rpl_115", _("Retsplejeloven § 115 (SSP/Infohus cooperation)")
        FVL_28 = "fvl_28", _("Forvaltningsloven § 28 (disclosure between authorities)")
        DBL_8 = "dbl_8", _("Databeskyttelsesloven § 8 (information about offences)")
        CONSENT = "consent", _("The person's consent")
        OTHER = "other", _("Other basis (describe)")

    item = models.ForeignKey(AgendaItem, verbose_name=_("agenda item"), on_delete=models.CASCADE,
                             related_name="register_checks")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("partner member"), on_delete=models.PROTECT, related_name="+"
    )
    authority = models.CharField(_("authority"), max_length=200)
    nothing_found = models.BooleanField(_("nothing found"), default=False)
    summary = models.TextField(_("summary"), blank=True)
    legal_basis = models.CharField(_("legal basis for sharing"), max_length=12, choices=LegalBasis.choices,
                                   blank=True)
    legal_basis_other = models.CharField(_("other legal basis"), max_length=300, blank=True)
    restricted = models.BooleanField(
        _("may not be passed on"), default=False,
        help_text=_("Må ikke videregives: other partners never see it; only the unit's own staff do."),
    )
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("register check")
        verbose_name_plural = _("register checks")
        ordering = ["item", "authority", "pk"]
        constraints = [models.UniqueConstraint(fields=["item", "member"], name="register_check_once")]

    def __str__(self):
        return f"{self.item_id}: {self.authority}"
