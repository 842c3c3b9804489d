from django.urls import path

from .views import PersonSearchView

app_name = "people"

urlpatterns = [path("search/", PersonSearchView.as_view(), name="search")]
