"""The coordination unit's meetings (Koordineringsenheden, domain.md §1.4, §2.1, §2.3):
referrals waiting for the screening decision go on a meeting's agenda, each invited
partner member records per item what their own registers hold, and the meeting decides
the screening outcome of each item; the ReferralFlow's screening task completes from
that decision. After the chair approves the minutes the partners' access ends."""

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from caseflow.cases.models import Decision
from caseflow.referrals.models import Referral

#: The outcome codes of the child-focused consultant's co-signature decisions
#: (``workflows.services.COSIGN_APPROVED`` / ``COSIGN_REFUSED``).
COSIGN_APPROVED = "approved"
COSIGN_REFUSED = "refused"


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
    agenda_notified_at = models.DateTimeField(
        _("agenda e-mail sent"), null=True, blank=True,
        help_text=_("When the e-mail saying that the agenda is ready went to this member (once)."),
    )

    class Meta:
        verbose_name = _("meeting member")
        verbose_name_plural = _("meeting members")
        ordering = ["authority", "pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="meeting_member_once")]

    def __str__(self):
        return f"{self.user} ({self.authority})"


class AgendaItem(models.Model):
    """One item on a meeting's agenda: a referral waiting for the screening decision
    (the meeting's decision completes its screening task), or a case to discuss (due
    for a review or level change, or with a level-3 plan waiting for approval; the
    meeting records a discussion note and its recommendation)."""

    class Kind(models.TextChoices):
        REFERRAL = "referral", _("Referral screening")
        CASE = "case", _("Case discussion")

    class CaseReason(models.TextChoices):
        REVIEW = "review", _("Due for a review or a level change")
        LEVEL_3_PLAN = "level_3_plan", _("Level-3 plan waiting for approval")

    class State(models.TextChoices):
        AWAITING = "awaiting", _("Awaiting decision")
        DECIDED = "decided", _("Decided")
        RETURNED = "returned", _("Returned by the child-focused consultant")

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE,
                                related_name="items")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.REFERRAL)
    referral = models.ForeignKey(
        "referrals.Referral", verbose_name=_("referral"), on_delete=models.PROTECT, related_name="agenda_items",
        null=True, blank=True,
    )
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="agenda_items",
        null=True, blank=True,
    )
    case_reason = models.CharField(_("why the case is on the agenda"), max_length=16,
                                   choices=CaseReason.choices, blank=True)
    order = models.PositiveIntegerField(_("order"))
    added_automatically = models.BooleanField(
        _("added automatically"), default=False,
        help_text=_("Put on the agenda by the system because its screening deadline falls before the meeting."),
    )
    outcome = models.CharField(_("outcome"), max_length=24, choices=Referral.Outcome.choices, blank=True)
    justification = models.TextField(_("justification"), blank=True)
    recommendation = models.TextField(_("recommendation"), blank=True)
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
        constraints = [
            models.UniqueConstraint(fields=["meeting", "referral"], name="agenda_item_once"),
            models.UniqueConstraint(fields=["meeting", "case"], name="agenda_case_item_once"),
            models.CheckConstraint(
                condition=Q(kind="referral", referral__isnull=False, case__isnull=True)
                | Q(kind="case", case__isnull=False, referral__isnull=True),
                name="agenda_item_one_subject",
            ),
        ]

    def __str__(self):
        return f"{self.order}. {self.subject_reference}"

    @property
    def is_case(self) -> bool:
        return self.kind == self.Kind.CASE

    @property
    def subject(self):
        return self.case if self.is_case else self.referral

    @property
    def subject_reference(self) -> str:
        subject = self.subject
        return subject.reference if subject is not None else ""

    @property
    def person(self):
        subject = self.subject
        return subject.person if subject is not None else None

    @property
    def state(self) -> str:
        """Awaiting, decided, or (a minor's referral) returned: the consultant refused
        the co-signature after the meeting's decision, so the screening task is open
        again and the item can be decided anew. Reads ``cosign_outcome`` from
        :func:`items_with_cosignature`."""
        if self.decided_at is None:
            return self.State.AWAITING
        if not self.is_case and getattr(self, "cosign_outcome", None) == COSIGN_REFUSED:
            return self.State.RETURNED
        return self.State.DECIDED

    def get_state_display(self) -> str:
        return self.State(self.state).label

    @property
    def is_decided(self) -> bool:
        return self.state == self.State.DECIDED

    @property
    def is_returned(self) -> bool:
        return self.state == self.State.RETURNED

    @property
    def outcome_label(self) -> str:
        if self.is_case:
            return self.recommendation
        return self.get_outcome_display()


def items_with_cosignature(queryset):
    """Annotate agenda items with the child-focused consultant's latest co-signature
    of the referral made after the item's decision (``cosign_outcome``,
    ``cosign_justification``, ``cosign_at``; None when there is none): the item's
    state is derived from the flow's own records, never stored twice."""
    latest = Decision.objects.filter(
        referral_id=OuterRef("referral_id"), kind=Decision.Kind.CO_SIGNATURE, decided_at__gte=OuterRef("decided_at"),
    ).order_by("-decided_at", "-pk")
    return queryset.annotate(
        cosign_outcome=Subquery(latest.values("outcome")[:1]),
        cosign_justification=Subquery(latest.values("justification")[:1]),
        cosign_at=Subquery(latest.values("decided_at")[:1]),
    )


def open_items():
    """Items that still hold their subject: at a meeting whose minutes are not
    approved, and not decided (never, or returned by the consultant)."""
    return items_with_cosignature(AgendaItem.objects.exclude(meeting__status=Meeting.Status.MINUTES_APPROVED)).filter(
        Q(decided_at__isnull=True) | Q(kind=AgendaItem.Kind.REFERRAL, cosign_outcome=COSIGN_REFUSED))


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
