"""Errors of the review workflow, kept free of heavy imports for the command line."""


class ReviewError(Exception):
    """A reviewer's action cannot be done; the message says why and what to do."""
