"""Workshop pages, one module per noun: `workshops` (the list, a workshop's page, the host
pages), `registrations` (register, leave, answer an offer), `calendars` (the calendar feed)
and `attendance` (attendees and check-in); `common` renders them in the viewer's zone.

One view per action. Domain errors reach `core.middleware.DomainErrorMiddleware` (the
error page with their status), except on forms, where `form_error` puts them beside their
field.
"""
