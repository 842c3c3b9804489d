"""Retention pages for supervisors: the archive-review queue with its decisions, and
legal holds (list, set, lift). Each parses input and calls one service or selector."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from caseflow.core.exceptions import ApplicationError

from . import forms, selectors, services


def _form_error(form, exc: ApplicationError):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


class ArchiveReviewListView(LoginRequiredMixin, View):
    template_name = "retention/archivereview_list.html"

    def get(self, request):
        return render(request, self.template_name, selectors.archive_review_list_for(actor=request.user))


class ArchiveReviewDecideView(LoginRequiredMixin, View):
    template_name = "retention/archivereview_decide.html"

    def get(self, request, pk):
        review = selectors.archive_review_get_for(actor=request.user, review_id=pk)
        return render(request, self.template_name, {"review": review, "form": forms.ReviewDecideForm()})

    def post(self, request, pk):
        review = selectors.archive_review_get_for(actor=request.user, review_id=pk)
        form = forms.ReviewDecideForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            delete = data["decision"] == forms.ReviewDecideForm.DELETE
            try:
                services.archive_review_decide(actor=request.user, review=review, delete=delete,
                                               keep_years=data.get("keep_years"), reason=data["reason"])
            except ApplicationError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("The case was deleted.") if delete else _("The case is kept."))
                return redirect("retention:reviews")
        return render(request, self.template_name, {"review": review, "form": form})


class LegalHoldListView(LoginRequiredMixin, View):
    template_name = "retention/legalhold_list.html"

    def get(self, request, form=None):
        holds = selectors.legal_hold_list_for(actor=request.user)
        return render(request, self.template_name, {"holds": holds, "form": form or forms.LegalHoldForm(),
                                                    "lift_form": forms.LegalHoldLiftForm()})

    def post(self, request):
        selectors.legal_hold_list_for(actor=request.user)  # supervisors only (403 otherwise)
        form = forms.LegalHoldForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            target = selectors.hold_target_find(actor=request.user, reference=data["reference"])
            if target is None:
                form.add_error("reference", _("No case or referral of your team has this reference."))
            else:
                try:
                    services.legal_hold_set(actor=request.user, target=target, whole_person=data["whole_person"],
                                            reason=data["reason"])
                except ApplicationError as exc:
                    _form_error(form, exc)
                else:
                    messages.success(request, _("The legal hold is set."))
                    return redirect("retention:holds")
        return self.get(request, form=form)


class LegalHoldLiftView(LoginRequiredMixin, View):
    template_name = "retention/legalhold_lift.html"

    def get(self, request, pk):
        hold = selectors.legal_hold_get_for(actor=request.user, hold_id=pk)
        return render(request, self.template_name, {"hold": hold, "form": forms.LegalHoldLiftForm()})

    def post(self, request, pk):
        hold = selectors.legal_hold_get_for(actor=request.user, hold_id=pk)
        form = forms.LegalHoldLiftForm(request.POST)
        if form.is_valid():
            try:
                services.legal_hold_lift(actor=request.user, hold=hold, reason=form.cleaned_data["reason"])
            except ApplicationError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("The legal hold is lifted."))
                return redirect("retention:holds")
        return render(request, self.template_name, {"hold": hold, "form": form})


class DeletionRecordListView(LoginRequiredMixin, ListView):
    template_name = "retention/deletionrecord_list.html"
    context_object_name = "records"
    paginate_by = 100

    def get_queryset(self):
        return selectors.deletion_record_list_for(actor=self.request.user)
