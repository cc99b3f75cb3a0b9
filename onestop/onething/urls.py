from django.urls import path

from . import views

app_name = "onething"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/matters/", views.select_matters, name="select_matters"),
    path("<int:pk>/documents/", views.attach_document, name="attach_document"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("matters/<int:pk>/withdraw/", views.matter_withdraw, name="matter_withdraw"),
    path("matters/<int:pk>/info/", views.matter_info, name="matter_info"),
    path("benefits/", views.benefits, name="benefits"),
    path("benefits/<int:pk>/<str:action>/", views.offer_decide, name="offer_decide"),
    path("runs/", views.runs, name="runs"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run_progress"),
    path("policies/<slug:code>/mode/", views.policy_mode, name="policy_mode"),
]
