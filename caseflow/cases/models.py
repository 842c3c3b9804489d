from django.conf import settings
from django.db import models
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CASE_REFERENCE_PREFIX = "KE"


class Case(models.Model):
    """A case (sag) on level 2 or 3 of the prevention triangle, domain.md §2.2."""

    class Level(models.IntegerChoices):
        # Level 1 (preventive) is group work and never produces a personal case.
        ANTICIPATORY = 2, _("Level 2: anticipatory")
        INTERVENING = 3, _("Level 3: intervening")

    class Status(models.TextChoices):
        OPENED = "opened", _("Opened")
        CLARIFICATION = "clarification", _("Clarification")
        PLANNING = "planning", _("Plan")
        ACTIVE = "active", _("Active")
        REVIEW = "review", _("Progress review")
        CLOSED = "closed", _("Closed")
        FOLLOW_UP_6M = "follow_up_6m", _("Follow-up after 6 months")
        FOLLOW_UP_12M = "follow_up_12m", _("Follow-up after 12 months")
        ARCHIVED = "archived", _("Archived")
        REOPENED = "reopened", _("Reopened")

    class Phenomenon(models.TextChoices):
        MILITANT_ISLAMISM = "militant_islamism", _("Militant Islamism")
        RIGHT_WING = "right_wing", _("Right-wing extremism")
        LEFT_WING = "left_wing", _("Left-wing extremism")
        OTHER_UNCLEAR = "other_unclear", _("Other or unclear")
        NOT_IDEOLOGICAL = "not_ideological", _("Not ideological")

    class ClosureReason(models.TextChoices):
        GOALS_MET = "goals_met", _("Goals met")
        DECLINED = "declined", _("Citizen declined or withdrew consent")
        MOVED = "moved", _("Moved to another municipality")
        POLICE = "police", _("Taken over by the police")
        ADULT_TRACK = "adult_track", _("Turned 18 and moved to the adult track")
        DEATH = "death", _("Death")
        OTHER = "other", _("Other")

    OPEN_STATUSES = (
        Status.OPENED,
        Status.CLARIFICATION,
        Status.PLANNING,
        Status.ACTIVE,
        Status.REVIEW,
        Status.REOPENED,
    )

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="cases"
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="cases"
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible caseworker"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responsible_cases",
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPENED)
    phenomenon = models.CharField(
        _("phenomenon"), max_length=20, choices=Phenomenon.choices, blank=True
    )
    is_minor = models.BooleanField(
        _("minor"),
        default=False,
        help_text=_("Derived from the person's date of birth; kept current by the case services."),
    )
    bbu_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("BBU contact"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bbu_cases",
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closure_reason = models.CharField(
        _("closure reason"), max_length=16, choices=ClosureReason.choices, blank=True
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at", "-pk"]
        # Granted per object only, through the permission policy (never globally).
        permissions = [
            ("view_case_referrer", _("Can see the referrer of a case")),
            ("view_case_restricted", _("Can see material that may not be passed on")),
            ("export_case", _("Can export a case")),
            ("claim_case_task", _("Can claim a case's tasks")),
            ("view_case_history", _("Can see a case's history")),
            ("manage_case_access", _("Can manage access to a case")),
            ("cosign_case", _("Can co-sign a minor's case decisions")),
            ("approve_case", _("Can approve a case's plan or closure")),
        ]
        indexes = [
            models.Index(fields=["team", "status"]),
            models.Index(fields=["responsible", "status"]),
            # The case list: a supervisor's newest team cases without sorting the team, and
            # the newest of a set of granted ids without visiting the table.
            models.Index(fields=["team", "-opened_at", "-id"], name="cases_case_team_newest"),
            models.Index(fields=["id"], include=["opened_at"], name="cases_case_id_opened"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(level__in=[2, 3]), name="cases_case_level_2_or_3"),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class TeamCaseCount(models.Model):
    """How many cases a team has, kept exact by PostgreSQL triggers on ``cases_case``
    (statement-level, with transition tables: one UPDATE per statement, also for bulk
    inserts and retention deletes). A supervisor sees every case of their team, so their
    case list's count is this number plus their grants outside the team, instead of a
    count over the whole team at every page view. Other databases (SQLite in
    ``make run``) have no triggers: there the list counts directly."""

    team = models.OneToOneField("accounts.Team", verbose_name=_("team"), on_delete=models.CASCADE,
                                primary_key=True, related_name="case_count")
    cases = models.BigIntegerField(_("cases"), default=0)

    class Meta:
        verbose_name = _("team case count")
        verbose_name_plural = _("team case counts")

    def __str__(self):
        return f"{self.team_id}: {self.cases}"


class Decision(models.Model):
    """A decision on a referral or case: always a justification and a decider."""

    class Kind(models.TextChoices):
        SCREENING = "screening", _("Screening outcome")
        PLAN_APPROVAL = "plan_approval", _("Plan approval")
        LEVEL_CHANGE = "level_change", _("Level change")
        CLOSURE = "closure", _("Closure")
        REOPENING = "reopening", _("Reopening")
        REVIEW = "review", _("Progress review")
        CO_SIGNATURE = "co_signature", _("Co-signature by the child-focused consultant")
        APPROVAL = "approval", _("Approval by the supervisor")
        CHILD_WELFARE_REPORT = "child_welfare_report", _("Child-welfare report (underretning) assessed")
        OTHER = "other", _("Other")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
    )
    referral = models.ForeignKey(
        "referrals.Referral",
        verbose_name=_("referral"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
    )
    outcome = models.CharField(_("outcome"), max_length=40, blank=True)
    justification = models.TextField(_("justification"))
    legal_basis = models.CharField(_("legal basis"), max_length=120, blank=True)
    is_formal_decision = models.BooleanField(
        _("formal administrative decision (afgørelse)"), default=False
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    members_present = models.TextField(_("members present"), blank=True)
    subject_was_minor = models.BooleanField(_("subject was a minor at the decision"), default=False)
    decided_at = models.DateTimeField(_("decided"), default=timezone.now)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("justification")), 0),
                name="cases_decision_justification_not_blank",
            ),
            models.CheckConstraint(
                condition=models.Q(case__isnull=False) | models.Q(referral__isnull=False),
                name="cases_decision_has_subject",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.decided_at:%Y-%m-%d})"

    @property
    def outcome_label(self) -> str:
        from .outcomes import outcome_label

        return outcome_label(self.outcome)


