"""Journal notes (journalnotater): the written record of what happened in a case.

Offentlighedsloven § 13 (notatpligt, domain.md §4.3): the time of the event and the
time of writing are both kept, a note is a draft until its author makes it final, and a
final note never changes again. A mistake in a final note is corrected by a new final
note that references it (``corrects``); a correction can itself be corrected (a chain).

Immutability is held in three places: the services refuse (a translated error), the
model refuses a save or delete of a stored final note, and on PostgreSQL a trigger
(migration 0002) refuses UPDATE and DELETE of a final row.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan
from django.utils.translation import gettext_lazy as _

#: The longest note text accepted (characters).
TEXT_MAX_LENGTH = 20000
#: A note written more than this many days after the event is shown as written late
#: (notatpligt: "promptly, within days at most").
LATE_AFTER_DAYS = 5


class FinalNoteImmutableError(Exception):
    """An attempt to change or delete a final journal note through the ORM. An integrity
    guard: the services refuse earlier with a translated ``ApplicationError``."""


class JournalNote(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FINAL = "final", _("Final")

    class SourceAuthority(models.TextChoices):
        COORDINATION_UNIT = "coordination_unit", _("The coordination unit itself")
        POLICE = "police", _("Police")
        SSP = "ssp", _("SSP")
        SCHOOL = "school", _("School")
        SOCIAL_SERVICES = "social_services", _("Social services / BBU")
        JOBCENTRE = "jobcentre", _("Jobcentre")
        HEALTH = "health", _("Health services")
        PERSON_OR_FAMILY = "person_or_family", _("The person or the family")
        OTHER = "other", _("Other")

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="journal_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="journal_notes"
    )
    event_at = models.DateTimeField(_("time of the event"))
    written_at = models.DateTimeField(_("written at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    finalised_at = models.DateTimeField(_("made final at"), null=True, blank=True)
    text = models.TextField(_("text"), max_length=TEXT_MAX_LENGTH)
    source_authority = models.CharField(_("source"), max_length=20, choices=SourceAuthority.choices)
    restricted = models.BooleanField(
        _("may not be passed on"), default=False,
        help_text=_("Material that may not be passed on (e.g. police information under § 115)."),
    )
    corrects = models.ForeignKey(
        "self", verbose_name=_("corrects"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="corrections",
    )
    intervention = models.ForeignKey(
        "interventions.Intervention", verbose_name=_("intervention"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="journal_notes",
    )

    class Meta:
        verbose_name = _("journal note")
        verbose_name_plural = _("journal notes")
        ordering = ["-event_at", "-pk"]
        indexes = [models.Index(fields=["case", "-event_at"], name="journal_note_case_event")]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("text")), 0), name="journal_note_text_not_blank"
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft", finalised_at__isnull=True)
                | models.Q(status="final", finalised_at__isnull=False),
                name="journal_note_final_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(corrects__isnull=True) | models.Q(status="final"),
                name="journal_note_correction_is_final",
            ),
        ]

    def __str__(self):
        return str(_("Journal note %(id)s") % {"id": self.pk})

    def save(self, *args, **kwargs):
        # An integrity guard, not business logic: a stored final note is never written again.
        if not self._state.adding and self._stored_status() == self.Status.FINAL:
            raise FinalNoteImmutableError(f"journal note {self.pk} is final and cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_final or self._stored_status() == self.Status.FINAL:
            raise FinalNoteImmutableError(f"journal note {self.pk} is final and cannot be deleted")
        return super().delete(*args, **kwargs)

    def _stored_status(self):
        return type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.FINAL

    @property
    def is_late(self) -> bool:
        if self.written_at is None or self.event_at is None:
            return False
        return (self.written_at - self.event_at).days >= LATE_AFTER_DAYS
