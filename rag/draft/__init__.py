"""Drafting a reply letter (答复函) to a new proposal from cited sentences of past letters."""
