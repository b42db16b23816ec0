"""Evaluation of retrieval, answers and refusals on the letters set and the DRCD benchmark."""
