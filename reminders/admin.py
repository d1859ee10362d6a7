"""Follow-up windows and reminder messages are patient data: never edited in the Django admin
(docs/architecture.md). Nothing is registered here on purpose."""
