from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Referral(models.Model):
    """A concern referral (bekymringshenvendelse), domain.md §2.1 and §3."""

    CONCERN_MAX_LENGTH = 10_000

    class Channel(models.TextChoices):
        UNIT_HOTLINE = "unit_hotline", _("The unit's hotline")
        NATIONAL_HOTLINE = "national_hotline", _("National hotline")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        FORM = "form", _("Form")
        POLICE = "police", _("Police")
        IN_PERSON = "in_person", _("In person")
        PARTNER_SYSTEM = "partner_system", _("Partner system")

    class ReferrerType(models.TextChoices):
        PRIMARY_SCHOOL = "primary_school", _("School (primary)")
        UPPER_SECONDARY = "upper_secondary", _("Upper-secondary school")
        DAYCARE_CLUB = "daycare_club", _("Day-care or leisure club")
        POLICE = "police", _("Police")
        PET = "pet", _("PET")
        PARENT_RELATIVE = "parent_relative", _("Parent or relative")
        SOCIAL_SERVICES = "social_services", _("Social services / BBU")
        JOBCENTRE = "jobcentre", _("Jobcentre")
        HEALTH = "health", _("Health or psychiatry")
        PRISON_PROBATION = "prison_probation", _("Prison and probation service")
        NATIONAL_HOTLINE = "national_hotline", _("National hotline")
        UNIT_HOTLINE = "unit_hotline", _("The unit's hotline")
        CITIZEN = "citizen", _("Other citizen")
        ANONYMOUS = "anonymous", _("Anonymous")

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        ACUTE = "acute", _("Acute")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        ACUTE_TRIAGE = "acute_triage", _("Acute triage")
        INITIAL_ASSESSMENT = "initial_assessment", _("Initial assessment")
        AWAITING_INFORMATION = "awaiting_information", _("Waiting for information")
        TO_COORDINATION_UNIT = "to_coordination_unit", _("To the coordination unit")
        ASSESSED = "assessed", _("Assessed")
        SHELVED = "shelved", _("Shelved: too little information")
        TRANSFERRED = "transferred", _("Sent to another municipality")

    class Outcome(models.TextChoices):
        UNFOUNDED = "unfounded", _("Unfounded concern")
        ADVICE_TO_REFERRER = "advice_to_referrer", _("Advice to the referrer")
        REFERRED_ELSEWHERE = "referred_elsewhere", _("Referred to another service")
        POLICE_HANDLING = "police_handling", _("Handled by the police")
        CASE_LEVEL_2 = "case_level_2", _("Case opened at level 2")
        CASE_LEVEL_3 = "case_level_3", _("Case opened at level 3")

    class WarningSign(models.TextChoices):
        VIOLENCE = "violence", _("Willingness to use violence")
        CONFLICT_TRAVEL = "conflict_travel", _("Interest in travel to conflict zones")
        EXTREMIST_MEDIA = "extremist_media", _("Extremist media")
        THREATS = "threats", _("Threats or harassment")
        TOTALITARIAN_SYMBOLS = "totalitarian_symbols", _("Totalitarian symbols")
        FAMILY_ISOLATION = "family_isolation", _("Isolation from family")
        NEW_NETWORK = "new_network", _("New risky network")
        PERSONAL_CRISIS = "personal_crisis", _("Recent personal crisis")

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    referrer_type = models.CharField(_("referrer type"), max_length=20, choices=ReferrerType.choices)
    referrer_name = models.CharField(_("referrer's name"), max_length=200, blank=True)
    referrer_contact = models.CharField(_("referrer's contact details"), max_length=255, blank=True)
    referrer_wishes_anonymity = models.BooleanField(
        _("referrer wishes anonymity towards the subject"), default=False
    )
    is_anonymous = models.BooleanField(_("anonymous referral"), default=False)
    concern_text = models.TextField(_("concern"))
    warning_signs = models.JSONField(_("warning signs"), default=list, blank=True)
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="referrals"
    )
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.RECEIVED
    )
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    reopen_case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("closed case to reopen"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reopening_referrals",
        help_text=_("Set when the person already has a closed case; screening decides whether it reopens."),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-received_at", "-pk"]
        permissions = [
            ("view_referral_referrer", _("Can see the referrer of a referral")),
            ("claim_referral_task", _("Can claim a referral's tasks")),
            ("cosign_referral", _("Can co-sign a minor's screening")),
        ]
        indexes = [models.Index(fields=["team", "status", "-received_at"])]

    def __str__(self):
        return self.reference

    def get_warning_sign_labels(self) -> list[str]:
        labels = dict(self.WarningSign.choices)
        return [labels.get(code, code) for code in self.warning_signs]
