from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("statistics/", views.StatisticsView.as_view(), name="statistics"),
    path("statistics/csv/", views.StatisticsCsvView.as_view(), name="statistics_csv"),
]
