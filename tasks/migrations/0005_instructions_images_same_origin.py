"""Re-render stored instructions so remote images leave them (see tasks.instructions).

The HTML is a cache of the Markdown, which is unchanged: reversing keeps the new HTML.
"""

from django.db import migrations


def rerender(apps, schema_editor):
    from tasks.instructions import render_instructions

    Project = apps.get_model("tasks", "Project")
    with_images = Project.objects.filter(instructions_html__contains="<img").only(
        "pk", "instructions"
    )
    for project in with_images.iterator():
        Project.objects.filter(pk=project.pk).update(
            instructions_html=render_instructions(project.instructions)
        )


class Migration(migrations.Migration):
    dependencies = [("tasks", "0004_drop_redundant_indexes")]

    operations = [migrations.RunPython(rerender, migrations.RunPython.noop)]
