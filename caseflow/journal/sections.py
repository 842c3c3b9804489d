"""This app's section of the case page (see caseflow.cases.views.CASE_PAGE_SECTIONS)."""

from permissions.rules import Action

from .forms import JournalNoteForm
from .selectors import journal_notes_for


def case_section(*, actor, case, actions):
    """The case's journal: the notes the viewer may see and, for those who may write,
    the form for a new note. None for viewers without the case file (BBU). Two queries
    (notes, and all their corrections), whatever the number of notes; the case page's
    ``case.viewed`` event covers the read."""
    if Action.VIEW_FILE not in actions:
        return None
    may_write = Action.CHANGE in actions
    return {
        "template": "journal/_case_section.html",
        "case": case,
        "notes": journal_notes_for(actor=actor, case=case, actions=actions),
        "may_write": may_write,
        "form": JournalNoteForm(interventions=case.interventions.all(),
                                may_restrict=Action.VIEW_RESTRICTED in actions) if may_write else None,
    }
