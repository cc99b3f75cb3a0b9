from django.urls import path

from . import views

app_name = "targets"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("screen/", views.screen, name="screen"),
    path("screen/panel/", views.screen_panel, name="screen_panel"),
    path("export/", views.export, name="export"),
    path("refresh/", views.refresh, name="refresh"),
    path("<int:pk>/", views.target_detail, name="detail"),
    path("<int:pk>/records/", views.records, name="records"),
    path("reported/<int:pk>/evidence/", views.evidence, name="evidence"),
    path("reported/<int:pk>/revise/", views.revise, name="revise"),
    path("reports/", views.reports, name="reports"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/download/", views.report_download, name="report_download"),
]
