"""forumbot: drafts replies to owners' complaints on a Discourse forum; people approve each one."""

__version__ = "0.1.0"
