# TEMPORARY shim for player/ until the move lands; remove
from web.toasts import add_toast

__all__ = ["add_toast"]
