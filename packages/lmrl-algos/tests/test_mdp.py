"""The token-level MDP on hand-written episodes (one token per character: a byte BPE with no merges)."""

import pytest
import torch

from lmrl_algos.common.mdp import MDPError, build_episode, collate, encode_history
from lmrl_algos.models import build_tiny_tokenizer
from lmrl_envs import Episode

TEXTS = ["ab\n", "x\n", "c\n", "y\n", "d\n"]
ACT = [False, True, False, True, False]


@pytest.fixture(scope="module")
def tok():
    return build_tiny_tokenizer(TEXTS, vocab_size=258)  # 256 bytes + 2 specials: no merges


def ids(tok, s):
    return [tok.bos_token_id] + tok.convert_tokens_to_ids([c if c != "\n" else "Ċ" for c in s])


def test_full_history_one_segment(tok):
    ep = Episode("toy-v0", 0, TEXTS, ACT, [1.0, 2.0], [0, 0], terminated=True)
    (seg,) = build_episode(ep, tok, gamma=0.5, max_length=64)
    assert seg.input_ids == ids(tok, "ab\nx\nc\ny\n")
    assert seg.action_mask == [0, 0, 0, 0, 1, 1, 0, 0, 1, 1]
    assert seg.rewards == [0, 0, 0, 0, 0, 1, 0, 0, 0, 2]
    assert seg.returns == [0, 0, 0, 0, 0.75, 1.5, 0, 0, 1.0, 2.0]
    assert seg.next_action == [-1, -1, -1, -1, 5, 8, -1, -1, 9, -1]
    assert seg.next_prefix is None


def test_restarting_history_chains_segments(tok):
    ep = Episode("toy-v0", 0, TEXTS, ACT, [1.0, 2.0], [0, 2], terminated=True)
    a, b = build_episode(ep, tok, gamma=0.5, max_length=64)
    assert a.input_ids == ids(tok, "ab\nx\n") and b.input_ids == ids(tok, "c\ny\n")
    assert a.action_mask == [0, 0, 0, 0, 1, 1] and b.action_mask == [0, 0, 0, 1, 1]
    assert a.returns == [0, 0, 0, 0, 0.75, 1.5] and b.returns == [0, 0, 0, 1.0, 2.0]
    assert a.next_action == [-1, -1, -1, -1, 5, -1]
    assert a.next_prefix == ids(tok, "c\n") and b.next_prefix is None


def test_truncated_episode_bootstraps_into_the_state_it_was_cut_in(tok):
    # maze-fo style: each state shows only the current observation; cut off after the 2nd action
    ep = Episode("toy-v0", 0, TEXTS, ACT, [1.0, 2.0], [0, 2], terminated=False, truncated=True,
                 info={"final_context_start": 4})
    a, b = build_episode(ep, tok, gamma=0.5, max_length=64)
    assert a.next_prefix == ids(tok, "c\n") and b.next_prefix == ids(tok, "d\n")
    full = Episode("toy-v0", 0, TEXTS, ACT, [1.0, 2.0], [0, 0], terminated=False, truncated=True,
                   info={"final_context_start": 0})
    (seg,) = build_episode(full, tok, gamma=0.5, max_length=64)
    assert seg.next_prefix == ids(tok, "ab\nx\nc\ny\nd\n")  # full history: the whole final context
    old = Episode("toy-v0", 0, TEXTS, ACT, [1.0, 2.0], [0, 2], terminated=False, truncated=True)
    assert build_episode(old, tok, gamma=0.5, max_length=64)[-1].next_prefix is None  # no record: as before


def test_overflow_splits_and_left_truncates(tok):
    ep = Episode("toy-v0", 0, TEXTS, ACT, [1.0, 2.0], [0, 0], terminated=True)
    a, b = build_episode(ep, tok, gamma=1.0, max_length=8)
    assert a.input_ids == ids(tok, "ab\nx\n")
    assert b.input_ids == [tok.bos_token_id] + ids(tok, "\nx\nc\ny\n")[1:]
    assert len(b.input_ids) == 8 and b.action_mask == [0] * 6 + [1, 1]
    assert a.next_prefix == b.input_ids[:6]
    assert a.returns[4:] == [3.0, 3.0] and b.returns[6:] == [2.0, 2.0]


def test_action_longer_than_max_length_is_an_error(tok):
    ep = Episode("toy-v0", 0, ["a\n", "xxxxxxxx\n"], [False, True], [0.0], [0])
    with pytest.raises(MDPError, match="max-length"):
        build_episode(ep, tok, gamma=1.0, max_length=8)


def test_collate_prediction_frame(tok):
    ep = Episode("toy-v0", 0, TEXTS, ACT, [1.0, 2.0], [0, 2], terminated=True)
    a, b = build_episode(ep, tok, gamma=0.5, max_length=64)
    batch = collate([a, b], tok.pad_token_id)
    assert batch["input_ids"].shape == (2, 6)
    assert batch["mask"].tolist() == [[0, 0, 0, 1, 1], [0, 0, 1, 1, 0]]
    assert batch["next_idx"].tolist() == [[-1, -1, -1, 4, -1], [-1, -1, 3, -1, -1]]
    assert batch["rewards"].tolist() == [[0, 0, 0, 0, 1], [0, 0, 0, 2, 0]]
    assert batch["has_next"].tolist() == [True, False]
    assert batch["next_ids"][0].tolist() == ids(tok, "c\n")
    assert torch.equal(batch["targets"], batch["input_ids"][:, 1:])


def test_encode_history_matches_training_prefix(tok):
    ep = Episode("toy-v0", 0, TEXTS, ACT, [1.0, 2.0], [0, 2], terminated=True)
    _, b = build_episode(ep, tok, gamma=0.5, max_length=64)
    assert encode_history(tok, [ep.contexts()[1]], 64) == b.input_ids[:3]
    assert encode_history(tok, TEXTS[:2], 4) == [tok.bos_token_id] + ids(tok, "\nx\n")[1:]
