from django.conf import settings
from django.db import migrations, models
from django.db.models import F
from django.utils import timezone


def expire_extra_reservations(apps, schema_editor):
    """Before the constraint: where an earlier race left a pioneer two reservations on one
    project, keep the newest and expire the rest, giving their slots back."""
    Assignment = apps.get_model("tasks", "Assignment")
    Item = apps.get_model("tasks", "Item")
    seen = set()
    now = timezone.now()
    reserved = Assignment.objects.filter(status="reserved").order_by(
        "project_id", "pioneer_id", "-created_at", "-pk"
    )
    rows = reserved.values_list("pk", "project_id", "pioneer_id", "item_id", "item__is_gold")
    for pk, project_id, pioneer_id, item_id, is_gold in rows.iterator():
        key = (project_id, pioneer_id)
        if key not in seen:
            seen.add(key)
            continue
        Assignment.objects.filter(pk=pk).update(status="expired", finished_at=now)
        if not is_gold:
            Item.objects.filter(pk=item_id).update(open_slots=F("open_slots") + 1)


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0002_remove_item_answer_count"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(expire_extra_reservations, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="assignment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "reserved")),
                fields=("project", "pioneer"),
                name="tasks_assignment_one_live",
            ),
        ),
    ]
