from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseflow.interventions.models import Intervention

from .models import Document


class DocumentUploadForm(forms.Form):
    """Parses the upload only; ``document_upload`` decides (type, size, dates, rights).

    The prefix is the form's own, so the case page (which also shows the journal form,
    with fields of the same names) and the upload page render and read the same names:
    ``document-restricted``, ids ``id_document-restricted`` (issue 20 point 5)."""

    prefix = "document"

    file = forms.FileField(
        label=_("File"), allow_empty_file=True,  # the service refuses empty files, and records it
        help_text=_("PDF, PNG, JPEG, DOCX, XLSX, ODT or plain text."),
        error_messages={"required": _("Choose a file to upload.")},
    )
    subject = forms.CharField(label=_("Subject"), max_length=Document.SUBJECT_MAX_LENGTH,
                              help_text=_("A short description of what the document is."))
    filed_on = forms.DateField(label=_("Filing date"), initial=timezone.localdate,
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    received_from = forms.CharField(label=_("Received from"), max_length=200, required=False,
                                    help_text=_("The authority or person that sent it, if any."))
    intervention = forms.ModelChoiceField(label=_("Intervention"), queryset=Intervention.objects.none(),
                                          required=False)
    restricted = forms.BooleanField(label=_("May not be passed on"), required=False,
                                    help_text=_("E.g. police information received under § 115."))

    def __init__(self, *args, case, may_restrict: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["intervention"].queryset = Intervention.objects.filter(case_id=case.pk).order_by("pk")
        self.fields["intervention"].label_from_instance = lambda i: i.get_kind_display()
        if not may_restrict:
            del self.fields["restricted"]
        self.fields["file"].widget.attrs["accept"] = (
            ".pdf,.png,.jpg,.jpeg,.docx,.xlsx,.odt,.txt"
        )
