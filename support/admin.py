from django.contrib import admin

from support.models import ContactMessage


@admin.register(ContactMessage)
class ContactMessageAdmin(admin.ModelAdmin):
    list_display = ("public_id", "topic", "created_at", "handled_at")
    list_filter = ("topic", "handled_at")
    readonly_fields = ("public_id", "sender", "reply_to", "topic", "body", "created_at")
