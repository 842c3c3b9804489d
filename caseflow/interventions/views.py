from django.views.generic import DetailView

from permissions.mixins import SelectorObjectMixin

from .selectors import intervention_get_for


class InterventionDetailView(SelectorObjectMixin, DetailView):
    """What a provider (mentor, coach) sees: the intervention's goals and status, never
    the case's assessment."""

    template_name = "interventions/intervention_detail.html"
    context_object_name = "intervention"
    selector = intervention_get_for
    selector_arg = "intervention_id"
