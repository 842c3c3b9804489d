"""Access requests (aktindsigt / GDPR art. 15, domain.md §4.4).

A person (or their representative) asks what the unit holds about them. The request is
registered with the date it was received and its legal basis; the deadline follows from
both (``deadlines.py``). The file is assembled from the team's cases and referrals about
the person when it is read (``file.py``); only the handler's *decisions* on its items are
stored here (:class:`ItemDecision`), one per item, so a note written after registration
still reaches the file.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan
from django.utils.translation import gettext_lazy as _

REFERENCE_PREFIX = "AI"


class AccessRequest(models.Model):
    class LegalBasis(models.TextChoices):
        GDPR_15 = "gdpr_15", _("GDPR art. 15 (right of access)")
        FORVALTNINGSLOVEN = "fvl", _("Forvaltningsloven §§ 9 ff. (partsaktindsigt)")
        OFFENTLIGHEDSLOVEN = "offl", _("Offentlighedsloven (aktindsigt)")

    class Requester(models.TextChoices):
        SUBJECT = "subject", _("The person themself")
        REPRESENTATIVE = "representative", _("A representative")

    class Authority(models.TextChoices):
        """On what documented authority a representative acts. Without one, nothing of
        the file is released by default and the CPR number is never handed out."""

        POWER_OF_ATTORNEY = "power_of_attorney", _("Written power of attorney (fuldmagt)")
        CUSTODY = "custody", _("Custody holder of a minor (forældremyndighed)")
        GUARDIAN = "guardian", _("Appointed guardian (værge)")
        NONE = "none", _("No documented authority (ingen fuldmagt)")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        COMPLETED = "completed", _("Completed")

    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="access_requests"
    )
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="access_requests"
    )
    received_on = models.DateField(_("received on"))
    legal_basis = models.CharField(_("legal basis"), max_length=8, choices=LegalBasis.choices)
    requester = models.CharField(_("requester"), max_length=16, choices=Requester.choices)
    representative_note = models.CharField(
        _("representative"), max_length=500, blank=True,
        help_text=_("Who represents the person, and on what authority (e.g. a power of attorney)."),
    )
    representative_authority = models.CharField(
        _("representative's authority"), max_length=20, choices=Authority.choices, blank=True,
        help_text=_("Only a documented authority lets a representative receive the person's data."),
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("handler"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    delay_letter_on = models.DateField(_("delay letter sent on"), null=True, blank=True)
    delay_reason = models.CharField(_("reason for the delay"), max_length=500, blank=True)
    delay_expected_on = models.DateField(_("expected answer by"), null=True, blank=True)
    last_exported_at = models.DateTimeField(_("last exported"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("completed by"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+",
    )
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)

    class Meta:
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["team", "status", "-received_on"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(requester="representative")
                | GreaterThan(Length(Trim("representative_note")), 0),
                name="access_request_representative_named",
            ),
            models.CheckConstraint(
                condition=(models.Q(requester="representative") & ~models.Q(representative_authority=""))
                | (models.Q(requester="subject") & models.Q(representative_authority="")),
                name="access_request_representative_authority",
            ),
            models.CheckConstraint(
                condition=models.Q(delay_letter_on__isnull=True)
                | (models.Q(delay_expected_on__isnull=False) & GreaterThan(Length(Trim("delay_reason")), 0)),
                name="access_request_delay_complete",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self) -> str:
        return f"{REFERENCE_PREFIX}-{self.received_on:%Y}-{self.pk or 0:04d}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def lacks_authority(self) -> bool:
        """A representative who has documented no authority to act for the person."""
        return (self.requester == self.Requester.REPRESENTATIVE
                and self.representative_authority in ("", self.Authority.NONE))


class ItemKind(models.TextChoices):
    PERSON = "person", _("Personal data")
    REFERRAL = "referral", _("Referral")
    DECISION = "decision", _("Decision")
    JOURNAL_NOTE = "journal_note", _("Journal note")
    DOCUMENT = "document", _("Document")
    CONSENT = "consent", _("Consent")
    INTERVENTION = "intervention", _("Intervention")
    REGISTER_CHECK = "register_check", _("Register check by a partner authority")
    DISCLOSURE = "disclosure", _("Disclosure to another authority")
    LOOKUPS = "lookups", _("Look-ups of the person's data")


class WithholdBasis(models.TextChoices):
    # The list the handler chooses from ([U] in domain.md §4.4: the lawyers confirm it).
    OFFL_30 = "offl_30", _("Offentlighedsloven § 30 (private matters)")
    FVL_15 = "fvl_15", _("Forvaltningsloven § 15 (weighty interests)")
    DBL_22_1 = "dbl_22_1", _("Databeskyttelsesloven § 22 stk. 1 (weighty private interests)")
    DBL_22_2_4 = "dbl_22_2_4", _("Databeskyttelsesloven § 22 stk. 2 nr. 4 (crime prevention)")
    RPL_115 = "rpl_115", _("Retsplejeloven § 115 / police origin")
    GDPR_23 = "gdpr_23", _("GDPR art. 23 exception")
    NO_AUTHORITY = "no_authority", _("The representative has documented no authority to act for the person")


class ReleaseBasis(models.TextChoices):
    # Releasing material tagged "må ikke videregives" or of police origin needs one of these.
    AUTHORITY_CONSULTED = "consulted", _("The originating authority was consulted and does not object")
    NO_EXCEPTION = "no_exception", _("A concrete assessment found that no exception applies")


class ItemDecision(models.Model):
    """The handler's decision on one item of the file: released, or withheld with a
    legal basis. Without a row an item has its default (released; withheld under
    retsplejeloven § 115 when tagged "må ikke videregives" or of police origin)."""

    request = models.ForeignKey(AccessRequest, verbose_name=_("access request"), on_delete=models.CASCADE,
                                related_name="decisions")
    kind = models.CharField(_("kind"), max_length=16, choices=ItemKind.choices)
    object_id = models.PositiveBigIntegerField(_("object id"))
    released = models.BooleanField(_("released"))
    basis = models.CharField(_("legal basis"), max_length=16, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"))

    class Meta:
        verbose_name = _("access request item decision")
        verbose_name_plural = _("access request item decisions")
        ordering = ["request", "kind", "object_id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "kind", "object_id"], name="access_request_item_once"),
            models.CheckConstraint(
                condition=models.Q(released=True) | ~models.Q(basis=""), name="access_request_withheld_has_basis",
            ),
        ]

    def __str__(self):
        return f"{self.request_id}: {self.kind} {self.object_id}"
