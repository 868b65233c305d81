"""``simval finetune submit`` against the scripted server: upload, job, job id; bad files fail before any request."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from validator.errors import InputError
from validator.finetune.prepare import prepare
from validator.finetune.submit import SubmitRefused, check_training_file, submit

REPO = Path(__file__).resolve().parents[2]
KEY = "sk-finetune-test-KEY-77"


@pytest.fixture()
def training(demo_paths, tmp_path):
    return prepare(demo_paths["human"], tmp_path / "train.jsonl", cells=1).training


def test_submit_uploads_the_file_and_creates_a_job(fs, training):
    with fs.FixtureServer() as server:
        result = submit(training, model="gpt-4.1-2025-04-14", base_url=server.url, suffix="hunt", epochs=3, seed=5, environ={"OPENAI_API_KEY": KEY})
        paths = [r.path for r in server.requests]
        upload = server.requests[0]
    assert paths == ["/v1/files", "/v1/fine_tuning/jobs"]
    assert result.job_id == "ftjob-1" and result.status == "queued" and result.training_file_id == "file-1"
    assert result.examples == 29
    assert server.files["file-1"] == training.read_bytes()
    assert b'name="purpose"' in upload.raw and b"fine-tune" in upload.raw
    job = server.jobs[0]["request"]
    assert job == {"model": "gpt-4.1-2025-04-14", "training_file": "file-1", "suffix": "hunt", "seed": 5, "hyperparameters": {"n_epochs": 3}}
    assert upload.headers["authorization"] == f"Bearer {KEY}"


def test_cli_prints_the_job_id_alone_on_standard_output(fs, training):
    with fs.FixtureServer() as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        env.update({"PYTHONPATH": str(REPO), "FT_KEY": KEY})
        result = subprocess.run(
            [sys.executable, "-m", "validator", "finetune", "submit", str(training), "--model", "m", "--base-url", server.url, "--api-key-env", "FT_KEY"],
            capture_output=True, text=True, env=env, timeout=120,
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ftjob-1\n"
    assert "29 conversations" in result.stderr and KEY not in result.stderr


def test_a_refused_job_is_an_error_without_the_key(fs, training):
    with fs.FixtureServer(job_error=(400, f"model m cannot be finetuned with key {KEY}")) as server:
        with pytest.raises(SubmitRefused) as err:
            submit(training, model="m", base_url=server.url, environ={"OPENAI_API_KEY": KEY})
    assert str(err.value) == "the finetuning job was refused: HTTP 400: model m cannot be finetuned with key ***"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no conversations"),
        ("{not json}\n", "line 1 is not JSON"),
        ('{"messages": []}\n', "line 1 has no 'messages' list"),
        ('{"messages": [{"role": "user", "content": "hi"}]}\n', "line 1 has no assistant message"),
        ('{"messages": [{"role": "user", "content": "hi"}, {"role": "robot", "content": "x"}]}\n', "line 1, message 2: needs a role"),
    ],
)
def test_malformed_training_files_fail_before_any_request(fs, tmp_path, text, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        check_training_file(path)
    with fs.FixtureServer() as server:
        with pytest.raises(InputError):
            submit(path, model="m", base_url=server.url, environ={"OPENAI_API_KEY": KEY})
        assert server.requests == []
