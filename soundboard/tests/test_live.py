# TEMPORARY shim for player/ until the move lands; remove
from live.tests.sockets import connect, receive_until

__all__ = ["connect", "receive_until"]
