from django.urls import path

from . import views

app_name = "employers"

urlpatterns = [
    path("licence/", views.licence_upload, name="licence_upload"),
    path("licences/<int:pk>/download/", views.licence_download, name="licence_download"),
    path("hr/", views.hr_list, name="hr"),
    path("hr/<int:pk>/revoke/", views.hr_revoke, name="hr_revoke"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("employments/", views.employments, name="employments"),
    path("employments/<int:pk>/decide/", views.employment_decide, name="employment_decide"),
    path("talents/", views.talents, name="talents"),
    path("talents/<int:profile_id>/nominate/", views.nominate, name="nominate"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<int:pk>/status/", views.job_status, name="job_status"),
    path("jobs/search/", views.job_search, name="job_search"),
    path("jobs/<int:pk>/", views.job_detail, name="job_detail"),
    path("funding/", views.funding, name="funding"),
    path("funding/office/", views.funding_office, name="funding_office"),
    path("funding/<int:pk>/", views.funding_detail, name="funding_detail"),
    path("placements/", views.placements, name="placements"),
    path("placements/<int:pk>/", views.placement_detail, name="placement_detail"),
    path("review/", views.review_list, name="review_list"),
    path("review/<int:pk>/", views.review_detail, name="review_detail"),
]
