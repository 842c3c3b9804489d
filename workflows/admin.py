"""viewflow's process and task admins, read-only.

A process and its tasks are part of a case's record: the admin shows them (flow, step,
status, owner, times) to diagnose a stuck flow, but neither edits nor deletes them. A
change goes through the flow's own pages and services, which check permissions and
audit. Their ``data`` (a flow's scratch values) is not shown.
"""

from django.contrib import admin
from viewflow.workflow import admin as viewflow_admin
from viewflow.workflow.models import Process, Task


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TaskInline(_ReadOnly, viewflow_admin.TaskInline):
    pass


class ProcessAdmin(_ReadOnly, viewflow_admin.ProcessAdmin):
    fields = ["flow_class", "status", "created", "finished", "parent_task"]
    readonly_fields = fields
    inlines = [TaskInline]


class TaskAdmin(_ReadOnly, viewflow_admin.TaskAdmin):
    fields = ["process", "flow_task", "flow_task_type", "status", "owner", "owner_permission", "token", "created",
              "assigned", "started", "finished", "scheduled", "previous"]
    readonly_fields = fields


for _model, _admin_class in ((Process, ProcessAdmin), (Task, TaskAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin_class)
