from extraction.tests.media_server import blocked_server, local_extraction, media_files, media_server

__all__ = ["blocked_server", "local_extraction", "media_files", "media_server"]
