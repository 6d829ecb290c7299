"""Everything HTTP: one blueprint per audience, the forms, the presenters, error pages, security
headers and the session cookie. Views parse a request, run one workflow step through
``views.attempt`` and answer."""
