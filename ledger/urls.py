from django.urls import path

from ledger import views

urlpatterns = [
    path("transparency/", views.transparency, name="transparency"),
]
