from django.contrib.auth.mixins import LoginRequiredMixin


class SelectorObjectMixin(LoginRequiredMixin):
    """A detail view whose object is loaded through a selector that applies the
    permission policy: invisible objects answer 404 (and the selector records
    ``access.denied``). Subclasses set ``selector`` and ``selector_kwarg``."""

    selector = None
    selector_kwarg = "pk"
    selector_arg = "id"

    def get_object(self, queryset=None):
        selector = type(self).selector
        return selector(actor=self.request.user, **{self.selector_arg: self.kwargs[self.selector_kwarg]})
