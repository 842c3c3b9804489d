from django.urls import path

from .views import DocumentDownloadView, DocumentUploadView

app_name = "documents"

urlpatterns = [
    path("upload/<int:case_id>/", DocumentUploadView.as_view(), name="upload"),
    path("<int:pk>/download/", DocumentDownloadView.as_view(), name="download"),
]
