"""This app's section of the case page (see caseflow.cases.views.CASE_PAGE_SECTIONS)."""

from permissions.rules import Action

from .forms import DocumentUploadForm
from .selectors import document_list_for_case


def case_section(*, actor, case, actions):
    """The case's documents (only for the case file's readers; material that may not be
    passed on only for the case team) and, for those who may write, the upload form.
    Two queries at most, whatever the number of documents."""
    documents = document_list_for_case(actions=actions, case=case)
    if documents is None:
        return None
    may_upload = Action.CHANGE in actions
    return {
        "template": "documents/_case_section.html",
        "case": case,
        "documents": list(documents),
        "may_view_restricted": Action.VIEW_RESTRICTED in actions,
        "form": DocumentUploadForm(case=case, may_restrict=Action.VIEW_RESTRICTED in actions) if may_upload else None,
    }
