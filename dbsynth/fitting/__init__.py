"""Fit: a read-only sample of the source in, a reviewable Model out."""
