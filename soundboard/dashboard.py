# TEMPORARY shim for player/, credits/services.py and sounds/services.py until the move lands; remove
from dashboard.stats import new_play

__all__ = ["new_play"]
