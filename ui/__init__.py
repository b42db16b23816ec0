"""The Gradio front end, mounted at ``/ui`` of the API app; another client of ``DafuService``."""
