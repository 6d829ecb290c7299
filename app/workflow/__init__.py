"""The council workflow: rounds, pots, proposals, voting, results, delivery, the audit trail,
exports and accounts, as SQLAlchemy and plain Python. No Flask: every function takes a session,
raises a refusal (``errors``) with nothing changed, and leaves committing to its caller."""
