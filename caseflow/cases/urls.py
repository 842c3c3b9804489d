from django.urls import path

from .views import CaseDetailView, CaseHistoryView, CaseListView

app_name = "cases"

urlpatterns = [
    path("", CaseListView.as_view(), name="list"),
    path("<int:pk>/", CaseDetailView.as_view(), name="detail"),
    path("<int:pk>/history/", CaseHistoryView.as_view(), name="history"),
]
