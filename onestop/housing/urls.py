from django.urls import path

from . import views

app_name = "housing"

urlpatterns = [
    path("", views.home, name="home"),
    path("stays/new/", views.stay_new, name="stay_new"),
    path("stays/<int:pk>/", views.stay_detail, name="stay_detail"),
    path("stays/<int:pk>/cancel/", views.stay_cancel, name="stay_cancel"),
    path("rounds/", views.round_list, name="round_list"),
    path("rounds/<slug:code>/", views.round_detail, name="round_detail"),
    path("rounds/<slug:code>/files/<str:name>", views.round_file, name="round_file"),
    path("offers/<int:pk>/", views.offer_detail, name="offer_detail"),
    path("leases/<int:pk>/", views.lease_detail, name="lease_detail"),
    path("desk/", views.desk, name="desk"),
    path("desk/stays/<int:pk>/decide/", views.stay_decide, name="stay_decide"),
    path("desk/scan/", views.scan, name="scan"),
    path("desk/inventory/", views.inventory, name="inventory"),
    path("desk/inventory/template.xlsx", views.import_template, name="import_template"),
    path("desk/stations/<int:pk>/", views.station_beds, name="station_beds"),
    path("desk/units/<int:pk>/", views.unit_edit, name="unit_edit"),
    path("desk/beds/<int:pk>/", views.bed_detail, name="bed_detail"),
    path("desk/rounds/", views.rounds_manage, name="rounds_manage"),
    path("desk/rounds/<slug:code>/", views.round_manage, name="round_manage"),
    path("desk/leases/", views.leases_manage, name="leases_manage"),
    path("desk/gifts/", views.gifts_manage, name="gifts_manage"),
]
