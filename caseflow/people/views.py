from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.views.generic import TemplateView

from caseflow.core.exceptions import ApplicationError
from permissions.forms import BreakGlassForm
from permissions.policy import Feature, may_use

from .forms import PersonSearchForm
from .selectors import search_for


class PersonSearchView(LoginRequiredMixin, TemplateView):
    """The search box. The form posts (so a CPR number never lands in a URL, the browser
    history or an access log); a GET with ``q`` works too, for links."""

    template_name = "people/person_search.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_use(request.user, Feature.PERSON_SEARCH):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(data=request.POST))

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(data=request.GET if "q" in request.GET else None))

    def get_context_data(self, data=None, **kwargs):
        user = self.request.user
        form = PersonSearchForm(data)
        result = None
        if form.is_bound and form.is_valid():
            try:
                result = search_for(actor=user, query=form.cleaned_data["q"])
            except ApplicationError as error:
                form.add_error("q", error.message)
        may_break_glass = may_use(user, Feature.EMERGENCY_ACCESS)
        return super().get_context_data(
            form=form, result=result, hits=result.people if result else None,
            referrals=result.referrals if result else None, break_glass_form=BreakGlassForm(),
            may_break_glass=may_break_glass, **kwargs)
