"""Finetuning data for the reference study's sampling strategies, and submitting a job.

``prepare()`` draws training rows (random, or balanced round-robin over a
group column) from the first 1, 4 or 8 treatment cells, writes them as
chat-format JSONL with the simulation's prompts, and a manifest of the human
rows used, which ``simval check --exclude-rows`` keeps out of the evaluation.
``submit()`` uploads the file and starts a finetuning job.
"""

from __future__ import annotations

from validator.finetune.manifest import Manifest, read_manifest
from validator.finetune.prepare import PrepareResult, prepare
from validator.finetune.sampling import balanced_sample, random_sample, target_count
from validator.finetune.submit import SubmitResult, check_training_file, submit

__all__ = [
    "prepare",
    "PrepareResult",
    "submit",
    "SubmitResult",
    "check_training_file",
    "read_manifest",
    "Manifest",
    "random_sample",
    "balanced_sample",
    "target_count",
]
