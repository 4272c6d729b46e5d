"""ArCHer (online): an utterance-level off-policy critic and a token-level policy-gradient actor.

ArCHer (Zhou et al. 2024, "ArCHer: Training Language Model Agents via Hierarchical Multi-Turn RL") splits the
problem at the utterance: a critic learns Q and V of whole actions (env steps) by TD from a replay buffer, and the
LM is trained token by token with the critic's advantage of the action each token belongs to.

Networks. The actor is the run's LM (started from ``--init``, a BC checkpoint). The critic is a separate network:
a copy of the starting LM's trunk with three scalar heads (`lmrl_algos.models.LMWithHeads` with ``n_scalar=2`` Q
heads and its V head), run once over an episode segment as `build_mdp` lays it out (the tokens the policy sampled,
``use_action_tokens=True``). With action t covering tokens ``first..last`` of a segment:

* V(s_t) is read at token ``first - 1`` (the last token of the state before the action);
* Q_i(s_t, a_t) at token ``last`` (the action's last token: the state and the whole action read);
* V(s_{t+1}) at the token before action t + 1 in the segment, or at the last token of the next segment's prefix
  (``Segment.next_prefix``), which for an episode cut by the step limit is the state it was cut in; 0 after a
  terminated episode. Truncation bootstraps, as `build_mdp` has it for ILQL.

A target critic follows the critic by Polyak averaging (``target <- (1 - tau) target + tau critic`` after every
critic step).

Each round:

1. play ``--n-rollouts`` episodes with the current policy, sampling (`OnlineRun.collect`); add them to the replay
   buffer, the last ``--buffer-size`` episodes (FIFO; with ``--data`` and ``--warm-start-episodes N`` it starts
   with N episodes of the offline dataset);
2. ``--critic-steps`` critic updates, each on ``--batch-size`` segments drawn uniformly from the buffer (a generator
   seeded by the seed and the round), minimising over the minibatch's actions (gamma per action)

       (Q_1 - y)^2 + (Q_2 - y)^2 + (V - min_i Q_i^target(s_t, a_t))^2,    y = r_t + gamma V^target(s_{t+1});

3. after ``--critic-warmup-rounds`` rounds, the actor update on this round's episodes: every token of action t gets
   ``A_t = min_i Q_i(s_t, a_t) - V(s_t)`` from the critic (not the target; detached), whitened over the round's
   tokens (``--normalize-advantages``, on by default; see the field), and ``--epochs`` passes of minibatches
   minimise GRPO's loss (`grpo_loss`): ``-min(ratio A, clip(ratio) A)`` averaged over the minibatch's action
   tokens, with ratio = pi / pi_old of the sampled token (pi_old: the policy that played the round), plus
   ``kl_coef`` x k3 KL to the initial policy (a frozen copy, `OnlineRun.frozen_reference`; off by default). At the
   first minibatch the ratio is 1 and the gradient is plain policy gradient, ``-A grad log pi``.

The critic has its own AdamW (``--critic-lr``, constant: ``--warmup-steps`` applies to the actor). The checkpoint
holds, beside the actor, the critic (``critic.*`` in ``extra.safetensors``), the target (``critic_target.*``), the
critic's optimiser state (``critic_opt.*``) and the buffer (``buffer``: its episodes as JSON lines, in a uint8
tensor), so ``--resume`` continues with the uninterrupted run's numbers. Under torchrun every rank holds the whole
round and the buffer; both networks' gradients are averaged over the ranks (`OnlineRun.optimizer_step`).

Differences from the paper (and its code, github.com/YifeiZhou02/ArCHer):

* The critic is a copy of the actor's starting LM (a causal decoder reading state and action as one sequence);
  the paper's is a separate pretrained encoder (RoBERTa) embedding state and action apart, with two Q and two V
  MLP heads. Here one V head.
* The V target is ``min_i Q_i^target`` at the buffer's action a_t; the paper samples a fresh action from the actor
  at s_t for it, which costs a generation for every buffer state of every critic step. V then estimates the value
  of the buffer's (older) policies rather than of the current one.
* The actor learns from the round's fresh rollouts (on-policy states and actions, no extra generation); the paper
  samples buffer states and generates fresh actions there. Its loss is the utterance's summed log-probability
  times A, averaged over utterances; here a token mean, with the ratio clip, optional KL, and whitened advantages.
* An episode cut by the step limit bootstraps from the state it was cut in; the paper's done flag ends it there.
* Optional warm start of the buffer from the offline dataset (issue 15).

Example:
    $ lmrl-algos train archer --env maze-fo-v0 --init runs/bc --data maze.jsonl --out runs/archer --preset maze

    >>> y, target_v = critic_targets(torch.tensor([0.0, -1.0]), torch.tensor([-2.0, 0.0]),
    ...                              torch.tensor([-1.0, -3.0]), torch.tensor([-1.5, -2.0]), gamma=0.5)
    >>> y.tolist(), target_v.tolist()
    ([-1.0, -1.0], [-1.5, -3.0])
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import torch

import lmrl_envs
from lmrl_algos.checkpoint import load_optimizer_tensors, optimizer_tensors
from lmrl_algos.common.config import ConfigError, OnlineConfig
from lmrl_algos.common.mdp import MDPError, Segment, build_episode, build_mdp, collate, next_prefix_values
from lmrl_algos.common.online import OnlineRun
from lmrl_algos.grpo import clipped_updates, token_logp
from lmrl_algos.models import LMWithHeads

__all__ = ["ArCHerConfig", "advantages", "collate_utterances", "critic_loss", "critic_targets", "train",
           "utterance_values"]

CRITIC, TARGET, OPT, BUFFER = "critic.", "critic_target.", "critic_opt.", "buffer"
"""Names of the critic's tensors in a checkpoint's ``extra.safetensors``."""


@dataclass(frozen=True)
class ArCHerConfig(OnlineConfig):
    """ArCHer: utterance-level double-Q critic off-policy from a replay buffer, token-level policy gradient."""

    gamma: float = 0.95
    """Discount per action (utterance, env step) of the critic's TD targets."""
    critic_lr: float = 1e-4
    """Learning rate of the critic (its own AdamW, constant)."""
    critic_steps: int = 50
    """Critic updates per round, each on --batch-size segments drawn uniformly from the replay buffer."""
    critic_warmup_rounds: int = 0
    """First rounds in which only the critic trains (the actor keeps the --init policy)."""
    tau: float = 0.01
    """Target critic update after every critic step: target <- (1 - tau) target + tau critic."""
    buffer_size: int = 256
    """Episodes in the replay buffer (the last ones; at least --n-rollouts)."""
    warm_start_episodes: int = 0
    """Episodes of --data the buffer starts with (drawn by the seed; 0: none)."""
    mlp_heads: bool = True
    """The critic's Q and V heads are 2-layer MLPs (n_embd -> n_embd -> 1, ReLU) instead of Linear layers."""
    epochs: int = 1
    """Actor passes over each round's episodes (minibatches of --batch-size segments)."""
    clip: float = 0.2
    """Policy ratio clip range of the actor loss."""
    kl_coef: float = 0.0
    """Weight of the k3 KL estimate to the initial policy in the actor loss (0: off, no reference copy kept)."""
    normalize_advantages: bool = True
    """Whiten the round's token advantages ((A - mean) / std, as PPO); off: the critic's own scale, as the paper.
    While the values still move, V lags Q and every action's A shares a negative bias, which pushes down every
    sampled token and moves mass to never-sampled ones (invalid actions): on the trap task of the tests the actor
    collapsed to them without whitening."""

    def validate(self) -> None:
        super().validate()
        checks = [
            (0 < self.critic_lr <= 1, f"--critic-lr must be in (0, 1], got {self.critic_lr}"),
            (self.critic_steps >= 1, f"--critic-steps must be >= 1, got {self.critic_steps}"),
            (self.critic_warmup_rounds >= 0, "--critic-warmup-rounds must be >= 0"),
            (0 < self.tau <= 1, f"--tau must be in (0, 1], got {self.tau}"),
            (self.buffer_size >= self.n_rollouts,
             f"--buffer-size ({self.buffer_size}) must be >= --n-rollouts ({self.n_rollouts}): it holds a round"),
            (0 <= self.warm_start_episodes <= self.buffer_size,
             f"--warm-start-episodes must be in [0, --buffer-size ({self.buffer_size})], got "
             f"{self.warm_start_episodes}"),
            (self.epochs >= 1, "--epochs must be >= 1"),
            (self.clip >= 0, "--clip must be >= 0"),
            (self.kl_coef >= 0, "--kl-coef must be >= 0"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ConfigError(msg)


def critic_targets(reward, next_v, target_q1, target_q2, *, gamma):
    """The TD targets of the critic's heads: ``(r + gamma V^target(s'), min_i Q_i^target(s, a))`` with ``next_v``
    0 after a terminal action (see the module example)."""
    return reward + gamma * next_v, torch.minimum(target_q1, target_q2)


def advantages(q1: torch.Tensor, q2: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """The actor's advantage of each action: ``min(Q_1, Q_2) - V``.

    Example:
        >>> advantages(torch.tensor([1.0, -2.0]), torch.tensor([0.5, -1.0]), torch.tensor([0.0, -1.0])).tolist()
        [0.5, -1.0]
    """
    return torch.minimum(q1, q2) - v


def critic_loss(values: dict[str, torch.Tensor], y: torch.Tensor, target_v: torch.Tensor):
    """Mean squared TD errors of both Q heads onto `y` and of V onto `target_v`; returns ``(loss, parts)``."""
    q = ((values["q1"] - y) ** 2).mean() + ((values["q2"] - y) ** 2).mean()
    v = ((values["v"] - target_v) ** 2).mean()
    return q + v, {"losses/q": q.detach(), "losses/v": v.detach(), "charts/q_mean": values["q1"].detach().mean(),
                   "charts/v_mean": values["v"].detach().mean()}


def collate_utterances(segments: Sequence[Segment], pad_id: int) -> dict[str, torch.Tensor]:
    """`collate`'s batch plus, per action of the segments (N, in segment then action order): ``row``, ``v_at``
    (token before the action), ``q_at`` (its last token), ``next_at`` (token before the segment's next action; -1
    for its last action) and ``reward``.

    Example:
        >>> seg = Segment([0, 5, 6, 7, 8, 9], [0, 0, 1, 0, 1, 1], [0.0, 0.0, -1.0, 0.0, 0.0, 2.0], [0.0] * 6,
        ...               [-1] * 6, None, spans=[(2, 2), (4, 5)])
        >>> b = collate_utterances([seg], pad_id=0)
        >>> b["v_at"].tolist(), b["q_at"].tolist(), b["next_at"].tolist(), b["reward"].tolist()
        ([1, 3], [2, 5], [3, -1], [-1.0, 2.0])
    """
    batch = collate(segments, pad_id)
    fields: dict[str, list] = {"row": [], "v_at": [], "q_at": [], "next_at": [], "reward": []}
    for b, seg in enumerate(segments):
        for k, (first, last) in enumerate(seg.spans):
            if first < 1:
                raise MDPError("an action starts at the first token of its segment: the critic reads V(s) at the "
                               "token before it; use a tokenizer with a bos token")
            fields["row"].append(b)
            fields["v_at"].append(first - 1)
            fields["q_at"].append(last)
            fields["next_at"].append(seg.spans[k + 1][0] - 1 if k + 1 < len(seg.spans) else -1)
            fields["reward"].append(seg.rewards[last])
    batch.update({k: torch.tensor(v, dtype=torch.float32 if k == "reward" else torch.long) for k, v in fields.items()})
    return batch


def utterance_values(critic, batch: dict[str, torch.Tensor], *, next_state: bool = False) -> dict[str, torch.Tensor]:
    """The critic's ``q1``, ``q2`` (at each action's last token) and ``v`` (at the token before it), (N,) floats in
    `collate_utterances` order; with `next_state` also ``next_v``, V of the state after the action (0 after a
    terminal one). The trunk runs once over the segments, the heads only at the positions read."""
    ids, row = batch["input_ids"], batch["row"]
    sel = torch.zeros_like(ids, dtype=torch.bool)
    sel[row, batch["v_at"]] = True
    sel[row, batch["q_at"]] = True
    out = critic(input_ids=ids, attention_mask=batch["attention_mask"], select=sel)
    index = sel.flatten().cumsum(0).view_as(sel) - 1  # position -> its row in the selected outputs
    q_idx = index[row, batch["q_at"]]
    values = {"q1": out["scalar"][0][q_idx].float(), "q2": out["scalar"][1][q_idx].float(),
              "v": out["v"][index[row, batch["v_at"]]].float()}
    if next_state:
        nxt = batch["next_at"]
        inside = values["v"].new_zeros(len(row))
        inside[nxt >= 0] = out["v"][index[row[nxt >= 0], nxt[nxt >= 0]]].float()
        boot = next_prefix_values(critic, batch)  # the state after the segment
        values["next_v"] = torch.where(nxt >= 0, inside, boot[row])
    return values


class _Critic:
    """The critic, its target, optimiser and the replay buffer of one run."""

    def __init__(self, run: OnlineRun, cfg: ArCHerConfig):
        self.run, self.cfg = run, cfg
        with torch.random.fork_rng(devices=[]):  # the heads' init leaves the run's random stream alone
            torch.manual_seed(cfg.seed)
            self.net = LMWithHeads(copy.deepcopy(run.model.lm), v_head=True, n_scalar=2,
                                   mlp=cfg.mlp_heads).to(run.device)
        self.net.forward_context = run.precision
        self.target = copy.deepcopy(self.net).requires_grad_(False).eval()
        self.opt = torch.optim.AdamW([p for p in self.net.parameters() if p.requires_grad], lr=cfg.critic_lr,
                                     betas=(0.9, 0.95), eps=1e-8, weight_decay=cfg.weight_decay)
        self.buffer: deque[list[Segment]] = deque(maxlen=cfg.buffer_size)
        """The segments of each buffered episode, oldest first."""
        self.episodes: deque[lmrl_envs.Episode] = deque(maxlen=cfg.buffer_size)
        extra = run.resumed.get("extra") or {}
        if run.resumed:
            if BUFFER not in extra:
                raise ConfigError(f"--resume: {run.out / 'checkpoint'} holds no ArCHer critic and replay buffer "
                                  "(extra.safetensors); train again into a new --out")
            self.net.load_state_dict({k.removeprefix(CRITIC): v for k, v in extra.items() if k.startswith(CRITIC)})
            self.target.load_state_dict({k.removeprefix(TARGET): v for k, v in extra.items() if k.startswith(TARGET)})
            load_optimizer_tensors(self.opt, extra, OPT)
            lines = extra[BUFFER].cpu().numpy().tobytes().decode("utf-8").splitlines()
            self.add([lmrl_envs.Episode.from_json(line) for line in lines])

    def add(self, episodes: Sequence[lmrl_envs.Episode]) -> None:
        for ep in episodes:
            self.episodes.append(ep)
            self.buffer.append(build_episode(ep, self.run.tok, gamma=self.cfg.gamma, max_length=self.cfg.max_length,
                                             use_action_tokens=True))

    def batch(self, segments: Sequence[Segment]) -> dict[str, torch.Tensor]:
        return {k: v.to(self.run.device) for k, v in collate_utterances(segments, self.run.tok.pad_token_id).items()}

    def update(self) -> dict[str, float]:
        """--critic-steps TD updates on minibatches of the buffer; the round's mean losses and values."""
        cfg, run = self.cfg, self.run
        segments = [s for segs in self.buffer for s in segs]
        draw = torch.Generator().manual_seed(cfg.seed * 1_000_003 + run.round)
        picks = torch.randint(len(segments), (cfg.critic_steps, cfg.batch_size), generator=draw).tolist()
        sums: dict[str, float] = {}
        for pick in picks:
            batch = self.batch([segments[i] for i in pick])
            with torch.no_grad():
                t = utterance_values(self.target, batch, next_state=True)
                y, target_v = critic_targets(batch["reward"], t["next_v"], t["q1"], t["q2"], gamma=cfg.gamma)
            loss, parts = critic_loss(utterance_values(self.net, batch), y, target_v)
            run.optimizer_step(loss, self.net, self.opt)
            with torch.no_grad():
                torch._foreach_lerp_(list(self.target.parameters()), [p.detach() for p in self.net.parameters()],
                                     cfg.tau)
            for k, v in parts.items():
                sums[k] = sums.get(k, 0.0) + float(v) / cfg.critic_steps
        return {**sums, "charts/buffer": len(self.buffer)}

    def extra(self) -> dict[str, torch.Tensor]:
        text = "".join(ep.to_json() + "\n" for ep in self.episodes).encode("utf-8")
        return {**{CRITIC + k: v for k, v in self.net.state_dict().items()},
                **{TARGET + k: v for k, v in self.target.state_dict().items()},
                **optimizer_tensors(self.opt, OPT), BUFFER: torch.frombuffer(bytearray(text), dtype=torch.uint8)}


def _warm_start(run: OnlineRun, cfg: ArCHerConfig) -> list[lmrl_envs.Episode]:
    """--warm-start-episodes episodes of --data, drawn by the seed, in data order."""
    n, data = cfg.warm_start_episodes, run.episodes
    if n > len(data):
        raise ConfigError(f"--warm-start-episodes {n}: --data holds only {len(data)} episodes; pass at most that")
    pick = torch.randperm(len(data), generator=torch.Generator().manual_seed(cfg.seed))[:n].sort().values
    return [data[i] for i in pick.tolist()]


def train(cfg: ArCHerConfig, *, model=None, tokenizer=None, episodes=None, callbacks=()):
    """Train ArCHer; returns the checkpoint directory. The keyword arguments: see `lmrl_algos.train`."""
    cfg.validate()
    if cfg.warm_start_episodes and not cfg.data and episodes is None:
        raise ConfigError("--warm-start-episodes needs --data (the offline dataset the buffer starts with)")
    run = OnlineRun("archer", cfg, {}, model=model, tokenizer=tokenizer, episodes=episodes, callbacks=callbacks)
    critic = _Critic(run, cfg)
    if not run.resumed and cfg.warm_start_episodes:
        critic.add(_warm_start(run, cfg))
    ref, ref_extra = run.frozen_reference() if cfg.kl_coef else (None, dict)
    pad = run.tok.pad_token_id
    metrics: dict = {}
    while not run.done:
        episodes = run.collect()
        critic.add(episodes)
        metrics = critic.update()
        if run.round >= cfg.critic_warmup_rounds:
            metrics.update(_actor_update(run, cfg, critic, ref, episodes, pad))
        returns = [ep.total_return for ep in episodes]
        metrics.update({"charts/return": sum(returns) / len(returns),
                        "charts/success": sum(ep.success for ep in episodes) / len(episodes)})
        run.end_round(metrics, lambda: {**ref_extra(), **critic.extra()})
    return run.finish(f"last round return {metrics.get('charts/return', float('nan')):.3f}")


def _actor_update(run: OnlineRun, cfg: ArCHerConfig, critic: _Critic, ref, episodes, pad) -> dict[str, float]:
    """Score the round (old and reference log-probs, the critic's advantages), then --epochs of the clipped PG."""
    segs = build_mdp(episodes, run.tok, gamma=cfg.gamma, max_length=cfg.max_length, use_action_tokens=True)
    rows: list[dict[str, torch.Tensor]] = []
    with torch.no_grad():
        for i in range(0, len(segs), cfg.batch_size):
            chunk = segs[i:i + cfg.batch_size]
            batch = critic.batch(chunk)
            sizes = batch["mask"].sum(1).long().tolist()
            logp = token_logp(run.model, batch).split(sizes)
            ref_logp = token_logp(ref, batch).split(sizes) if ref is not None else [None] * len(sizes)
            adv = advantages(**utterance_values(critic.net, batch))
            lengths = torch.tensor([last - first + 1 for s in chunk for first, last in s.spans], device=adv.device)
            token_adv = adv.repeat_interleave(lengths).split(sizes)
            rows += [{"logp": a, "ref": b, "adv": c} for a, b, c in zip(logp, ref_logp, token_adv, strict=True)]
    all_adv = torch.cat([row["adv"] for row in rows])
    metrics = {"charts/adv_abs": float(all_adv.abs().mean()), "charts/adv_mean": float(all_adv.mean())}
    if cfg.normalize_advantages and len(all_adv) > 1:
        mean, std = all_adv.mean(), all_adv.std().clamp(min=1e-8)
        for row in rows:
            row["adv"] = (row["adv"] - mean) / std
    metrics.update(clipped_updates(run, segs, rows, ref, pad))
    if ref is not None:
        d = torch.cat([row["ref"] - row["logp"] for row in rows])
        metrics["charts/kl"] = float((torch.exp(d) - d - 1).mean())
    return metrics
