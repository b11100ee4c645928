"""Drop indexes that another index already leads with. Every index on these tables is
written again on each claim and answer, so the duplicates were pure write cost.

Only the indexes go: the foreign keys' state changes to `db_index=False`, but the database
side is a plain DROP INDEX, so the constraints are not dropped and validated again.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (index Django created for the foreign key, table, column); the comment names the index
# that covers it.
REDUNDANT = [
    ("tasks_answer_project_id_cad121e4", "tasks_answer", "project_id"),  # tasks_answer_project
    ("tasks_assignment_item_id_fae4489e", "tasks_assignment", "item_id"),  # ..._once
    ("tasks_assignment_pioneer_id_2a328f81", "tasks_assignment", "pioneer_id"),  # ..._pioneer
]


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0003_one_live_reservation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The credit's pioneer column had two identical indexes; the foreign key's stays.
        migrations.RemoveIndex(model_name="credit", name="tasks_credit_pioneer"),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("{column}")',
                )
                for name, table, column in REDUNDANT
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="answer",
                    name="project",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="answers",
                        to="tasks.project",
                    ),
                ),
                migrations.AlterField(
                    model_name="assignment",
                    name="item",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="assignments",
                        to="tasks.item",
                    ),
                ),
                migrations.AlterField(
                    model_name="assignment",
                    name="pioneer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="task_assignments",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
    ]
