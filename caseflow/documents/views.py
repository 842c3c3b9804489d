from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from caseflow.core.exceptions import ApplicationError
from permissions.rules import Action

from .forms import DocumentUploadForm
from .selectors import document_case_get_for, document_download_for
from .services import document_upload


class DocumentUploadView(LoginRequiredMixin, FormView):
    """GET: the upload form; POST: file the document and go back to the case page."""

    template_name = "documents/document_upload.html"
    form_class = DocumentUploadForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.case, self.actions = document_case_get_for(actor=request.user, case_id=kwargs["case_id"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "case": self.case,
                "may_restrict": Action.VIEW_RESTRICTED in self.actions}

    def get_context_data(self, **kwargs):
        return super().get_context_data(case=self.case, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            document = document_upload(
                actor=self.request.user, case=self.case, uploaded_file=data["file"], subject=data["subject"],
                filed_on=data["filed_on"], restricted=data.get("restricted", False),
                received_from=data["received_from"], intervention=data["intervention"],
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        messages.success(self.request, _("The document “%(subject)s” is filed.") % {"subject": document.subject})
        return redirect("cases:detail", pk=self.case.pk)


class DocumentDownloadView(LoginRequiredMixin, View):
    """The file as an attachment, never rendered inline, never cached."""

    def get(self, request, pk):
        document = document_download_for(actor=request.user, document_id=pk)
        try:
            handle = document.file.open("rb")
        except OSError:
            raise Http404 from None
        response = FileResponse(handle, as_attachment=True, filename=document.original_name,
                                content_type=document.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
