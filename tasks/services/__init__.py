"""Writes to task data, one module per noun; callers import the module that owns the noun.

Each service is one transaction: guard, lock, change, record. Socket events and Celery
jobs go out on commit; the export's ledger entry is written inside its transaction.
"""
