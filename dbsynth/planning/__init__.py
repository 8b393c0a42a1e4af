"""Plan: every decision of a generation run, as plain data, before any row exists."""
