from django.urls import path

from ledger import api

urlpatterns = [
    path("ledger/sth/", api.TreeHeadView.as_view(), name="ledger-sth"),
    path("ledger/heads/", api.TreeHeadListView.as_view(), name="ledger-heads"),
    path("ledger/entries/", api.EntriesView.as_view(), name="ledger-entries"),
    path("ledger/proof/inclusion/", api.InclusionProofView.as_view(), name="ledger-inclusion"),
    path(
        "ledger/proof/consistency/", api.ConsistencyProofView.as_view(), name="ledger-consistency"
    ),
]
