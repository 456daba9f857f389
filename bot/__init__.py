"""Wiring: settings, CLI, HTTP server, Telegram application, worker and scheduler."""
