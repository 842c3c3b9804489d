from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.WorkspaceView.as_view(), name="workspace"),
    path("cases/", views.TeamCaseListView.as_view(), name="cases"),
    path("cases/<int:pk>/reassign/", views.CaseReassignView.as_view(), name="case_reassign"),
    path("tasks/", views.TeamTaskListView.as_view(), name="tasks"),
    path("tasks/<int:task_pk>/reassign/", views.TaskReassignView.as_view(), name="task_reassign"),
]
