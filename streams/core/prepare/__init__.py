"""Stage 1, prepare: clean a page, read what it says about itself, extract who/what/where/when, fingerprint it."""
