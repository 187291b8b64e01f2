"""Outgoing mail at the bottom of the house: one message builder (`mail.message`) and the transports
(`mail.transport`) that the digests, the breakage alarms and the newsletter draft all use.

Nothing here imports any other package of the project except `settings`.
"""
