from django.urls import path

from .views import ReferralCprRevealView, ReferralCreateView, ReferralDetailView

app_name = "referrals"

urlpatterns = [
    path("new/", ReferralCreateView.as_view(), name="new"),
    path("<int:pk>/", ReferralDetailView.as_view(), name="detail"),
    path("<int:pk>/cpr/", ReferralCprRevealView.as_view(), name="reveal_cpr"),
]
