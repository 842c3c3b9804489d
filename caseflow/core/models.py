from django.db import models
from django.utils.translation import gettext_lazy as _


class ReferenceSequence(models.Model):
    """The last number handed out for a reference prefix in a year (``KE-2026-0007``).

    Numbers are allocated under a row lock, so concurrent registrations never share one.
    """

    prefix = models.CharField(_("prefix"), max_length=8)
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("reference sequence")
        verbose_name_plural = _("reference sequences")
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="core_refseq_prefix_year_uniq")
        ]

    def __str__(self):
        return f"{self.prefix}-{self.year}: {self.last_number}"
