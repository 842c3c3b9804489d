from django.urls import path

from .consent_views import ConsentCreateView, ConsentWithdrawView, DisclosureCreateView
from .views import CaseDetailView, CaseHistoryView, CaseListView

app_name = "cases"

urlpatterns = [
    path("", CaseListView.as_view(), name="list"),
    path("<int:pk>/", CaseDetailView.as_view(), name="detail"),
    path("<int:pk>/history/", CaseHistoryView.as_view(), name="history"),
    path("<int:pk>/consents/new/", ConsentCreateView.as_view(), name="consent_new"),
    path("<int:pk>/consents/<int:consent_pk>/withdraw/", ConsentWithdrawView.as_view(), name="consent_withdraw"),
    path("<int:pk>/disclosures/new/", DisclosureCreateView.as_view(), name="disclosure_new"),
]
