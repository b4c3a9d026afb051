"""Live events to open browsers: events as data, rendered once per event per web process; presence; messages."""
