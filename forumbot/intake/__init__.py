"""Intake: where posts enter: the poller over /posts.json and the signed webhook."""
