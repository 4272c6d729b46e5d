"""The batched KV-cache rollout: same actions as a naive loop, no lost episodes, training sees the generated ids.

Models and caches live on the test device (`device` fixture, ``$LMRL_TEST_DEVICE``). Logits are compared with a
tolerance that depends on the device (`_TOL`). Actions (greedy and sampled) are compared exactly on every device:
on CUDA a batched kernel rounds differently from a one-row one (about 1e-6 here), which flips a token only at a
near-tie of two logits or at a sampling threshold; with these random tiny models that is rare, and it is the first
thing to rule out if one of these tests fails on a GPU only.
"""

from __future__ import annotations

import functools

import pytest
import torch

import lmrl_envs
from lmrl_algos.common.kv_cache import RowCache
from lmrl_algos.common.mdp import build_mdp, encode_pieces, join_pieces
from lmrl_algos.models import LMWithHeads, build_tiny_model, build_tiny_tokenizer, newline_id
from lmrl_algos.policy import LMPolicy
from lmrl_envs import EpisodeSpec, StepResult, TextEnv


class EchoEnv(TextEnv):
    """Full history, seeded observations: "say a b c:" then random letter pairs; reward 1 for the asked text."""

    max_steps = 5

    def _reset(self, options):
        self.target = " ".join(self.rng.choice("abcdef") for _ in range(3)) + "\n"
        return f"say {self.target.strip()}:\n", {}

    def _step(self, action):
        hit = action == self.target
        return StepResult(f"{self.rng.choice('abcdef')} {self.rng.choice('ghij')}\n", float(hit), terminated=hit,
                          info={"success": True} if hit else {})


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One torch thread: on a shared 2-core machine more threads spin instead of working."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


_TOL = {"cpu": 1e-5, "cuda": 1e-4}
"""atol = rtol of the logit comparisons, by device: CUDA kernels (another attention backend, other reduction orders
for other batch shapes and cache lengths) round differently from the CPU's, so a cached and a plain forward agree
less closely there."""

if "test-echo-v0" not in lmrl_envs.list_envs():
    lmrl_envs.register("test-echo-v0", EchoEnv)


def _setup(env_id, device, seed=0):
    texts = ["Count:\n", "up\n", "down\n", "ok\n", "no\n", "Win\n", "move up\n", "move left\n", "say a b c:\n"]
    probe = lmrl_envs.make(env_id)
    for s in range(4):
        obs, _ = probe.reset(seed=s)
        texts.append(obs)
    tok = build_tiny_tokenizer(texts, vocab_size=320)
    lm = build_tiny_model(tok, n_layer=2, n_embd=32, n_head=2, seed=seed)
    with torch.random.fork_rng(devices=[]):  # an untied random LM head, so greedy actions vary with the context
        torch.manual_seed(seed)
        lm.lm_head.weight = torch.nn.Parameter(torch.randn_like(lm.lm_head.weight))
    return LMWithHeads(lm).to(device).eval(), tok


def _envs(env_id, n, max_steps):
    envs = [lmrl_envs.make(env_id) for _ in range(n)]
    for e in envs:
        e.max_steps = max_steps  # short episodes keep the test quick
    return envs


@torch.no_grad()
def naive_episode(env, model, tok, seed, *, budget, max_length, device):
    """The reference: one env, the whole prompt re-encoded and re-run for every token (no cache at all).

    Observations are encoded piecewise, the agent's own actions are the ids it generated.
    """
    stop = newline_id(tok)
    obs, _ = env.reset(seed=seed)
    pieces = encode_pieces(tok, [obs])  # aligned with env.episode_texts
    actions, done = [], False
    while not done:
        prompt = join_pieces(tok, pieces[env.history_start:], max_length - budget)
        new = []
        for _ in range(budget):
            logits = model(torch.tensor([prompt + new], device=device))["logits"][0, -1]
            new.append(int(logits.argmax()))
            if new[-1] == stop:
                break
        text = tok.decode(new, skip_special_tokens=True).removesuffix("\n") + "\n"
        ids = new if new[-1] == stop else new + [stop]
        actions.append(ids)
        obs, _, term, trunc, _ = env.step(text)
        pieces += [ids, *encode_pieces(tok, [obs])]
        done = term or trunc
    return [t.text for t in env.episode_texts], actions


