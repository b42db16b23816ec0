"""Chat models: the OpenAI-compatible client and the launcher of the bundled local model server."""
