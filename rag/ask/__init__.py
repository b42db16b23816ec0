"""Answering a question: parse it once, retrieve passages, answer from them with citations."""
