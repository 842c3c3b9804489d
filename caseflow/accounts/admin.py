from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record
from caseflow.core.exceptions import ApplicationError
from permissions.services import second_factor_reset

from .models import Team, User

# Devices hold the users' TOTP secrets: they are reset (below), never shown or edited.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "team", "is_active", "is_superuser"]
    list_filter = ["team", "groups", "is_active", "is_superuser"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("Caseflow"), {"fields": ["team"]}),
    ]
    actions = ["reset_two_factor", "lift_lockout"]

    @admin.action(description=_("Reset two-factor sign-in (the user enrols again)"))
    def reset_two_factor(self, request, queryset):
        done = 0
        for user in queryset:
            try:
                second_factor_reset(actor=request.user, user=user, reason="admin")
            except ApplicationError as exc:
                self.message_user(request, f"{user}: {exc.message}", messages.ERROR)
            else:
                done += 1
        self.message_user(request, ngettext("Two-factor sign-in reset for %(count)d user.",
                                            "Two-factor sign-in reset for %(count)d users.", done)
                          % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Lift the sign-in lockout"))
    def lift_lockout(self, request, queryset):
        from axes.utils import reset

        for user in queryset:
            removed = reset(username=user.get_username())
            audit_record(actor=request.user, action=AuditAction.LOCKOUT_RESET, target=user,
                         extra={"attempts_removed": removed})
        self.message_user(request, _("Sign-in lockouts lifted."), messages.SUCCESS)
