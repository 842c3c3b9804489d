"""The notification preference page: the signed-in user's own choice, nobody else's."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView

from caseflow.core.exceptions import ApplicationError

from . import forms, services


class NotificationPreferenceView(LoginRequiredMixin, FormView):
    template_name = "notifications/preference_form.html"
    form_class = forms.NotificationPreferenceForm

    def get_initial(self):
        return {"mode": services.preference_mode_of(self.request.user)}

    def form_valid(self, form):
        try:
            services.notification_preference_set(actor=self.request.user, mode=form.cleaned_data["mode"])
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        messages.success(self.request, _("Your notification preference has been saved."))
        return redirect("notifications:preferences")
