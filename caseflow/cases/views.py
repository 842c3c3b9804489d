from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import DetailView, TemplateView

from permissions.mixins import SelectorObjectMixin
from permissions.policy import case_actions
from permissions.rules import Action

from .selectors import case_get_for, case_history_for, case_page_for


class CaseListView(LoginRequiredMixin, TemplateView):
    template_name = "cases/case_list.html"

    def get_context_data(self, **kwargs):
        page = case_page_for(actor=self.request.user, page_number=self.request.GET.get("page") or 1)
        return super().get_context_data(
            cases=page.object_list, page_obj=page, paginator=page.paginator, is_paginated=page.has_other_pages(),
            **kwargs,
        )


class CaseDetailView(SelectorObjectMixin, DetailView):
    template_name = "cases/case_detail.html"
    context_object_name = "case"
    selector = case_get_for
    selector_arg = "case_id"

    def get_context_data(self, **kwargs):
        actions = case_actions(self.request.user, self.object)
        return super().get_context_data(
            may_view_file=Action.VIEW_FILE in actions,
            may_view_history=Action.VIEW_HISTORY in actions,
            may_view_referrer=Action.VIEW_REFERRER in actions,
            may_change=Action.CHANGE in actions,
            may_view_restricted=Action.VIEW_RESTRICTED in actions,
            **kwargs,
        )


class CaseHistoryView(LoginRequiredMixin, TemplateView):
    """The supervisor's audit of a case: decisions and every event, newest first."""

    template_name = "cases/case_history.html"

    def get_context_data(self, **kwargs):
        case, decisions, page = case_history_for(
            actor=self.request.user, case_id=self.kwargs["pk"], page_number=self.request.GET.get("page") or 1
        )
        return super().get_context_data(case=case, decisions=decisions, events=page.object_list, page_obj=page,
                                        **kwargs)
