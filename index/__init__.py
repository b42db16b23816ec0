"""Ingestion: loading files, cleaning, letter metadata, chunking, embeddings and the stores."""
