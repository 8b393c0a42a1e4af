"""Sample: a bounded, FK-consistent, read-only sample of the source as frames."""
