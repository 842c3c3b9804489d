from django.urls import path

from .views import (
    JournalNoteCorrectView,
    JournalNoteCreateView,
    JournalNoteDeleteView,
    JournalNoteDetailView,
    JournalNoteEditView,
    JournalNoteFinaliseView,
)

app_name = "journal"

urlpatterns = [
    path("case/<int:case_id>/new/", JournalNoteCreateView.as_view(), name="new"),
    path("<int:pk>/", JournalNoteDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", JournalNoteEditView.as_view(), name="edit"),
    path("<int:pk>/finalise/", JournalNoteFinaliseView.as_view(), name="finalise"),
    path("<int:pk>/delete/", JournalNoteDeleteView.as_view(), name="delete"),
    path("<int:pk>/correct/", JournalNoteCorrectView.as_view(), name="correct"),
]
