"""Peerline server: the ASGI app, the WebSocket hub, staff auth, the operator CLI.

A message's path, socket to socket, reads in this order:
``connection.py`` (receive, decode, rate limit) → ``handlers.py`` (policy: moderation, store,
escalation) → ``sessions.py`` + ``lua/say.lua`` (one Redis round trip: store, sequence, publish)
→ ``hub.py`` (local delivery, or the node channel of the process holding the other side).
"""
