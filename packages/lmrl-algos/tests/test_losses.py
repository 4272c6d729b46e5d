"""Every loss on a hand-computed example (small tensors, exact numbers), on the test device (`device` fixture)."""

import functools
import math

import pytest
import torch

from lmrl_algos.bc import bc_loss
from lmrl_algos.ilql import expectile_loss, ilql_loss, next_values
from lmrl_algos.mc import mc_loss
from lmrl_algos.ppo import gae, ppo_loss
from lmrl_envs import Episode, filter_episodes


@pytest.fixture
def T(device):
    """`torch.tensor` on the test device."""
    return functools.partial(torch.tensor, device=device)


def test_bc_loss_only_counts_action_tokens(T):
    logits = T([[[0.0, math.log(3)], [5.0, -5.0]]])
    loss = bc_loss(logits, T([[1, 1]]), T([[1.0, 0.0]]), denom=1.0)
    assert loss.item() == pytest.approx(-math.log(0.75))


def test_mc_loss(T, device):
    q = T([[[0.0, 1.0], [2.0, 0.0]]])
    loss, parts = mc_loss(q, torch.zeros(1, 2, 2, device=device), T([[1, 0]]), T([[1.0, 1.0]]), T([[3.0, 1.0]]),
                          denom=2.0, cql_weight=0.5, bc_weight=2.0)
    cql = ((math.log(1 + math.e) - 1) + (math.log(math.e**2 + 1) - 2)) / 2
    assert float(parts["losses/q"]) == pytest.approx(1.25)
    assert float(parts["losses/cql"]) == pytest.approx(cql)
    assert loss.item() == pytest.approx(1.25 + 0.5 * cql + 2 * math.log(2))


def test_ilql_loss(T):
    q1 = T([[[1.0, 9.0], [9.0, 0.0]]])
    q2 = T([[[2.0, 9.0], [9.0, -1.0]]])
    tq1 = T([[[0.5, 0.0], [0.0, 1.0]]])
    tq2 = T([[[1.0, 0.0], [0.0, 0.0]]])
    loss, parts = ilql_loss(q1, q2, tq1, tq2, v=T([[1.0, -1.0]]), v_next=T([[2.0, 0.0]]), targets=T([[0, 1]]),
                            rewards=T([[0.0, 1.0]]), mask=T([[1.0, 1.0]]), gamma=0.5, tau=0.8, cql_weight=0.0,
                            denom=2.0)
    assert float(parts["losses/q"]) == pytest.approx(1.5)      # y = [1, 1]; (0 + 0.5) + (0.5 + 2) over 2
    assert float(parts["losses/v"]) == pytest.approx(0.425)    # u = [-0.5, 1]: 0.2 * 0.25 + 0.8 * 1 over 2
    assert loss.item() == pytest.approx(1.925)


def test_expectile_and_next_values(T):
    assert expectile_loss(T([-2.0, 3.0]), 0.9).tolist() == pytest.approx([0.4, 8.1])
    v = T([[10.0, 20.0, 30.0, 40.0]])
    idx = T([[1, 3, -1, -1]])
    assert next_values(v, idx, T([5.0]), T([True])).tolist() == [[20, 40, 5, 5]]
    assert next_values(v, idx, T([5.0]), T([False])).tolist() == [[20, 40, 0, 0]]


def test_ppo_loss_clips_policy_and_value(T, device):
    logp = T([[math.log(1.5), math.log(0.5)]])
    zeros = torch.zeros(1, 2, device=device)
    loss, parts = ppo_loss(logp, zeros, T([[1.0, -1.0]]), T([[1.0, 0.0]]), zeros,
                           T([[2.0, 1.0]]), T([[1.0, 1.0]]), clip=0.2, value_clip=0.2, value_coef=0.5, denom=2.0)
    assert parts["losses/policy"] == pytest.approx(-0.2)   # (-1.2 + 0.8) / 2
    assert parts["losses/value"] == pytest.approx(1.06)    # (0.5 * 3.24 + 0.5 * 1) / 2
    assert loss.item() == pytest.approx(0.33)
    assert parts["charts/clip_frac"] == pytest.approx(1.0)


def test_gae(T):
    adv, ret = gae(T([1.0, 0.0, 2.0]), T([0.5, 1.0, 0.0]), gamma=0.9, lam=0.5)
    assert adv.tolist() == pytest.approx([1.355, -0.1, 2.0])
    assert ret.tolist() == pytest.approx([1.855, 0.9, 2.0])


def test_filtered_selection():
    eps = [Episode("t-v0", i, ["o\n", "a\n", "o\n"], [False, True, False], [float(i % 4)], [0],
                   terminated=i % 2 == 0) for i in range(8)]
    assert [e.seed for e in filter_episodes(eps, top_fraction=0.25, success_only=False)] == [3, 7]
    assert [e.seed for e in filter_episodes(eps, top_fraction=1.0, success_only=True)] == [0, 2, 4, 6]


def test_bc_non_action_weight_adds_the_mean_observation_loss(device):
    from lmrl_algos.bc import BC, BCConfig
    from lmrl_algos.common.mdp import build_episode, collate
    from lmrl_algos.models import LMWithHeads, build_tiny_model, build_tiny_tokenizer

    ep = Episode("toy-v0", 0, ["where am i\n", "go left\n", "a wall\n", "go up\n"], [False, True, False, True],
                 [0.0, 1.0], [0, 0], terminated=True)
    tok = build_tiny_tokenizer(ep.texts, vocab_size=280)
    model = LMWithHeads(build_tiny_model(tok, n_layer=1, n_embd=16, n_head=2)).to(device)
    batch = {k: v.to(device) for k, v in collate(build_episode(ep, tok, gamma=1.0, max_length=64),
                                                 tok.pad_token_id).items()}
    mask, real = batch["mask"], batch["attention_mask"][:, 1:].float()
    with torch.no_grad():
        nll = torch.nn.functional.cross_entropy(model(input_ids=batch["input_ids"])["logits"][:, :-1].transpose(1, 2),
                                                batch["targets"], reduction="none")
    act = float((nll * mask).sum() / mask.sum())
    other = float((nll * (real - mask)).sum() / (real - mask).sum())
    plain, _ = BC().loss(model, batch, BCConfig(), denom=float(mask.sum()))
    mixed, parts = BC().loss(model, batch, BCConfig(non_action_weight=0.5), denom=float(mask.sum()))
    assert plain.item() == pytest.approx(act, rel=1e-5)
    assert float(parts["losses/non_action"]) == pytest.approx(other, rel=1e-5)
    assert mixed.item() == pytest.approx(act + 0.5 * other, rel=1e-5)
    assert other > 0.5  # an untrained model: the observation term is not negligible
