"""The audit trail's pages: the search (auditor, supervisor), its CSV export and a user's
access log. Who reads what, and the recording of each read, live in ``access``."""

from __future__ import annotations

import csv
import json

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.views import View
from django.views.generic import TemplateView

from permissions.policy import audit_scope_for

from .access import (
    SCOPE_ALL,
    audit_export_rows_for,
    audit_log_user_get,
    audit_search_page_for,
    audit_searchable_users,
    audit_user_log_page_for,
)
from .forms import AuditSearchForm

#: Machine-readable column names of the CSV export (a data format, like the field names
#: of an API: not translated, so scripts reading exports keep working in every language).
CSV_COLUMNS = (
    "sequence", "occurred_at", "actor_username", "actor_role", "action", "action_label", "target_type",
    "target_id", "case_id", "purpose", "ip", "request_id", "changes",
)
#: A cell starting with one of these is a formula in a spreadsheet (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose ``write`` returns the line, for streaming ``csv.writer``."""

    def write(self, value):
        return value


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv_row(event) -> list[str]:
    return [
        str(event.sequence),
        event.occurred_at.isoformat(),
        _cell(event.actor_username or event.system_actor),
        _cell(event.actor_role),
        event.action,
        _cell(event.get_action_display()),
        _cell(event.target_type),
        _cell(event.target_id),
        "" if event.case_id is None else str(event.case_id),
        _cell(event.purpose),
        _cell(event.ip),
        _cell(event.request_id),
        json.dumps(event.changes, ensure_ascii=False, sort_keys=True) if event.changes else "",
    ]


class AuditScopeMixin(LoginRequiredMixin):
    """Sets ``self.scope`` (the part of the trail the user may read) or refuses."""

    #: What a user without any part of the trail gets: 403 for the search, which does not
    #: name anyone; the user log overrides this to answer 404.
    denied_status = 403

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.scope = audit_scope_for(request.user)
        if self.scope is None and self.denied_status == 403:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def search_form(self):
        return AuditSearchForm(self.request.GET, users=audit_searchable_users(self.scope))


class AuditSearchView(AuditScopeMixin, TemplateView):
    """The search across the trail, newest first, 100 per page; one ``audit.searched`` per page shown."""

    template_name = "audit/auditevent_search.html"

    def get_context_data(self, **kwargs):
        form = self.search_form()
        page = None
        if form.is_valid():
            page = audit_search_page_for(actor=self.request.user, scope=self.scope, criterion=form.criterion(),
                                         page_number=self.request.GET.get("page") or 1)
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            form=form, page_obj=page, events=page.object_list if page is not None else [],
            query=query.urlencode(), may_read_all=self.scope.kind == SCOPE_ALL, **kwargs,
        )


class AuditExportView(AuditScopeMixin, View):
    """The search's result as CSV (at most 50 000 rows, streamed); one ``audit.exported``.
    Bad criteria show the search page with the form's errors instead."""

    def get(self, request):
        form = self.search_form()
        if not form.is_valid():
            return AuditSearchView.as_view()(request)
        count, events = audit_export_rows_for(actor=request.user, scope=self.scope, criterion=form.criterion())
        writer = csv.writer(_Echo())
        language = translation.get_language()

        def rows():
            # Streamed after the view returns: the action labels keep the request's language.
            with translation.override(language):
                yield "\ufeff" + writer.writerow(CSV_COLUMNS)  # the BOM: spreadsheets then read UTF-8
                for event in events:
                    yield writer.writerow(_csv_row(event))

        filename = f"audit-{timezone.localtime():%Y%m%d-%H%M%S}.csv"
        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["X-Audit-Rows"] = str(count)
        response["Cache-Control"] = "no-store"
        return response


class AuditUserLogView(AuditScopeMixin, TemplateView):
    """What one user did, newest first. Users outside the reader's part of the trail
    (and readers without any part) get 404, recorded as ``access.denied``."""

    template_name = "audit/auditevent_user_log.html"
    denied_status = 404

    def get_context_data(self, **kwargs):
        subject = audit_log_user_get(actor=self.request.user, scope=self.scope, user_id=self.kwargs["user_id"])
        page = audit_user_log_page_for(actor=self.request.user, scope=self.scope, user=subject,
                                       page_number=self.request.GET.get("page") or 1)
        return super().get_context_data(subject=subject, page_obj=page, events=page.object_list,
                                        may_read_all=self.scope.kind == SCOPE_ALL, **kwargs)
