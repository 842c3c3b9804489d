"""The admin site: superusers only, and no case content on any of its pages.

Superusers administer the system (users, teams, roles, partner organisations) and see no
case content (README "Access"). A page of the admin names an object only if its model is
registered here, and every registered model admin is written to show nothing of a case.
The one place Django names objects of other models is a delete confirmation, which lists
everything the deletion would take with it or is protected by (a user's journal notes,
documents, decisions...): here those are counted per model, never named
(:func:`deleted_objects_summary`).

A deletion in the admin also never takes case records with it: objects of models outside
the registered ones and :data:`DELETED_ALONG` (a user's sign-in devices, own notifications)
count as protecting the object, as Django's PROTECT does. A user with case history is
deactivated, not deleted.
"""

from collections import Counter

from django.contrib import admin
from django.contrib.admin.utils import NestedObjects, quote
from django.db import router
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .policy import may_use
from .rules import Feature

#: Models (app label and model name) of no case content that an admin deletion may take
#: with it. Many-to-many link tables between registered models (or permissions) are
#: allowed too: a user's groups, a group's permissions.
DELETED_ALONG = frozenset({
    "admin.logentry",  # the admin's own log of a deleted user's admin actions
    "otp_totp.totpdevice",
    "otp_static.staticdevice",
    "otp_static.statictoken",
    "notifications.notification",  # a user's own notifications
    "notifications.notificationpreference",
    "interventions.providerprofile",  # a provider's capacity, not a case's
    "cases.teamcasecount",  # a counter the triggers keep
})


def _label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _deleted_along(model, admin_site) -> bool:
    if model._meta.auto_created:
        return all(admin_site.is_registered(field.related_model) or _label(field.related_model) == "auth.permission"
                   for field in model._meta.concrete_fields if field.is_relation)
    return _label(model) in DELETED_ALONG


def _count_lines(counter: Counter) -> list[str]:
    """"Journal notes: 3" per model, ordered by name; never an object's own text."""
    lines = [(str(capfirst(model._meta.verbose_name_plural)), count) for model, count in counter.items()]
    return [format_html("{}: {}", name, count) for name, count in sorted(lines)]


def _prune(nested: list) -> list:
    """The nested list of ``NestedObjects.nested`` without the ``None`` entries of
    objects that are not named; their children move up to their level."""
    pruned = []
    parent_kept = False
    for item in nested:
        if isinstance(item, list):
            children = _prune(item)
            if parent_kept and children:
                pruned.append(children)
            else:
                pruned.extend(children)
            parent_kept = False
        elif item is not None:
            pruned.append(item)
            parent_kept = True
        else:
            parent_kept = False
    return pruned


def deleted_objects_summary(objs, request, admin_site):
    """Django's ``get_deleted_objects`` (same return value) without case content.

    Objects of registered models are named and linked, as Django does, and need their
    admin's delete permission. Objects of other models are counted per model: those a
    deletion may take along (:data:`DELETED_ALONG`) among the objects to delete, all
    others among the protected ones, so that the deletion is refused."""
    try:
        obj = objs[0]
    except IndexError:
        return [], {}, set(), []
    collector = NestedObjects(using=router.db_for_write(obj._meta.model), origin=objs)
    collector.collect(objs)
    perms_needed = set()
    deleted_unnamed = Counter()
    protecting_unnamed = Counter()

    def named(obj):
        opts = obj._meta
        if not admin_site.is_registered(obj.__class__):
            return None
        if not admin_site.get_model_admin(obj.__class__).has_delete_permission(request, obj):
            perms_needed.add(opts.verbose_name)
        try:
            url = reverse(f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change", None, (quote(obj.pk),))
        except NoReverseMatch:
            return format_html("{}: {}", capfirst(opts.verbose_name), obj)
        return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj)

    to_delete = _prune(collector.nested(named))
    for model, model_objs in collector.model_objs.items():
        if admin_site.is_registered(model):
            continue
        if _deleted_along(model, admin_site):
            deleted_unnamed[model] += len(model_objs)
        else:
            protecting_unnamed[model] += len(model_objs)
    protected = []
    for protecting in collector.protected:
        if admin_site.is_registered(protecting.__class__):
            protected.append(named(protecting))
        else:
            protecting_unnamed[protecting.__class__] += 1
    to_delete += _count_lines(deleted_unnamed)
    protected += _count_lines(protecting_unnamed)
    model_count = {model._meta.verbose_name_plural: len(model_objs)
                   for model, model_objs in collector.model_objs.items()}
    return to_delete, model_count, perms_needed, protected


class NoCaseContentAdminMixin:
    """Given to every model admin of the site (:meth:`SuperuserAdminSite.register`)."""

    def get_deleted_objects(self, objs, request):
        return deleted_objects_summary(objs, request, self.admin_site)


class SuperuserAdminSite(admin.AdminSite):
    """Staff status alone opens nothing: only active superusers reach the admin."""

    site_header = _("Caseflow administration")
    site_title = _("Caseflow administration")

    def has_permission(self, request):
        return may_use(request.user, Feature.ADMIN)

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every model admin, ours and the installed apps' (viewflow's, auth's), gets
        :class:`NoCaseContentAdminMixin`: no delete confirmation names case content."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, NoCaseContentAdminMixin):
            admin_class = type(admin_class.__name__, (NoCaseContentAdminMixin, admin_class),
                               {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__})
        super().register(model_or_iterable, admin_class, **options)
