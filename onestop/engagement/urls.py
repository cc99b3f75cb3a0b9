from django.urls import path

from . import views

app_name = "engagement"

urlpatterns = [
    path("events/", views.event_list, name="event_list"),
    path("events/<int:pk>/", views.event_detail, name="event_detail"),
    path("registrations/<int:pk>/", views.registration_qr, name="registration"),
    path("events/manage/", views.event_manage, name="event_manage"),
    path("events/manage/<int:pk>/", views.event_manage_detail, name="event_manage_detail"),
    path("checkin/<str:token>/", views.checkin, name="checkin"),
    path("needs/", views.need_list, name="need_list"),
    path("needs/mine/", views.needs_mine, name="needs_mine"),
    path("needs/review/", views.need_review, name="need_review"),
    path("needs/<int:pk>/", views.need_detail, name="need_detail"),
    path("researcher/", views.researcher, name="researcher"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract_detail"),
    path("visits/", views.visit_home, name="visit_home"),
    path("visits/report/", views.visit_report, name="visit_report"),
    path("problems/", views.problem_list, name="problems"),
    path("problems/<int:pk>/", views.problem_detail, name="problem_detail"),
]
