"""Keep the log's frontier as packed binary hashes instead of JSON of hex strings.

Appends compare and replace the frontier in one conditional UPDATE (`ledger.statements`);
32-byte hashes side by side compare as one value and need no parsing. The forward data
step rebuilds the state from the stored rows themselves (the size from the leaves, the
frontier from the stored perfect-subtree hashes), so it is right even where the old row
was missing; the backward step writes the JSON form again.
"""

from django.db import migrations, models


def _heights(tree_size):
    return [h for h in range(tree_size.bit_length() - 1, -1, -1) if tree_size >> h & 1]


def build_packed_state(apps, schema_editor):
    Leaf = apps.get_model("ledger", "Leaf")
    LogState = apps.get_model("ledger", "LogState")
    SubtreeHash = apps.get_model("ledger", "SubtreeHash")
    last = Leaf.objects.order_by("-index").values_list("index", flat=True).first()
    tree_size = 0 if last is None else last + 1
    if tree_size == 0 and not LogState.objects.filter(pk=1).exists():
        return
    # The frontier is the run of perfect subtrees covering [0, tree_size), largest first.
    keys, position = [], 0
    for height in _heights(tree_size):
        keys.append((height, position >> height))
        position += 1 << height
    wanted = models.Q(pk__in=[])
    for level, index in keys:
        wanted |= models.Q(level=level, index=index)
    stored = {
        (level, index): bytes(value)
        for level, index, value in SubtreeHash.objects.filter(wanted).values_list(
            "level", "index", "hash"
        )
    }
    missing = [key for key in keys if key not in stored]
    if missing:
        raise RuntimeError(f"ledger subtree hashes {missing} are missing; run ledger_verify")
    LogState.objects.update_or_create(
        pk=1,
        defaults={"tree_size": tree_size, "frontier_packed": b"".join(stored[k] for k in keys)},
    )


def build_json_state(apps, schema_editor):
    LogState = apps.get_model("ledger", "LogState")
    for state in LogState.objects.all():
        packed = bytes(state.frontier_packed)
        state.frontier = [
            [height, packed[32 * n : 32 * n + 32].hex()]
            for n, height in enumerate(_heights(state.tree_size))
        ]
        state.save(update_fields=["frontier"])


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_append_only_triggers")]

    operations = [
        migrations.AddField(
            model_name="logstate",
            name="frontier_packed",
            field=models.BinaryField(default=b""),
        ),
        migrations.RunPython(build_packed_state, build_json_state),
        migrations.RemoveField(model_name="logstate", name="frontier"),
        migrations.RenameField(
            model_name="logstate", old_name="frontier_packed", new_name="frontier"
        ),
        migrations.AlterField(
            model_name="logstate",
            name="frontier",
            field=models.BinaryField(
                default=b"",
                help_text="hashes of the perfect subtrees on the right edge, 32 bytes each, "
                "largest first; their heights are the set bits of tree_size",
            ),
        ),
    ]
