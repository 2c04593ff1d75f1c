"""Classify: where a post is labelled (normalisation, jieba tokens, the scikit-learn model)."""
