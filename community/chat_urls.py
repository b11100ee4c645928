from django.urls import path

from community import chat_views as views

app_name = "chat"

urlpatterns = [
    path("chat/", views.room_list, name="rooms"),
    path("chat/reports/", views.report_queue, name="queue"),
    path("chat/reports/<uuid:public_id>/dismiss/", views.report_dismiss, name="dismiss"),
    path("chat/<slug:slug>/", views.room_view, name="room"),
    path("chat/<slug:slug>/post/", views.message_post, name="post"),
    path("chat/<slug:slug>/slow-mode/", views.slow_mode, name="slow-mode"),
    path("chat/<slug:slug>/m/<int:seq>/edit/", views.message_edit, name="edit"),
    path("chat/<slug:slug>/m/<int:seq>/delete/", views.message_delete, name="delete"),
    path("chat/<slug:slug>/m/<int:seq>/report/", views.message_report, name="report"),
    path("chat/<slug:slug>/m/<int:seq>/remove/", views.message_remove, name="remove"),
    path("chat/<slug:slug>/m/<int:seq>/history/", views.edit_history, name="history"),
    path("chat/<slug:slug>/people/<uuid:person>/mute/", views.mute, name="mute"),
    path("chat/<slug:slug>/people/<uuid:person>/ban/", views.ban, name="ban"),
]
