"""The CLI side of scaling out: repeated --base-url, --base-urls, --model x N, --models, vLLM flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from multitrust.cli import app
from tests.engine.test_vllm_managed import fake_vllm, recorded  # noqa: F401 (fixture)
from tests.reliability.conftest import server_stats
from tests.servers.openai_server import serve

runner = CliRunner()


def test_repeated_base_url_and_url_file_spread_one_model(tmp_path: Path, toy_task: str) -> None:
    with serve(latency=0.02) as u1, serve(latency=0.02) as u2, serve(latency=0.02) as u3:
        (tmp_path / "more.txt").write_text(f"# one more\n{u3}\n")
        res = runner.invoke(
            app,
            [
                "eval", "--model", "openai/test-model", "--tasks", toy_task, "--size", "30",
                "--base-url", u1, "--base-url", u2, "--base-urls", str(tmp_path / "more.txt"),
                "--max-connections", "4", "--db", str(tmp_path / "s.db"), "--quiet",
            ],
        )  # fmt: skip
        served = [server_stats(u)["by_status"].get("200", 0) for u in (u1, u2, u3)]
    assert res.exit_code == 0, res.output
    assert sum(served) == 60 and all(n > 0 for n in served), served


def test_several_models_end_with_their_leaderboard(tmp_path: Path, toy_task: str) -> None:
    with serve(latency=0.02) as u1, serve(latency=0.02) as u2:
        models = tmp_path / "models.txt"
        models.write_text(f"openai/test-model --base-url {u1}\nvllm/test-model --base-url {u2}\n")
        args = ["eval", "--models", str(models), "--model", "scripted/oracle", "--tasks", toy_task]
        args += ["--size", "10", "--db", str(tmp_path / "s.db"), "--quiet"]
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        assert [server_stats(u)["requests"] for u in (u1, u2)] == [20, 20]
        again = runner.invoke(app, args)
        assert again.exit_code == 0, again.output
        assert [server_stats(u)["requests"] for u in (u1, u2)] == [20, 20]  # resumed
    out = res.output
    assert "MultiTrust leaderboard" in out
    for m in ("scripted/oracle", "openai/test-model", "vllm/test-model"):
        assert m in out
    assert "GPT-4-Vision" not in out or "published" in out  # the reference rows are labelled


def test_several_models_with_one_base_url_is_refused(tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        ["eval", "--model", "openai/a", "--model", "openai/b", "--base-url", "http://x:1/v1"],
    )
    assert res.exit_code != 0
    assert "give each model its URLs in the --models file" in str(res.exception or res.output)


def test_no_model_at_all_is_refused() -> None:
    res = runner.invoke(app, ["eval", "--tasks", "T.1"])
    assert res.exit_code != 0
    assert "--models FILE" in str(res.exception or res.output)


def test_a_failing_model_does_not_stop_the_others(
    tmp_path: Path, toy_task: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    args = ["eval", "--model", "scripted/oracle", "--model", "openai/gpt-4o", "--tasks", toy_task]
    res = runner.invoke(app, [*args, "--size", "5", "--db", str(tmp_path / "s.db"), "--quiet"])
    assert res.exit_code == 1
    assert "openai/gpt-4o: failed" in res.output and "OPENAI_API_KEY" in res.output
    assert "scripted/oracle: done" in res.output and "MultiTrust leaderboard" in res.output


@pytest.mark.slow
def test_managed_vllm_flags_reach_the_servers(
    fake_vllm: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    toy_task: str,
) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1,2,3")
    res = runner.invoke(
        app,
        [
            "eval", "--model", "vllm/test-model", "--tasks", toy_task, "--size", "5",
            "--tensor-parallel-size", "2", "--replicas", "1",
            "--vllm-args", "--max-model-len 4096 --served-model-name test-model",
            "--vllm-startup-timeout", "60", "--db", str(tmp_path / "s.db"), "--quiet",
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    (rec,) = recorded(fake_vllm)
    assert rec["cuda_visible_devices"] == "0,1" and rec["tp"] == 2
    assert rec["extra"] == ["--max-model-len", "4096", "--served-model-name", "test-model"]
    assert json.dumps(rec)  # recorded as JSON
