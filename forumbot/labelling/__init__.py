"""Where a stored post is labelled: the pipeline step that runs the classifier over posts
taken in (``labeller``), and retraining it from the corrections people made
(``retraining``). The classifier itself (``forumbot.classify``) stays a pure decision."""
