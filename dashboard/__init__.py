"""The dashboard: statistics (cached aggregate queries), charts drawn as SVG, its page and its JSON API."""
