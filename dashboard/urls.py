from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("dashboard/", views.home, name="home"),
    path("earnings/", views.earnings, name="earnings"),
    path("earnings/credits.csv", views.earnings_csv, name="earnings-csv"),
    path("account/data/", views.my_data, name="my-data"),
    path("account/data/download/", views.my_data_download, name="my-data-download"),
    path("account/data/documents/delete/", views.documents_delete, name="documents-delete"),
    path("account/close/", views.account_close, name="account-close"),
]
