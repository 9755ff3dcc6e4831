"""Automation: schedules and storage watchers (pages, JSON API and CLI)."""
