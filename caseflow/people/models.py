from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .ages import age_on, is_minor_on


class Person(models.Model):
    """The subject of a referral or case.

    Many referrals arrive without a CPR number, so name and birth date are enough and
    every identifying field is optional. The CPR number is never stored in clear text:
    ``cpr_encrypted`` holds the ciphertext, ``cpr_index`` a keyed hash for exact
    search and ``cpr_masked`` the ``DDMMYY-****`` display form (all three filled by
    ``people.services.person_identify``; see ``people.cpr``). One person per CPR number.
    """

    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")
        UNKNOWN = "unknown", _("Unknown")

    first_name = models.CharField(_("first name"), max_length=120, blank=True)
    last_name = models.CharField(_("last name"), max_length=120, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    gender = models.CharField(
        _("gender"), max_length=10, choices=Gender.choices, default=Gender.UNKNOWN
    )
    cpr_encrypted = models.TextField(_("CPR number (encrypted)"), blank=True, editable=False)
    cpr_index = models.CharField(
        _("CPR search index"), max_length=64, blank=True, db_index=True, editable=False
    )
    cpr_masked = models.CharField(_("CPR number (masked)"), max_length=11, blank=True, editable=False)
    address = models.CharField(_("address"), max_length=255, blank=True)
    district = models.CharField(_("district"), max_length=120, blank=True)
    school_or_workplace = models.CharField(_("school or workplace"), max_length=255, blank=True)
    language = models.CharField(_("language"), max_length=60, blank=True)
    needs_interpreter = models.BooleanField(_("needs an interpreter"), default=False)
    protected_address = models.BooleanField(_("protected address"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["last_name", "first_name", "pk"]
        indexes = [models.Index(fields=["last_name", "first_name", "birth_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["cpr_index"], condition=~models.Q(cpr_index=""), name="people_person_cpr_index_unique"
            ),
        ]

    def __str__(self):
        return self.full_name or str(_("Unknown person"))

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def has_cpr(self) -> bool:
        return bool(self.cpr_index)

    @property
    def cpr_display(self) -> str:
        """The CPR number as shown: ``DDMMYY-****``, or "" without one. The full
        number only through ``people.services.person_cpr_reveal`` (audited)."""
        return self.cpr_masked

    def age_on(self, on=None) -> int | None:
        if self.birth_date is None:
            return None
        return age_on(self.birth_date, on or timezone.localdate())

    def is_minor_on(self, on=None) -> bool:
        return is_minor_on(self.birth_date, on or timezone.localdate())


class CustodyHolder(models.Model):
    """A holder of parental custody (forældremyndighedsindehaver) of a minor."""

    person = models.ForeignKey(
        Person, verbose_name=_("child"), on_delete=models.CASCADE, related_name="custody_holders"
    )
    name = models.CharField(_("name"), max_length=200)
    relation = models.CharField(_("relation"), max_length=60, blank=True)
    has_custody = models.BooleanField(_("has custody"), default=True)
    contact = models.CharField(_("contact details"), max_length=255, blank=True)
    informed = models.BooleanField(_("informed"), default=False)
    informed_exception_reason = models.TextField(
        _("reason for not informing"),
        blank=True,
        help_text=_("Needed when a custody holder is not informed (requires BBU's agreement)."),
    )

    class Meta:
        verbose_name = _("custody holder")
        verbose_name_plural = _("custody holders")
        ordering = ["person", "name"]

    def __str__(self):
        return self.name
