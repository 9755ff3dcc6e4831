"""Deleting projects, model versions, runs and workspaces: the JSON API and the page forms."""
