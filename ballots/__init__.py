"""The ballot paper and the ballot box: the roll, verification, casting exactly once,
receipts, the ballot log and turning stored ballots into ``votes`` input.

SQLAlchemy is allowed here, Flask and the web app are not: functions take a session and plain
values, and raise the typed errors of ``ballots.errors``.
"""
