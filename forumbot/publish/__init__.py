"""Publish: approved drafts go to the forum, each exactly once."""
