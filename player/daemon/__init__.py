"""The player daemon (`manage.py run_player`): one room's libvlc, its instant plays and its music player.

Only the daemon imports this package. It talks to the web side through `player.protocol` alone (commands in,
answers and events out), debits what it starts, and needs no templates, static files or dashboard code: a bare
audio host with libvlc, the sounds, the database and Redis can run it.
"""
