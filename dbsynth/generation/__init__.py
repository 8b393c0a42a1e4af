"""Generate: a Model and a Plan in, batches of rows out. No database I/O, no hidden global state."""
