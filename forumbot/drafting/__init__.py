"""Drafting: where a labelled post becomes a reply draft.

The style policy, the templates, the knowledge base and the reply checker.
"""
