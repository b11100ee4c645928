"""KYC services, one module per noun: `cases` (the pioneer's case and its documents, the
automatic checks, the appeal), `moderation` (claim, decide, escalate, conflicts),
`validation` (the validators' checks and votes), `retention` (destroying documents) and
`transitions` (the state machine every move goes through). Import from the module that
owns the noun."""
