from django.urls import path

from .views import audit, auth, pages

app_name = "core"

urlpatterns = [
    path("", pages.home, name="home"),
    path("account/login/", auth.login_view, name="login"),
    path("account/logout/", auth.logout_view, name="logout"),
    path("account/register/", auth.register_talent, name="register"),
    path("account/register/employer/", auth.register_employer, name="register_employer"),
    path("account/otp/enrol/", auth.otp_enrol, name="otp_enrol"),
    path("account/otp/verify/", auth.otp_verify, name="otp_verify"),
    path("me/", pages.me, name="me"),
    path("employer/", pages.employer_home, name="employer_home"),
    path("staff/", pages.staff_home, name="staff_home"),
    path("partner/", pages.partner_home, name="partner_home"),
    path("inbox/", pages.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", pages.inbox_read, name="inbox_read"),
    path("inbox/read-all/", pages.inbox_read_all, name="inbox_read_all"),
    path("pii/<int:user_id>/<str:field>/show/", pages.pii_show, name="pii_show"),
    path("pii/<int:user_id>/<str:field>/hide/", pages.pii_hide, name="pii_hide"),
    path("audit/", audit.audit_list, name="audit_list"),
    path("audit/export/", audit.audit_export, name="audit_export"),
    path("healthz", pages.healthz, name="healthz"),
]
