from django.urls import path

from . import views

app_name = "workflow"

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("queue/bulk/", views.queue_bulk, name="queue_bulk"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/claim/", views.task_claim, name="task_claim"),
    path("load/", views.load, name="load"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("requests/new/", views.service_request_new, name="service_request_new"),
    path("calendar/", views.calendar_list, name="calendar_list"),
    path("calendar/<int:year>/", views.calendar_edit, name="calendar_edit"),
]
