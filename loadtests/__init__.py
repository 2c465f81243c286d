"""Peerline's load generator: scenarios that drive the server through the public protocol.

``python -m loadtests run --url ws://127.0.0.1:8000/ws --scenario relay --report out.json``;
see ``docs/performance.md`` for every scenario, the figures and how they were made.
"""
