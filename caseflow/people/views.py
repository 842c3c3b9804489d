from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.views.generic import TemplateView

from caseflow.accounts.roles import Role
from permissions.forms import BreakGlassForm

from .forms import PersonSearchForm
from .selectors import person_search_for

SEARCH_ROLES = (Role.CASEWORKER, Role.SUPERVISOR, Role.CHILD_CONSULTANT)


class PersonSearchView(LoginRequiredMixin, TemplateView):
    template_name = "people/person_search.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        if not any(user.has_role(role) for role in SEARCH_ROLES):
            raise PermissionDenied
        form = PersonSearchForm(self.request.GET or None)
        hits = None
        if form.is_bound and form.is_valid():
            hits = person_search_for(actor=user, query=form.cleaned_data["q"],
                                     birth_date=form.cleaned_data["birth_date"])
        may_break_glass = user.has_role(Role.CASEWORKER) or user.has_role(Role.SUPERVISOR)
        return super().get_context_data(form=form, hits=hits, break_glass_form=BreakGlassForm(),
                                        may_break_glass=may_break_glass, **kwargs)
