"""Writes to accounts, one module per noun: `sockets` (the one way to push an event to a
person's open pages, and closing their sockets), `notifications` (send, mark read, e-mail
settings, purge), `users` (roles, identity verification, closing an account) and
`profiles` (the public profile). Import from the module that owns the noun."""
