"""Reads of reputation, one module per noun: `standing` (a person's level, privileges,
score, history and events in words), `feed` (the public, recomputable events and scores,
people as pseudonyms), `penalties` (a person's penalties, appeals waiting, the latest) and
`reviews` (a reviewer's review, outcomes of an author's work, flagged rings). Import from
the module that owns the noun; writes are in `reputation.services`."""
