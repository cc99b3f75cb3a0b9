from django.urls import path

from . import views

app_name = "talents"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/<str:kind>/<int:pk>/delete/", views.record_delete, name="record_delete"),
    path("documents/<int:pk>/download/", views.document_download, name="document_download"),
    path("certification/", views.certification_mine, name="certification_mine"),
    path("certification/apply/", views.certification_apply, name="certification_apply"),
    path("certification/employer/", views.certification_employer, name="certification_employer"),
    path("certification/review/", views.certification_review_list, name="certification_review"),
    path("certification/<int:pk>/", views.certification_detail, name="certification_detail"),
    path("certification/objections/<int:pk>/resolve/", views.objection_resolve, name="objection_resolve"),
    path("certification/certificates/<int:pk>/revoke/", views.certificate_revoke, name="certificate_revoke"),
    path("certification/certificates/<int:pk>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    path("children/", views.children_search, name="children_search"),
    path("children/<str:number>/", views.children, name="children"),
    path("publicity/", views.publicity, name="publicity"),
    path("imports/", views.imports, name="imports"),
]
