from django.urls import path

from . import views

app_name = "meetings"

urlpatterns = [
    path("", views.MeetingListView.as_view(), name="list"),
    path("new/", views.MeetingCreateView.as_view(), name="new"),
    path("<int:pk>/", views.MeetingDetailView.as_view(), name="detail"),
    path("<int:pk>/minutes.pdf", views.MeetingMinutesView.as_view(), name="minutes"),
    path("items/<int:pk>/register-check/", views.RegisterCheckView.as_view(), name="register_check"),
    path("items/<int:pk>/decide/", views.ItemDecideView.as_view(), name="decide"),
]
