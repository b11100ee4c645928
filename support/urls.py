from django.urls import path

from support import views

app_name = "support"

urlpatterns = [
    path("help/", views.help_page, name="help"),
    path("privacy/", views.privacy, name="privacy"),
    path("terms/", views.terms, name="terms"),
    path("contact/", views.contact, name="contact"),
    path("contact/inbox/", views.inbox, name="inbox"),
    path("contact/inbox/<uuid:public_id>/handled/", views.mark_handled, name="handled"),
]
