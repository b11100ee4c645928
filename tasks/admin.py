from django.contrib import admin

from tasks.models import Answer, Assignment, AuditEvent, Credit, DatasetExport, GoldScore, Project


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "state", "owner", "overlap", "reward", "created_at")
    list_filter = ("state", "kind")
    search_fields = ("title", "public_id")
    # State changes go through the services (audit rows, events): read-only here.
    readonly_fields = ("public_id", "state", "published_at", "instructions_html", "owner")


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("public_id", "project", "status", "created_at", "expires_at")
    list_filter = ("status",)
    raw_id_fields = ("item", "pioneer", "project")

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ("item", "project", "is_gold", "gold_correct", "created_at")
    raw_id_fields = ("assignment", "item", "pioneer", "project")

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Credit)
class CreditAdmin(admin.ModelAdmin):
    list_display = ("pioneer", "project", "points", "reason", "created_at")

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


admin.site.register(GoldScore)
admin.site.register(DatasetExport)
admin.site.register(AuditEvent)