class Consent(models.Model):
    """A consent given for a case (domain.md §4.6): to the case work itself, to an
    intervention, or to sharing with a named recipient. Withdrawal is recorded, never
    deleted. For a minor the custody holders consent; from the 18th birthday only the
    person's own consent counts (domain.md §6 scenario 11)."""

    class Scope(models.TextChoices):
        CASE_WORK = "case_work", _("Case work and clarification")
        INTERVENTION = "intervention", _("An intervention")
        SHARING = "sharing", _("Sharing with another authority")

    class GivenBy(models.TextChoices):
        SUBJECT = "subject", _("The person")
        CUSTODY_HOLDER = "custody_holder", _("A custody holder")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="consents")
    intervention = models.ForeignKey(
        "interventions.Intervention",
        verbose_name=_("intervention"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consents",
    )
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    recipient = models.CharField(_("recipient"), max_length=200, blank=True)
    given_by = models.CharField(_("given by"), max_length=16, choices=GivenBy.choices)
    given_by_name = models.CharField(
        _("name of the custody holder"), max_length=200, blank=True,
        help_text=_("Only for a custody holder; the person is known from the case."),
    )
    given_on = models.DateField(_("given on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_on", "-pk"]
        indexes = [models.Index(fields=["case", "scope"])]

    def __str__(self):
        return f"{self.get_scope_display()} ({self.given_on:%Y-%m-%d})"


class CaseProposal(models.Model):
    """A caseworker's proposal in the CaseFlow that may need signatures before it takes
    effect (domain.md §2.3, §2.5): a plan (goals and the interventions to propose), a
    level change, or a closure. The child-focused consultant co-signs for a minor, the
    supervisor approves at level 3; each signature is a Decision (CO_SIGNATURE or
    APPROVAL, outcome ``approved``/``refused``, with its justification), linked here. A
    refusal refuses the proposal; the caseworker may propose again."""

    class Kind(models.TextChoices):
        PLAN = "plan", _("Plan")
        LEVEL_CHANGE = "level_change", _("Level change")
        CLOSURE = "closure", _("Closure")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting signatures")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="proposals")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    goals = models.TextField(_("goals"), blank=True)
    interventions = models.JSONField(
        _("interventions"), default=list, blank=True,
        help_text=_("The kinds of intervention the plan proposes (Intervention.Kind values)."),
    )
    level = models.PositiveSmallIntegerField(_("new level"), choices=Case.Level.choices, null=True, blank=True)
    closure_reason = models.CharField(
        _("closure reason"), max_length=16, choices=Case.ClosureReason.choices, blank=True
    )
    justification = models.TextField(_("justification"), blank=True)
    needs_co_signature = models.BooleanField(_("needs the consultant's co-signature"), default=False)
    needs_approval = models.BooleanField(_("needs the supervisor's approval"), default=False)
    co_signature = models.ForeignKey(
        Decision, verbose_name=_("co-signature"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approval = models.ForeignKey(
        Decision, verbose_name=_("approval"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("case proposal")
        verbose_name_plural = _("case proposals")
        ordering = ["-proposed_at", "-pk"]
        indexes = [models.Index(fields=["case", "-proposed_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class Disclosure(models.Model):
    """A disclosure (videregivelse) of case data to another authority (domain.md §4.6):
    recipient, what was shared, the legal basis and who decided. The record is the
    decision itself. Material tagged "må ikke videregives" is never passed on."""

    class LegalBasis(models.TextChoices):
        CONSENT = "consent", _("Consent")
        RETSPLEJELOVEN_115 = "rpl_115", _("retsplejeloven § 115")
        SERVICELOVEN_49B = "sel_49b", _("serviceloven § 49 b")
        FORVALTNINGSLOVEN_28_2 = "fvl_28_2", _("forvaltningsloven § 28 stk. 2")
        DATABESKYTTELSESLOVEN_8 = "dbl_8", _("databeskyttelsesloven § 8")
        OTHER = "other", _("Another legal basis")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="disclosures")
    recipient = models.CharField(_("recipient"), max_length=200)
    data = models.TextField(_("data disclosed"))
    legal_basis = models.CharField(_("legal basis"), max_length=16, choices=LegalBasis.choices)
    legal_basis_other = models.CharField(_("other legal basis"), max_length=200, blank=True)
    consent = models.ForeignKey(
        Consent, verbose_name=_("consent"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="disclosures",
    )
    justification = models.TextField(_("justification"))
    restricted_included = models.BooleanField(
        _("includes material that may not be passed on"), default=False,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), default=timezone.now)

    class Meta:
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["case", "-decided_at"])]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("justification")), 0),
                name="cases_disclosure_justification_not_blank",
            ),
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("recipient")), 0), name="cases_disclosure_recipient_not_blank",
            ),
            # "Må ikke videregives" material may not be passed on: not even a record of it.
            models.CheckConstraint(
                condition=models.Q(restricted_included=False), name="cases_disclosure_no_restricted_material",
            ),
            models.CheckConstraint(
                condition=~models.Q(legal_basis="consent") | models.Q(consent__isnull=False),
                name="cases_disclosure_consent_basis_has_consent",
            ),
            models.CheckConstraint(
                condition=~models.Q(legal_basis="other") | GreaterThan(Length(Trim("legal_basis_other")), 0),
                name="cases_disclosure_other_basis_named",
            ),
        ]

    def __str__(self):
        return f"{self.recipient} ({self.decided_at:%Y-%m-%d})"

    @property
    def legal_basis_label(self) -> str:
        if self.legal_basis == self.LegalBasis.OTHER:
            return self.legal_basis_other
        return self.get_legal_basis_display()
