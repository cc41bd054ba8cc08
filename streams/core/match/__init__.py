"""Stage 2, match: is an article a copy or rewrite of a story already seen (candidate keys, pair rule, story book)."""
