from django.urls import path

from .views import InterventionDetailView, InterventionDropoutView

app_name = "interventions"

urlpatterns = [
    path("<int:pk>/", InterventionDetailView.as_view(), name="detail"),
    path("<int:pk>/dropout/", InterventionDropoutView.as_view(), name="dropout"),
]
