from django.urls import path

from .views import InterventionDetailView

app_name = "interventions"

urlpatterns = [path("<int:pk>/", InterventionDetailView.as_view(), name="detail")]
