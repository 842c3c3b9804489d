from django.urls import path

from .views import BreakGlassOpenView, BreakGlassReviewListView

app_name = "permissions"

urlpatterns = [
    path("emergency/", BreakGlassOpenView.as_view(), name="break_glass_open"),
    path("emergency/reviews/", BreakGlassReviewListView.as_view(), name="break_glass_reviews"),
]
