"""Reputation services, one module per noun: `events` (recording evidence, the incremental
path), `scores` (standing, level changes and the rebuild from the events), `batches` (runs
of events committed to the transparency log), `reviews` (blind peer review: requests,
claims, verdicts and outcomes), `rings` (reciprocal rings: flagging and the moderator's
decision), `penalties` (moderator penalties and their appeal) and `profiles` (the public
profile's one choice). Import from the module that owns the noun; reads are in
`reputation.selectors`."""
