"""Journal pages: a note's own page, writing, editing a draft, making it final, throwing
a draft away, and correcting a final note. Each page loads through a selector (404 for
what the viewer may not see) and each write is one service call (403 for who may not
write; a translated form error for input the service refuses, nothing written)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.core.exceptions import ApplicationError
from permissions.policy import AccessDenied, case_actions
from permissions.rules import Action

from .forms import JournalNoteForm, note_initial
from .selectors import journal_case_get_for, journal_note_get_for, journal_note_visible_get
from .services import (
    journal_note_correct,
    journal_note_create,
    journal_note_delete_draft,
    journal_note_finalise,
    journal_note_update,
)

FINAL_CHOICE = "final"


def _perform(request, form, service, *, target_type, target_id, case_id, **kwargs):
    """Call ``service``; its refusal of the input becomes a form error (returns None),
    its refusal of the actor is recorded and answered 403."""
    try:
        return service(actor=request.user, **kwargs)
    except ApplicationError as exc:
        if form is None:
            messages.error(request, exc.message)
        else:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return None
    except AccessDenied:
        audit_record(actor=request.user, action=AuditAction.ACCESS_DENIED, target_type=target_type,
                     target_id=str(target_id), case_id=case_id, extra={"wanted": Action.CHANGE})
        raise


def _case_url(case_id) -> str:
    return reverse("cases:detail", args=[case_id]) + "#journal"


class JournalNoteDetailView(LoginRequiredMixin, TemplateView):
    template_name = "journal/journalnote_detail.html"

    def get_context_data(self, **kwargs):
        note = journal_note_get_for(actor=self.request.user, note_id=self.kwargs["pk"])
        may_change = Action.CHANGE in note.viewer_actions
        return super().get_context_data(
            note=note,
            may_change_draft=may_change and not note.is_final and note.author_id == self.request.user.pk,
            may_correct=may_change and note.is_final and not note.corrections.all(),
            **kwargs,
        )


class JournalNoteCreateView(LoginRequiredMixin, TemplateView):
    """Write a note on a case (the case page's form posts here; errors render here)."""

    template_name = "journal/journalnote_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.case = journal_case_get_for(actor=request.user, case_id=kwargs["case_id"])
        return super().dispatch(request, *args, **kwargs)

    def _form(self, data=None):
        actions = case_actions(self.request.user, self.case)
        return JournalNoteForm(data, interventions=self.case.interventions.all(),
                               may_restrict=Action.VIEW_RESTRICTED in actions)

    def get_context_data(self, form=None, **kwargs):
        return super().get_context_data(case=self.case, form=form or self._form(), mode="create", **kwargs)

    def post(self, request, *args, **kwargs):
        form = self._form(request.POST)
        if form.is_valid():
            note = _perform(request, form, journal_note_create, case=self.case,
                            final=request.POST.get("save") == FINAL_CHOICE, target_type="cases.case",
                            target_id=self.case.pk, case_id=self.case.pk, **form.note_data())
            if note is not None:
                messages.success(request, _("The note is saved as final.") if note.is_final
                                 else _("The note is saved as a draft. Only you can see it until it is final."))
                return redirect(_case_url(self.case.pk))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class _NoteWriteView(LoginRequiredMixin, TemplateView):
    template_name = "journal/journalnote_form.html"
    mode = ""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.note = journal_note_visible_get(actor=request.user, note_id=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def _form(self, data=None, initial=None):
        return JournalNoteForm(data, initial=initial, interventions=self.note.case.interventions.all(),
                               may_restrict=Action.VIEW_RESTRICTED in self.note.viewer_actions)

    def get_context_data(self, form=None, **kwargs):
        return super().get_context_data(note=self.note, case=self.note.case, form=form or self._form(
            initial=note_initial(self.note)), mode=self.mode, **kwargs)

    def _perform(self, form, service, **kwargs):
        return _perform(self.request, form, service, target_type="journal.journalnote", target_id=self.note.pk,
                        case_id=self.note.case_id, note=self.note, **kwargs)


class JournalNoteEditView(_NoteWriteView):
    """The author changes their draft (and may make it final in the same step)."""

    mode = "edit"

    def get(self, request, *args, **kwargs):
        if self.note.is_final:
            messages.error(request, _("The note is final and cannot be changed. Write a correction instead."))
            return redirect("journal:detail", self.note.pk)
        if self.note.author_id != request.user.pk:
            raise AccessDenied(Action.CHANGE)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        form = self._form(request.POST)
        if form.is_valid():
            note = self._perform(form, journal_note_update, final=request.POST.get("save") == FINAL_CHOICE,
                                 **form.note_data())
            if note is not None:
                messages.success(request, _("The note is saved as final.") if note.is_final
                                 else _("The draft is saved."))
                return redirect("journal:detail", note.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class JournalNoteCorrectView(_NoteWriteView):
    """A new final note that corrects this final note."""

    mode = "correct"

    def post(self, request, *args, **kwargs):
        form = self._form(request.POST)
        if form.is_valid():
            correction = self._perform(form, journal_note_correct, **form.note_data())
            if correction is not None:
                messages.success(request, _("The correction is saved. The original note shows that it was corrected."))
                return redirect("journal:detail", correction.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class JournalNoteFinaliseView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        note = journal_note_visible_get(actor=request.user, note_id=pk)
        done = _perform(request, None, journal_note_finalise, note=note, target_type="journal.journalnote",
                        target_id=note.pk, case_id=note.case_id)
        if done is not None:
            messages.success(request, _("The note is final. It can no longer be changed."))
        return redirect("journal:detail", note.pk)


class JournalNoteDeleteView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        note = journal_note_visible_get(actor=request.user, note_id=pk)
        try:
            journal_note_delete_draft(actor=request.user, note=note)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("journal:detail", note.pk)
        except AccessDenied:
            audit_record(actor=request.user, action=AuditAction.ACCESS_DENIED, target=note,
                         extra={"wanted": Action.CHANGE})
            raise
        messages.success(request, _("The draft is deleted."))
        return redirect(_case_url(note.case_id))
