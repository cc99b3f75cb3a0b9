from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from onestop.core.admin_site import configure_admin
from onestop.greencards.m2m import urlpatterns as m2m_urlpatterns
from onestop.greencards.urls import well_known_urlpatterns

from .api import api

configure_admin(admin.site)

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # Machine-to-machine verification by API key (no session, no cookie, no CSRF): onestop/greencards/m2m.py.
    path("api/m2m/greencards/", include((m2m_urlpatterns, "greencard_m2m"))),
    path("workflow/", include("onestop.workflow.urls")),
    path("policies/", include("onestop.policies.urls")),
    path("talent/", include("onestop.talents.urls")),
    path("greencards/", include("onestop.greencards.urls")),
    path("housing/", include("onestop.housing.urls")),
    path("onething/", include("onestop.onething.urls")),
    path("employer/", include("onestop.employers.urls")),
    path("engagement/", include("onestop.engagement.urls")),
    path("targets/", include("onestop.targets.urls")),
    path(".well-known/greencard/", include((well_known_urlpatterns, "greencard_public"))),
    path("", include("onestop.core.urls")),
]

handler400 = "onestop.core.views.pages.error_400"
handler403 = "onestop.core.views.pages.error_403"
handler404 = "onestop.core.views.pages.error_404"
handler500 = "onestop.core.views.pages.error_500"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)  # type: ignore[arg-type]
