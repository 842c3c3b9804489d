"""Partner organisations, their API tokens and the idempotency records of the intake API."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PartnerOrganisation(models.Model):
    """A partner (a school, the police) whose system submits referrals through the API.

    Its referrals go to ``team`` and are registered by ``service_user``, a user holding
    the ``partner_intake`` role and nothing else; the token authenticates as that user.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("receiving team"),
        on_delete=models.PROTECT,
        related_name="partner_organisations",
    )
    service_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service user"),
        on_delete=models.PROTECT,
        related_name="partner_organisations",
        help_text=_("The user the partner's API token acts as; it must hold the partner intake role."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class PartnerToken(models.Model):
    """An API token of a partner organisation.

    Only the SHA-256 hash of the token is stored, with its first characters
    (``prefix``, not secret) so that a token can be recognised in the admin and the
    audit trail. A partner has at most one active (unrevoked) token.
    """

    PREFIX_LENGTH = 8

    organisation = models.ForeignKey(
        PartnerOrganisation, verbose_name=_("partner organisation"), on_delete=models.PROTECT,
        related_name="tokens",
    )
    token_hash = models.CharField(_("token hash (SHA-256)"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("token prefix"), max_length=PREFIX_LENGTH, db_index=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("partner API token")
        verbose_name_plural = _("partner API tokens")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"], condition=Q(revoked_at__isnull=True),
                name="intake_one_active_token_per_partner",
            )
        ]

    def __str__(self):
        return f"{self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The referral a partner created under an ``Idempotency-Key``, with the hash of the
    request body, so a retry answers the same receipt and a reused key with another body
    is refused."""

    KEY_MAX_LENGTH = 100

    organisation = models.ForeignKey(
        PartnerOrganisation, verbose_name=_("partner organisation"), on_delete=models.PROTECT,
        related_name="+",
    )
    key = models.CharField(_("idempotency key"), max_length=KEY_MAX_LENGTH)
    body_hash = models.CharField(_("request body hash (SHA-256)"), max_length=64)
    referral = models.ForeignKey(
        "referrals.Referral", verbose_name=_("referral"), on_delete=models.CASCADE, related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="intake_idempotency_key_unique")
        ]

    def __str__(self):
        return self.key