@pytest.mark.parametrize(("env_id", "max_length"), [("maze-fo", 256), ("test-echo", 256), ("test-echo", 24)])
def test_batched_kv_rollout_matches_naive_loop(env_id, max_length, device):
    """maze-fo rebuilds every turn (history = current observation); test-echo keeps the full history
    (appends), and with max_length 24 the prompt is cut from the left mid-episode (rebuilds)."""
    model, tok = _setup(env_id, device)
    budget = 4
    policy = LMPolicy(model, tok, device=device, greedy=True, max_new_tokens=budget, max_length=max_length,
                      record_tokens=True)
    eps = lmrl_envs.rollout(_envs(env_id, 4, 5), policy, 9, seed=100)
    ref_env = _envs(env_id, 1, 5)[0]
    for ep in eps:
        texts, actions = naive_episode(ref_env, model, tok, ep.seed, budget=budget, max_length=max_length,
                                       device=device)
        assert ep.texts == texts
        assert ep.info["behaviour"]["action_tokens"] == actions
    # the comparison is not vacuous: the actions differ between episodes and turns
    assert len({ep.texts[i] for ep in eps for i in ep.action_indices}) > 3


def test_kv_cache_flag_off_gives_same_actions(device):
    model, tok = _setup("toy-count", device)
    kw = {"device": device, "greedy": True, "max_new_tokens": 3, "max_length": 64}
    a = lmrl_envs.rollout(_envs("toy-count", 3, 4), LMPolicy(model, tok, **kw), 7, seed=3)
    b = lmrl_envs.rollout(_envs("toy-count", 3, 4), LMPolicy(model, tok, kv_cache=False, **kw), 7, seed=3)
    assert [e.texts for e in a] == [e.texts for e in b]


def test_continuous_batching_returns_every_spec_once(device):
    model, tok = _setup("toy-count", device)
    specs = [EpisodeSpec(seed) for seed in (5, 9, 2, 7, 11, 3, 8, 1, 4, 6, 10)]
    policy = LMPolicy(model, tok, device=device, greedy=False, max_new_tokens=3, max_length=64, seed=1,
                      record_tokens=True)
    eps = lmrl_envs.rollout(_envs("toy-count", 4, 4), policy, specs=specs)
    assert [e.seed for e in eps] == [s.seed for s in specs]
    assert all(len(e.info["behaviour"]["action_tokens"]) == len(e.rewards) for e in eps)
    assert policy._slots == {}  # every slot's episode was closed


def test_generated_tokens_are_the_training_tokens(device):
    model, tok = _setup("toy-count", device)
    picked: list[list[int]] = []

    class Spy(LMPolicy):
        def _pick(self, scores, slots, live=None):
            tok_ = super()._pick(scores, slots, live)
            picked.append(tok_.tolist())
            return tok_

    policy = Spy(model, tok, device=device, greedy=False, max_new_tokens=4, max_length=256, seed=0, record_tokens=True)
    eps = lmrl_envs.rollout(_envs("toy-count", 1, 4), policy, 6, seed=0)
    generated = [a for ep in eps for a in ep.info["behaviour"]["action_tokens"]]
    # the recorded ids are the sampled ones (plus the stop token when the budget of 4 cut the action)
    assert [g[0] for g in picked] == [t for a in generated for t in a[:4]]
    assert all(a[-1] == newline_id(tok) for a in generated)
    segs = build_mdp(eps, tok, gamma=1.0, max_length=256, use_action_tokens=True)
    assert len(segs) == len(eps)  # full history: one segment per episode
    for seg, ep in zip(segs, eps, strict=True):
        acts = ep.info["behaviour"]["action_tokens"]
        trained = [t for t, m in zip(seg.input_ids, seg.action_mask, strict=True) if m]
        assert trained == [t for a in acts for t in a]
        obs = encode_pieces(tok, [t for t, is_a in zip(ep.texts, ep.is_action, strict=True) if not is_a])
        expected = [tok.bos_token_id] + [t for i, o in enumerate(obs[:len(acts)]) for t in o + acts[i]]
        assert seg.input_ids == expected
    # re-encoding the action texts would have trained on other tokens (sampled ids are not canonical)
    retok = build_mdp(eps, tok, gamma=1.0, max_length=256)
    assert any(a.input_ids != b.input_ids for a, b in zip(segs, retok, strict=True))


def test_row_cache_compact_keeps_the_next_token_logits(device):
    model, tok = _setup("toy-count", device)
    torch.manual_seed(0)
    cache = RowCache(3, device)
    ids = torch.randint(2, len(tok), (3, 6)).to(device)  # drawn on the CPU: the same ids on every device
    feed = torch.tensor([[0, 1, 1, 0, 1, 1], [1, 1, 1, 1, 1, 1], [0, 0, 0, 1, 0, 1]], dtype=torch.bool, device=device)
    cache.forward(model, ids, feed)
    cache.truncate([4, 0, 2])  # row 1 restarts (a new episode in its slot)
    ones = functools.partial(torch.ones, dtype=torch.bool, device=device)
    cache.forward(model, ids[:, :2], ones(3, 2))
    nxt = torch.tensor([[7], [8], [9]], device=device)
    before = cache.forward(model, nxt, ones(3, 1))["logits"][:, -1]
    cache2 = RowCache(3, device)
    cache2.forward(model, ids, feed)
    cache2.truncate([4, 0, 2])
    cache2.forward(model, ids[:, :2], ones(3, 2))
    cache2.compact()
    assert cache2.length == 6 and cache2.positions.tolist() == [6, 2, 4]
    after = cache2.forward(model, nxt, ones(3, 1))["logits"][:, -1]
    tol = _TOL[device]
    torch.testing.assert_close(before, after, atol=tol, rtol=tol)
    # and both equal a plain forward of each row's real tokens
    for r, toks in enumerate([[*ids[0, [1, 2, 4, 5]].tolist(), *ids[0, :2].tolist(), 7], [*ids[1, :2].tolist(), 8],
                              [*ids[2, [3, 5]].tolist(), *ids[2, :2].tolist(), 9]]):
        plain = model(torch.tensor([toks], device=device))["logits"][0, -1]
        torch.testing.assert_close(after[r], plain, atol=tol, rtol=tol)


