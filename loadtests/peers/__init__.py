"""The same relay workload against what a user might pick instead of Peerline.

Each peer is a small server script runnable as ``python -m loadtests.peers.<name> --port P``:

- ``ws_relay``: a bare ``websockets`` server that pairs clients into rooms and forwards text.
- ``sio_relay``: python-socketio with rooms, ASGI under uvicorn; the ``socketio`` peer keeps
  its rooms in memory (one process only), ``socketio-redis`` in Redis (``--redis-url``,
  ``AsyncRedisManager``: what python-socketio needs to run in several processes).
- ``channels_relay``: Django Channels with channels_redis (group_send through Redis), under uvicorn.

``bench`` starts each one, runs the closed loop of :mod:`loadtests.loops` against it with the
client adapter of :mod:`loadtests.peers.adapters`, and stops it.
"""
