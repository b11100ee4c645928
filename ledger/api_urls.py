from django.urls import path

from ledger import api

app_name = "ledger-api"

urlpatterns = [
    path("ledger/sth/", api.TreeHeadView.as_view(), name="sth"),
    path("ledger/heads/", api.TreeHeadListView.as_view(), name="heads"),
    path("ledger/entries/", api.EntriesView.as_view(), name="entries"),
    path("ledger/proof/inclusion/", api.InclusionProofView.as_view(), name="inclusion"),
    path("ledger/proof/consistency/", api.ConsistencyProofView.as_view(), name="consistency"),
]
