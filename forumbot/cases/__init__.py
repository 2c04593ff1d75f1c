"""Cases: the only code that creates or moves cases, drafts, department requests and
incidents, and the one place that handles a change on the forum."""
