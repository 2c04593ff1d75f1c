"""Review: the states of a draft, the audit log, and what people do to drafts in the queue."""
