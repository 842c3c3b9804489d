from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView

from caseflow.core.exceptions import ApplicationError
from caseflow.people.cpr import cpr_decrypt
from caseflow.people.selectors import duplicate_candidates_for
from caseflow.people.services import person_cpr_reveal, person_identify
from permissions.mixins import SelectorObjectMixin
from permissions.policy import Feature, may_use, referral_actions
from permissions.rules import Action
from workflows.services import referral_process_start

from .forms import ReferralForm
from .selectors import referral_get_for
from .services import referral_register


class ReferralCreateView(LoginRequiredMixin, FormView):
    template_name = "referrals/referral_form.html"
    form_class = ReferralForm

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not may_use(user, Feature.REGISTER_REFERRAL):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        user = self.request.user
        try:
            with transaction.atomic():  # the person and the referral, or nothing
                person = person_identify(actor=user, cpr=data["cpr"], first_name=data["first_name"],
                                         last_name=data["last_name"], birth_date=data["birth_date"])
                referral = referral_register(
                    actor=user, team=user.team, person=person, received_at=data["received_at"],
                    channel=data["channel"], referrer_type=data["referrer_type"],
                    referrer_name=data["referrer_name"], referrer_contact=data["referrer_contact"],
                    referrer_wishes_anonymity=data["referrer_wishes_anonymity"], is_anonymous=data["is_anonymous"],
                    concern_text=data["concern_text"], warning_signs=data["warning_signs"], urgency=data["urgency"],
                )
                referral_process_start(actor=user, referral=referral)
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        messages.success(self.request, _("Referral %(reference)s is registered.") % {"reference": referral.reference})
        return redirect("referrals:detail", pk=referral.pk)


class ReferralDetailView(SelectorObjectMixin, DetailView):
    template_name = "referrals/referral_detail.html"
    context_object_name = "referral"
    selector = referral_get_for
    selector_arg = "referral_id"

    def get_context_data(self, **kwargs):
        referral = self.object
        actions = referral_actions(self.request.user, referral)
        duplicates = None
        person = referral.person
        if Action.CHANGE in actions and person is not None:
            # "Possible duplicates" for the caseworkers screening it; never a merge.
            duplicates = duplicate_candidates_for(
                actor=self.request.user, cpr=cpr_decrypt(person.cpr_encrypted) if person.cpr_encrypted else "",
                first_name=person.first_name, last_name=person.last_name, birth_date=person.birth_date,
                exclude_referral_id=referral.pk,
            )
        return super().get_context_data(
            may_view_referrer=Action.VIEW_REFERRER in actions, duplicates=duplicates, **kwargs
        )


class ReferralCprRevealView(ReferralDetailView):
    """POST: show the person's full CPR number once, for a stated purpose (audited)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        context = self.get_context_data(object=self.object)
        person = self.object.person
        purpose = (request.POST.get("purpose") or "").strip()[:200]
        try:
            if person is None:
                raise ApplicationError(_("No person is registered on this referral."))
            context["revealed_cpr"] = person_cpr_reveal(actor=request.user, person=person, purpose=purpose)
        except ApplicationError as exc:
            context["reveal_error"] = exc.message
        response = self.render_to_response(context)
        response["Cache-Control"] = "no-store"
        return response
