from django.urls import path

from . import views

app_name = "retention"

urlpatterns = [
    path("", views.ArchiveReviewListView.as_view(), name="reviews"),
    path("reviews/<int:pk>/", views.ArchiveReviewDecideView.as_view(), name="review_decide"),
    path("records/", views.DeletionRecordListView.as_view(), name="records"),
    path("holds/", views.LegalHoldListView.as_view(), name="holds"),
    path("holds/<int:pk>/lift/", views.LegalHoldLiftView.as_view(), name="hold_lift"),
]
