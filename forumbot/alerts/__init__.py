"""Alerts about urgent cases: to the duty manager and security by mail, and to a chat robot."""
