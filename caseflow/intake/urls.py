from django.urls import path

from .views import PublicSchemaView, ReferralCreateView

app_name = "intake"

urlpatterns = [
    path("v1/referrals/", ReferralCreateView.as_view(), name="referral-create"),
    path("schema/", PublicSchemaView.as_view(), name="schema"),
]
