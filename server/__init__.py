"""Peerline server: layers whose imports run one way (``core ← store ← service ← transport ←
web``), checked by import-linter in CI. See docs/architecture.md.

A message's path, socket to socket, reads in this order:
``transport/connection.py`` (receive, decode, rate limit, validate) → ``service/talk.py``
(screen with moderation, pack the store call) → ``store/sessions.py`` + ``store/lua/say.lua``
(one Redis round trip: store, sequence, publish) → ``service/talk.py`` (ack, local delivery)
→ ``transport/hub.py`` (the other processes' node channels, then their sockets).
"""