def test_row_cache_compacts_once_holes_pass_a_quarter_of_the_longest_row(device):
    model, tok = _setup("toy-count", device)
    cache = RowCache(2, device)
    ids = torch.randint(2, len(tok), (2, 80)).to(device)
    feed = torch.ones(2, 80, dtype=torch.bool, device=device)
    feed[1, :] = False
    feed[1, -8:] = True  # row 1: 8 real tokens, row 0: 80
    cache.forward(model, ids, feed)
    assert not cache.maybe_compact() and cache.length == 80  # no holes beyond the longest row
    cache.forward(model, ids[:, :20], torch.tensor([[False] * 20, [True] * 20], device=device))  # 20 holes for row 0
    assert not cache.maybe_compact() and cache.length == 100  # 20 <= max(16, 80 / 4)
    cache.forward(model, ids[:, :1], torch.tensor([[False], [True]], device=device))
    assert cache.maybe_compact()  # 21 > 20
    assert cache.length == 80 and cache.positions.tolist() == [80, 29]


def test_support_p_keeps_value_guidance_inside_pi_beta_nucleus(device):
    tok = build_tiny_tokenizer(["move up\n"], vocab_size=260)
    model = LMWithHeads(build_tiny_model(tok, n_layer=1, n_embd=16, n_head=2), n_q=1)
    v = len(tok)
    logits = torch.full((2, 1, v), -20.0, device=device)
    logits[:, 0, 5], logits[:, 0, 6] = 0.0, -1.0      # pi_beta: token 5 (0.73), token 6 (0.27), the rest ~0
    q = torch.full((2, 1, v), -3.0, device=device)     # trained returns are negative ...
    q[:, 0, 9] = 0.0                                    # ... an untrained token keeps its initial 0
    out = {"logits": logits, "q": [q]}
    free = LMPolicy(model, tok, device=device, greedy=True, value_term="q", beta=10.0)
    kept = LMPolicy(model, tok, device=device, greedy=True, value_term="q", beta=10.0, support_p=0.9)
    assert free._pick(free._scores(out), [0, 1]).tolist() == [9, 9]      # beta * 3 beats pi_beta's 20 nats
    assert kept._pick(kept._scores(out), [0, 1]).tolist() == [5, 5]
    q[:, 0, 6] = 0.0                                    # inside the nucleus the value term still decides
    assert kept._pick(kept._scores(out), [0, 1]).tolist() == [6, 6]
    with pytest.raises(ValueError, match="support_p"):
        LMPolicy(model, tok, support_p=0.0)


@pytest.mark.parametrize("env_id", ["toy-count", "maze-fo"])
def test_sampled_episodes_do_not_depend_on_the_batch_size(env_id, device):
    model, tok = _setup(env_id, device)
    kw = {"device": device, "greedy": False, "max_new_tokens": 6, "max_length": 256, "seed": 3}
    if env_id == "maze-fo":
        kw |= {"rerank": True, "candidates": ["move up\n", "move down\n", "move left\n", "move right\n"]}
    else:  # a Q term that favours "\n": actions end after 1 to 6 tokens, so rows of a batch finish apart
        model = LMWithHeads(model.lm, n_q=1, mlp=False).to(device).eval()
        with torch.no_grad():
            model.q[0].net.bias[newline_id(tok)] = 8.0
        kw |= {"value_term": "q", "beta": 1.0}
    runs = [[e.texts for e in lmrl_envs.rollout(_envs(env_id, n, 6), LMPolicy(model, tok, **kw), 32, seed=11)]
            for n in (1, 7, 32)]
    assert runs[0] == runs[1] == runs[2]
    other = [e.texts for e in lmrl_envs.rollout(_envs(env_id, 3, 6), LMPolicy(model, tok, **(kw | {"seed": 4})), 7,
                                                seed=11)]
    assert other != runs[0]  # the policy's seed still matters
