"""Forms of the journal pages. They parse input only; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from caseflow.core.forms import validate_plausible_moment

from .models import TEXT_MAX_LENGTH, JournalNote

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class JournalNoteForm(forms.Form):
    """A note's details. ``interventions``: the case's interventions (already loaded);
    ``may_restrict``: whether the writer may mark a note as not to be passed on (else
    the field is left out).

    The prefix is the form's own, so the case page (which also shows the upload form,
    with fields of the same names) and the pages that process the note render and read
    the same names: ``note-restricted``, ids ``id_note-restricted`` (issue 20 point 5)."""

    prefix = "note"

    event_at = forms.DateTimeField(
        label=_("When did it happen?"),
        help_text=_("The time of the conversation, call, meeting or information received."),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        validators=[validate_plausible_moment],
    )
    source_authority = forms.ChoiceField(
        label=_("Source of the information"), choices=[("", "—"), *JournalNote.SourceAuthority.choices]
    )
    intervention = forms.ChoiceField(label=_("About an intervention (optional)"), required=False)
    restricted = forms.BooleanField(
        label=_("May not be passed on"), required=False,
        help_text=_("E.g. police information received under § 115."),
    )
    text = forms.CharField(
        label=_("Note"), max_length=TEXT_MAX_LENGTH, strip=True,
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def __init__(self, *args, interventions=(), may_restrict=False, **kwargs):
        super().__init__(*args, **kwargs)
        self._interventions = {str(item.pk): item for item in interventions}
        if self._interventions:
            self.fields["intervention"].choices = [("", "—")] + [
                (key, f"{item.get_kind_display()} · {item.get_status_display()}")
                for key, item in self._interventions.items()
            ]
        else:
            del self.fields["intervention"]
        if not may_restrict:
            del self.fields["restricted"]

    def clean_intervention(self):
        value = self.cleaned_data.get("intervention")
        if not value:
            return None
        if value not in self._interventions:
            raise forms.ValidationError(_("Choose one of the case's interventions."))
        return self._interventions[value]

    def note_data(self) -> dict:
        """Keyword arguments for the services."""
        data = self.cleaned_data
        return {
            "text": data["text"],
            "event_at": data["event_at"],
            "source_authority": data["source_authority"],
            "restricted": data.get("restricted", False),
            "intervention": data.get("intervention"),
        }


def note_initial(note: JournalNote) -> dict:
    return {
        "event_at": note.event_at,
        "source_authority": note.source_authority,
        "intervention": str(note.intervention_id) if note.intervention_id else "",
        "restricted": note.restricted,
        "text": note.text,
    }
