"""`lmrl-eval evaluate --policy hf:PATH_OR_ID` (any causal LM, with or without a chat template) and
`--save-episodes FILE` (the evaluated episodes in the datasets' JSONL format)."""

import json

import pytest

from lmrl_envs import read_episodes
from lmrl_eval.cli import main
from lmrl_eval.evaluate import evaluate, summarize
from lmrl_eval.policies import load_eval_policy

pytest.importorskip("lmrl_algos", reason="hf: policies need lmrl-eval[full]")

TEMPLATE = ("{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}</s>{% endfor %}"
            "{% if add_generation_prompt %}<assistant>{% endif %}")


@pytest.fixture(scope="module", params=[False, True], ids=["raw", "chat"])
def hf_dir(request, tmp_path_factory):
    from lmrl_algos.models import build_tiny_model, build_tiny_tokenizer

    path = tmp_path_factory.mktemp("hf") / "model"
    tok = build_tiny_tokenizer(["Guess a word.\n", "crane\n", "<user><assistant></s>"], vocab_size=300)
    if request.param:
        tok.chat_template = TEMPLATE
    build_tiny_model(tok, n_layer=1, n_embd=32, n_head=2, seed=1).save_pretrained(path)
    tok.save_pretrained(path)
    return path


def test_evaluate_an_hf_model_and_save_its_episodes(hf_dir, tmp_path, capsys):
    out = tmp_path / "eps" / "wordle.jsonl"
    argv = ["evaluate", "--env", "wordle", "--policy", f"hf:{hf_dir}", "--episodes", "4", "--batch-size", "3",
            "--save-episodes", str(out), "--json"]
    assert main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    saved = list(read_episodes(out))
    # the same evaluation from Python (batch size 2: the episodes do not depend on it)
    result, episodes = evaluate("wordle", load_eval_policy(f"hf:{hf_dir}", "wordle", device="cpu"), 4, batch_size=2,
                                return_episodes=True)
    assert [e.to_json() for e in saved] == [e.to_json() for e in episodes]
    assert summarize("wordle", saved).to_dict() == result.to_dict() == {k: record[k] for k in result.to_dict()}
    assert record["decode"] == {"greedy": False, "temperature": 1.0, "rerank": False}
    assert len(saved) == 4 and all(e.env_id == "wordle-v0" for e in saved)
    assert all(t.count("\n") == 1 for e in saved for t, a in zip(e.texts, e.is_action, strict=True) if a)
    assert not list(out.parent.glob("*.tmp"))  # written atomically: no temporary file left


def test_save_episodes_of_a_scripted_policy(tmp_path, capsys):
    out = tmp_path / "expert.jsonl"
    assert main(["evaluate", "--env", "maze-fo", "--policy", "expert", "--episodes", "25", "--save-episodes",
                 str(out)]) == 0
    assert f"episodes: {out} (25" in capsys.readouterr().out
    saved = list(read_episodes(out))
    _, episodes = evaluate("maze-fo", load_eval_policy("expert", "maze-fo"), 25, return_episodes=True)
    assert [e.to_json() for e in saved] == [e.to_json() for e in episodes]
    assert summarize("maze-fo", saved).return_mean == -6.84


def test_hf_and_save_episodes_errors(hf_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("LMRL_ALLOW_DOWNLOADS", raising=False)  # a Hub id missing from the cache: never downloaded
    cases = [
        (["--policy", str(hf_dir)], f"evaluate it with --policy hf:{hf_dir}"),
        (["--policy", "hf:lmrl-test/absent"], "not in the local Hugging Face cache"),
        (["--policy", "expert", "--save-episodes", str(tmp_path)], "not a writable file path"),
        (["--policy", f"hf:{hf_dir}", "--dtype", "fp16", "--device", "cpu"], "fp16 needs a CUDA device"),
    ]
    for extra, msg in cases:
        assert main(["evaluate", "--env", "wordle", "--episodes", "1", *extra]) == 2
        assert msg in capsys.readouterr().err
