from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from caseflow.accounts.roles import Role
from caseflow.core.exceptions import ApplicationError

from .forms import BreakGlassForm, BreakGlassReviewForm
from .selectors import break_glass_access_get_for, break_glass_reviews_for, break_glass_target_get
from .services import break_glass_open, break_glass_review


class BreakGlassOpenView(LoginRequiredMixin, View):
    """POST only: open a case in an emergency, with a reason (from the person search)."""

    http_method_names = ["post"]

    def post(self, request):
        form = BreakGlassForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give a reason for the emergency access."))
            return redirect(request.META.get("HTTP_REFERER") or reverse("people:search"))
        case = break_glass_target_get(case_id=form.cleaned_data["case_id"])
        if case is None:
            raise Http404
        try:
            access = break_glass_open(actor=request.user, case=case, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect(reverse("people:search"))
        messages.warning(request, _("Emergency access opened until %(time)s. Your supervisor will review it.")
                         % {"time": access.expires_at.strftime("%H:%M")})
        return redirect("cases:detail", pk=case.pk)


class BreakGlassReviewListView(LoginRequiredMixin, TemplateView):
    template_name = "permissions/break_glass_reviews.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_role(Role.SUPERVISOR):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(accesses=break_glass_reviews_for(actor=self.request.user),
                                        review_form=BreakGlassReviewForm(), **kwargs)

    def post(self, request):
        access = break_glass_access_get_for(actor=request.user, access_id=request.POST.get("access_id", ""))
        if access is None:
            raise Http404
        form = BreakGlassReviewForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose whether the access was justified."))
        else:
            try:
                break_glass_review(actor=request.user, access=access, justified=form.cleaned_data["justified"],
                                   comment=form.cleaned_data["comment"])
                messages.success(request, _("The review is recorded."))
            except ApplicationError as exc:
                messages.error(request, exc.message)
        return redirect("permissions:break_glass_reviews")
