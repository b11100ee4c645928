"""The stored log: leaves, the perfect-subtree hashes that make proofs O(log n), heads.

Every row here is append-only. The models refuse updates and deletes; on PostgreSQL a
trigger (migration 0002) refuses them in SQL too, so not even a bug or a shell session
can rewrite history without dropping the trigger first. `ledger_verify` catches what
slips past both (for example a hand edit of the SQLite file).
"""

from __future__ import annotations

from django.db import models

from core.models import AppendOnlyError, AppendOnlyModel

__all__ = ["AppendOnlyError", "Leaf", "LogState", "SubtreeHash", "TreeHead"]


class Leaf(AppendOnlyModel):
    index = models.BigIntegerField(primary_key=True)
    kind = models.CharField(max_length=40)
    data = models.TextField(help_text="canonical JSON, exactly the bytes that were hashed (UTF-8)")
    leaf_hash = models.BinaryField(max_length=32, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["index"]

    def __str__(self) -> str:
        return f"leaf {self.index} ({self.kind})"


class SubtreeHash(AppendOnlyModel):
    """Hash of the perfect subtree of 2**level leaves starting at leaf index * 2**level.

    Written once, when its last leaf is appended; any proof needs O(log n) of these,
    fetched in one query.
    """

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="ledger_subtree_unique")
        ]

    def __str__(self) -> str:
        return f"subtree {self.level}/{self.index}"


class TreeHead(AppendOnlyModel):
    tree_size = models.BigIntegerField(unique=True)
    timestamp_ms = models.BigIntegerField()
    root_hash = models.BinaryField(max_length=32)
    signature = models.BinaryField(max_length=64)
    public_key = models.BinaryField(max_length=32)
    key_id = models.CharField(max_length=16)

    class Meta:
        ordering = ["tree_size"]

    def __str__(self) -> str:
        return f"tree head at {self.tree_size}"


class LogState(models.Model):
    """The single row every append advances: size and right frontier of the tree.

    An append is one conditional UPDATE of this row (`ledger.statements`): it succeeds only
    when the row still holds the size and frontier the new leaf was hashed against, and
    its row lock then serializes appends until the transaction ends, so no two leaves get
    one index and none is skipped. Holding the frontier here makes an append O(log n)
    without reading any other row.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    tree_size = models.BigIntegerField(default=0)
    frontier = models.BinaryField(
        default=b"",
        help_text="hashes of the perfect subtrees on the right edge, 32 bytes each, largest "
        "first; their heights are the set bits of tree_size",
    )

    def __str__(self) -> str:
        return f"log of {self.tree_size} leaves"

    def frontier_entries(self) -> list[tuple[int, bytes]]:
        return frontier_entries(self.tree_size, bytes(self.frontier))


def frontier_entries(tree_size: int, packed: bytes) -> list[tuple[int, bytes]]:
    """The (height, hash) pairs `merkle` works with, from the packed column."""
    heights = [
        height for height in range(tree_size.bit_length() - 1, -1, -1) if tree_size >> height & 1
    ]
    if len(packed) != 32 * len(heights):
        raise ValueError(f"the frontier of {tree_size} leaves needs {len(heights)} hashes")
    return [(height, packed[32 * n : 32 * n + 32]) for n, height in enumerate(heights)]
