from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import ListView

from .selectors import case_list_for


class CaseListView(LoginRequiredMixin, ListView):
    template_name = "cases/case_list.html"
    context_object_name = "cases"
    paginate_by = 50

    def get_queryset(self):
        return case_list_for(actor=self.request.user)
