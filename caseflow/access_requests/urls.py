from django.urls import path

from . import views

app_name = "access_requests"

urlpatterns = [
    path("", views.AccessRequestListView.as_view(), name="list"),
    path("new/", views.PersonFindView.as_view(), name="find_person"),
    path("new/<int:person_id>/", views.RegisterView.as_view(), name="new"),
    path("<int:pk>/", views.AccessRequestDetailView.as_view(), name="detail"),
    path("<int:pk>/delay/", views.DelayView.as_view(), name="delay"),
    path("<int:pk>/items/<slug:kind>/<int:object_id>/", views.ItemDecideView.as_view(), name="decide"),
    path("<int:pk>/complete/", views.CompleteView.as_view(), name="complete"),
    path("<int:pk>/export.<str:export_format>", views.ExportView.as_view(), name="export"),
]
