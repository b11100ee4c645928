"""Reads of KYC data, one module per noun: `cases` (a case or document for whoever may see
it, its history, a person's own data), `queue` (the moderators' queue, claims, decisions and
service figures), `conflicts` (the one definition of a conflict of interest) and
`validators` (the validators' pending checks and record). Import from the module that owns
the noun."""
