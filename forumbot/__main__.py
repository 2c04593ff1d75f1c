"""``python -m forumbot`` runs the command line."""

from forumbot.cli import main

main()
