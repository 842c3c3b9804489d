"""Documents filed on a case (journaliseringspligt, domain.md §4.3).

A document is registered with a filing date and a short subject. The file itself is
stored under ``MEDIA_ROOT`` by a random name (never the uploader's file name) and is
only ever served by the permission-checked download view: no MEDIA_URL route exists,
and MEDIA_ROOT lies outside the static root WhiteNoise serves.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def document_storage_name(instance, filename) -> str:
    """A random storage name without extension: the uploader's name never reaches the
    file system, and nothing on disk looks executable or guessable."""
    return f"documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Document(models.Model):
    SUBJECT_MAX_LENGTH = 200
    NAME_MAX_LENGTH = 120

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="documents"
    )
    intervention = models.ForeignKey(
        "interventions.Intervention", verbose_name=_("intervention"), on_delete=models.PROTECT,
        related_name="documents", null=True, blank=True,
    )
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX_LENGTH)
    filed_on = models.DateField(_("filed on"), default=timezone.localdate)
    received_from = models.CharField(_("received from"), max_length=200, blank=True)
    restricted = models.BooleanField(
        _("may not be passed on"), default=False,
        help_text=_("Material that may not be passed on (e.g. police information under § 115)."),
    )
    file = models.FileField(_("file"), upload_to=document_storage_name, max_length=200)
    original_name = models.CharField(_("file name"), max_length=NAME_MAX_LENGTH)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ("-filed_on", "-uploaded_at", "-pk")
        indexes = [models.Index(fields=("case", "-filed_on"), name="document_case_filed_idx")]

    def __str__(self):
        return self.subject

    @property
    def type_label(self) -> str:
        """"PDF", "DOCX", "TXT" ...: the detected type, for the list."""
        from .content import ALLOWED_TYPES, TEXT_EXTENSION, TEXT_TYPE

        if self.content_type == TEXT_TYPE:
            return TEXT_EXTENSION.upper()
        return ALLOWED_TYPES.get(self.content_type, "").upper()
