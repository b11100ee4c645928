"""KYC pages, one module per noun: `cases` (the pioneer's case and its document images),
`review` (the moderators' queue and review) and `validation` (the validators' checks).

A domain error a service raises here becomes the error page with its status
(`core.middleware.DomainErrorMiddleware`); a page that re-renders a form shows it beside
the field instead (`form_error`)."""
