from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import IdempotencyRecord, PartnerOrganisation, PartnerToken


class PartnerTokenInline(admin.TabularInline):
    model = PartnerToken
    fields = ["prefix", "created_at", "created_by", "revoked_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False  # tokens are issued by `manage.py partner_token_issue` (shown once)


@admin.register(PartnerOrganisation)
class PartnerOrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "service_user", "active"]
    list_filter = ["active", "team"]
    search_fields = ["name"]
    raw_id_fields = ["service_user"]
    inlines = [PartnerTokenInline]


@admin.register(PartnerToken)
class PartnerTokenAdmin(admin.ModelAdmin):
    """Read-only: a token is issued and revoked through the audited services."""

    list_display = ["prefix", "organisation", "created_at", "created_by", "revoked_at"]
    list_filter = ["organisation"]
    readonly_fields = ["organisation", "prefix", "token_hash", "created_at", "created_by", "revoked_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    """The referral by its id only: its reference is case content the admin does not show."""

    list_display = ["key", "organisation", "referral_number", "created_at"]
    fields = ["organisation", "key", "body_hash", "referral_number", "created_at"]
    readonly_fields = fields

    @admin.display(description=_("referral"))
    def referral_number(self, obj):
        return obj.referral_id

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
