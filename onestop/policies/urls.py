from django.urls import path

from onestop.policies import views

app_name = "policies"

urlpatterns = [
    path("", views.library, name="library"),
    path("calculator/", views.calculator, name="calculator"),
    path("employer/", views.employer_calculator_index, name="employer_calculator_index"),
    path("employer/<int:enterprise_id>/", views.employer_calculator, name="employer_calculator"),
    path("p/<slug:code>/", views.detail, name="detail"),
    path("manage/", views.manage_list, name="manage_list"),
    path("manage/<slug:code>/edit/", views.policy_meta_edit, name="policy_meta_edit"),
    path("manage/<slug:code>/new-version/", views.version_start, name="version_start"),
    path("manage/versions/<int:pk>/", views.version_edit, name="version_edit"),
    path("manage/versions/<int:pk>/validate/", views.version_validate, name="version_validate"),
    path("manage/versions/<int:pk>/sandbox/", views.version_sandbox, name="version_sandbox"),
    path("manage/versions/<int:pk>/try-on/", views.version_try_on, name="version_try_on"),
    path("manage/versions/<int:pk>/submit/", views.version_submit, name="version_submit"),
    path("manage/versions/<int:pk>/publish/", views.version_publish, name="version_publish"),
    path("manage/versions/<int:pk>/return/", views.version_return, name="version_return"),
]
