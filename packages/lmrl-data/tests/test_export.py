"""`lmrl-data export --format chat`: chat "messages" JSONL for TRL's SFTTrainer."""

from __future__ import annotations

import json

import pytest

from lmrl_data import GenerateConfig, generate, iter_episodes
from lmrl_data.cli import main
from lmrl_data.export import episode_to_chat
from lmrl_envs import Episode, filter_episodes


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Text-Nav: multi-line observations, successes, and episodes cut off at 15 steps."""
    out = tmp_path_factory.mktemp("d") / "text-nav"
    generate(GenerateConfig("text-nav-fo", str(out), episodes=30, seed=0, progress=False))
    return out


def _lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _expected(ep: Episode) -> dict:
    """Written out the long way: obs/action alternate, the last text is the final observation."""
    assert ep.is_action == [i % 2 == 1 for i in range(len(ep.texts))] and not ep.is_action[-1]
    return {
        "messages": [{"role": "assistant" if i % 2 else "user", "content": text[:-1]}
                     for i, text in enumerate(ep.texts[:-1])],
        "env_id": ep.env_id, "seed": ep.seed, "return": ep.total_return, "success": ep.success,
        "terminated": ep.terminated, "truncated": ep.truncated, "final_observation": ep.texts[-1],
    }


def test_export_all_matches_the_episodes_exactly(dataset, tmp_path, capsys):
    out = tmp_path / "chat.jsonl"
    assert main(["export", str(dataset), "--format", "chat", "--out", str(out), "--split", "all"]) == 0
    episodes = list(iter_episodes(dataset, "all"))
    n_messages = sum(2 * ep.length for ep in episodes)
    assert capsys.readouterr().out == f"{out}: 30 conversations, {n_messages} messages (all)\n"
    records = _lines(out)
    assert records == [_expected(ep) for ep in episodes]
    # the round trip: each message plus "\n", then the final observation, are the episode's texts
    for rec, ep in zip(records, episodes, strict=True):
        assert [m["content"] + "\n" for m in rec["messages"]] + [rec["final_observation"]] == ep.texts
    assert any("\n" in m["content"] for rec in records for m in rec["messages"])  # inner newlines are kept
    assert {rec["success"] for rec in records} == {True, False} and any(rec["truncated"] for rec in records)
    assert [p.name for p in tmp_path.iterdir()] == ["chat.jsonl"]  # no .tmp left behind


def test_one_episode_byte_for_byte(tmp_path, capsys):
    ep = Episode("wordle-v0", 7, ["Wordle:\n", "g r a c e\n", "b g g y g\n", "c r a n e\n", "g g g g g\n"],
                 [False, True, False, True, False], [-1.0, 0.0], [0, 0], terminated=True, info={"success": True})
    src = tmp_path / "eps.jsonl"
    src.write_text(ep.to_json() + "\n", encoding="utf-8")
    assert main(["export", str(src), "--out", str(tmp_path / "c.jsonl"), "--system", "Play Wordle."]) == 0
    assert capsys.readouterr().out == f"{tmp_path / 'c.jsonl'}: 1 conversations, 5 messages (file)\n"
    assert (tmp_path / "c.jsonl").read_text(encoding="utf-8") == (
        '{"messages":[{"role":"system","content":"Play Wordle."},{"role":"user","content":"Wordle:"},'
        '{"role":"assistant","content":"g r a c e"},{"role":"user","content":"b g g y g"},'
        '{"role":"assistant","content":"c r a n e"}],"env_id":"wordle-v0","seed":7,"return":-1.0,"success":true,'
        '"terminated":true,"truncated":false,"final_observation":"g g g g g\\n"}\n')


def test_same_side_texts_are_joined_and_episodes_without_actions_skipped(tmp_path, capsys):
    odd = Episode("t-v0", None, ["intro\n", "more\n", "a\n", "b\n", "\n", "end\n"],
                  [False, False, True, True, False, False], [0.5, 0.25], [0, 0])
    empty = Episode("t-v0", 3, ["only an observation\n"], [False], [], [], truncated=True)
    assert episode_to_chat(odd)["messages"] == [{"role": "user", "content": "intro\nmore"},
                                                {"role": "assistant", "content": "a\nb"}]
    assert episode_to_chat(odd)["final_observation"] == "\nend\n"
    assert episode_to_chat(empty, system="s") == {
        "messages": [], "env_id": "t-v0", "seed": 3, "return": 0.0, "success": False, "terminated": False,
        "truncated": True, "final_observation": "only an observation\n"}
    src = tmp_path / "eps.jsonl"
    src.write_text(odd.to_json() + "\n" + empty.to_json() + "\n", encoding="utf-8")
    assert main(["export", str(src), "--out", str(tmp_path / "c.jsonl")]) == 0
    assert capsys.readouterr().out.endswith(": 1 conversations, 2 messages (file); 1 episodes without an action "
                                            "skipped\n")
    assert [r["seed"] for r in _lines(tmp_path / "c.jsonl")] == [None]


def test_splits_file_input_filters_and_overwrite(dataset, tmp_path, capsys):
    def export(*args):
        out = tmp_path / f"{len(list(tmp_path.iterdir()))}.jsonl"
        assert main(["export", *args, "--out", str(out)]) == 0, capsys.readouterr().err
        capsys.readouterr()
        return [(r["env_id"], r["seed"]) for r in _lines(out)], out

    def seeds(episodes):
        return [(e.env_id, e.seed) for e in episodes]

    train, train_out = export(str(dataset))  # the default split is train
    assert train == seeds(iter_episodes(dataset, "train"))
    evals, _ = export(str(dataset), "--split", "eval")
    assert evals == seeds(iter_episodes(dataset, "eval")) and len(evals) >= 1
    same, same_out = export(str(dataset / "train.jsonl"))
    assert same_out.read_bytes() == train_out.read_bytes()
    succ, succ_out = export(str(dataset), "--split", "all", "--filter", "success")
    assert succ == seeds(filter_episodes(iter_episodes(dataset, "all"), success_only=True)) and 0 < len(succ) < 30
    bc, bc_out = export(str(dataset), "--split", "all", "--filter", "bc")  # Text-Nav's %BC filter: successes
    assert bc_out.read_bytes() == succ_out.read_bytes()
    top, _ = export(str(dataset), "--filter", "top25")
    assert top == seeds(filter_episodes(iter_episodes(dataset, "train"), top_fraction=0.25))
    assert main(["export", str(dataset), "--split", "eval", "--out", str(train_out), "--overwrite"]) == 0
    assert [(r["env_id"], r["seed"]) for r in _lines(train_out)] == evals


@pytest.mark.parametrize("argv, message", [
    (["export", "{tmp}/missing", "--out", "{tmp}/o.jsonl"],
     "lmrl-data export: {tmp}/missing: no such dataset directory or .jsonl file"),
    (["export", "{data}", "--out", "{tmp}/exists.jsonl"],
     "lmrl-data export: --out {tmp}/exists.jsonl already exists; choose another file or pass --overwrite"),
    (["export", "{data}", "--out", "{tmp}"], "lmrl-data export: --out {tmp} is a directory; name a file"),
    (["export", "{data}", "--out", "{data}/train.jsonl", "--overwrite"],
     "lmrl-data export: --out {data}/train.jsonl is a file of the dataset being exported; choose another file"),
    (["export", "{data}/eval.jsonl", "--out", "{data}/eval.jsonl", "--overwrite"], "is a file of the dataset"),
    (["export", "{data}", "--out", "{tmp}/o.jsonl", "--filter", "best"],
     "lmrl-data export: error: argument --filter: unknown filter 'best': use 'success', 'top<k>'"),
    (["export", "{data}", "--out", "{tmp}/o.jsonl", "--filter", "top0"], "argument --filter: unknown filter 'top0'"),
    (["export", "{data}", "--out", "{tmp}/o.jsonl", "--filter", "top101"], "unknown filter 'top101'"),
    (["export", "{data}", "--out", "{tmp}/o.jsonl", "--filter", "topx"], "unknown filter 'topx'"),
    (["export", "{data}/train.jsonl", "--out", "{tmp}/o.jsonl", "--filter", "bc"],
     "lmrl-data export: --filter bc needs a dataset directory (its manifest.json names the %BC filter)"),
    (["export", "{data}", "--out", "{tmp}/o.jsonl", "--format", "sharegpt"],
     "argument --format: invalid choice: 'sharegpt'"),
    (["export", "{data}", "--out", "{tmp}/o.jsonl", "--split", "test"], "argument --split: invalid choice: 'test'"),
    (["export", "{data}"], "lmrl-data export: error: the following arguments are required: --out"),
])
def test_bad_arguments_exit_2_with_one_line_and_write_nothing(dataset, tmp_path, cli, argv, message):
    (tmp_path / "exists.jsonl").write_text("keep me\n")
    before = {p.name: p.read_bytes() for p in dataset.iterdir()}
    rc, err = cli([a.format(tmp=tmp_path, data=dataset) for a in argv])
    assert rc == 2
    assert message.format(tmp=tmp_path, data=dataset) in err and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exists.jsonl"]
    assert (tmp_path / "exists.jsonl").read_text() == "keep me\n"
    assert {p.name: p.read_bytes() for p in dataset.iterdir()} == before


def test_a_bad_input_line_exits_1_naming_file_and_line_and_keeps_the_old_output(dataset, tmp_path, cli):
    src = tmp_path / "eps.jsonl"
    lines = (dataset / "train.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    src.write_text("".join(lines[:3]) + lines[3].replace('"rewards":[', '"rewards":[1.0,') + "".join(lines[4:]),
                   encoding="utf-8")
    out = tmp_path / "chat.jsonl"
    out.write_text("old\n")
    rc, err = cli(["export", str(src), "--out", str(out), "--overwrite"])
    assert rc == 1
    bad = json.loads(lines[3])
    assert err == (f"lmrl-data export: {src}:4: rewards: need one reward per action ({sum(bad['is_action'])}), "
                   f"got {len(bad['rewards']) + 1}\n")
    assert out.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["chat.jsonl", "eps.jsonl"]
    (tmp_path / "notdata").mkdir()
    rc, err = cli(["export", str(tmp_path / "notdata"), "--out", str(tmp_path / "x.jsonl")])
    assert (rc, err) == (1, f"lmrl-data export: {tmp_path / 'notdata' / 'train.jsonl'}: no such episode file "
                            "(generate one with `lmrl-data generate`)\n")
    assert not (tmp_path / "x.jsonl").exists()


def test_doctests():
    import doctest

    import lmrl_data.export

    result = doctest.testmod(lmrl_data.export)
    assert result.attempted >= 9 and result.failed == 0
