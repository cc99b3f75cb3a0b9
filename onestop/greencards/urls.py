from django.urls import path

from . import views

app_name = "greencards"

urlpatterns = [
    path("", views.card, name="card"),
    path("card.pdf", views.card_pdf, name="card_pdf"),
    path("photo/", views.card_photo, name="card_photo"),
    path("photo/upload/", views.card_photo_upload, name="card_photo_upload"),
    path("reissue/", views.card_reissue, name="card_reissue"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("verify/", views.verify, name="verify"),
    path("verify/<int:pk>/photo/", views.verification_photo, name="verification_photo"),
    path("satisfaction/", views.satisfaction, name="satisfaction"),
    path("keys/", views.api_keys, name="api_keys"),
    path("manage/", views.manage, name="manage"),
    path("manage/<int:pk>/", views.manage_card, name="manage_card"),
    path("manage/<int:pk>/suspend/", views.manage_suspend, name="manage_suspend"),
    path("manage/<int:pk>/reinstate/", views.manage_reinstate, name="manage_reinstate"),
]

# Published under /.well-known/greencard/ (config/urls.py): public, no login, cacheable.
well_known_urlpatterns = [
    path("jwks.json", views.jwks, name="jwks"),
    path("revocations.json", views.revocations, name="revocations"),
    path("revocations.jwt", views.revocations_signed, name="revocations_signed"),
]
