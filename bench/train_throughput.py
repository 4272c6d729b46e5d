"""Training throughput of each lmrl-algos trainer step against a bare forward+backward loop.

Same model (``--model tiny`` sizes), same batch of maze-fo segments, same optimiser. The bare loop
is ``lm(ids) -> cross-entropy on all tokens -> backward -> AdamW step``; each trainer row runs the
algorithm's own loss (heads, target network, bootstrap forward) and after-step hook. PPO's row is
its update step only (rollouts and scoring excluded). Prints a table and writes JSON.

The trainers run the trunk once and their LM / value heads only at the positions a loss reads (the
action-predicting tokens, `LMWithHeads(select=...)`), so bc and mc can match or beat the bare loop,
which computes logits everywhere. ILQL also runs two gradient-free trunk forwards per step (the
target network, and the next chained segment's prefix for the bootstrap V): with a forward costing
about a third of forward+backward, ~0.6 of the bare loop is its ceiling.

Rows are timed round-robin (`--repeats` rounds of `--steps` steps each) and the median round is
reported, so load from other processes on a shared machine hits every row alike.

Usage:
    python bench/train_throughput.py --steps 20 --batch-size 32 --threads 1 --out bench/train_throughput.json
"""

from __future__ import annotations

import argparse
import json
import random
import time

import torch

import lmrl_envs
from lmrl_algos.bc import BC, BCConfig
from lmrl_algos.common.mdp import build_mdp, collate
from lmrl_algos.common.trainer import make_optimizer
from lmrl_algos.ilql import ILQL, ILQLConfig
from lmrl_algos.mc import MC, MCConfig
from lmrl_algos.models import LMWithHeads, build_tiny_model, build_tiny_tokenizer
from lmrl_algos.ppo import PPOConfig, ppo_loss
from lmrl_envs.tasks.maze import ACTIONS, shortest_path_policy


def maze_batch(batch_size: int, seed: int = 0):
    rng = random.Random(seed)
    pol = lambda hs: [a if rng.random() < 0.5 else rng.choice(list(ACTIONS)) for a in shortest_path_policy(hs)]  # noqa: E731
    eps = lmrl_envs.rollout([lmrl_envs.make("maze-fo") for _ in range(8)], pol, 16, seed=seed)
    tok = build_tiny_tokenizer([t for ep in eps for t in ep.texts])
    segs = build_mdp(eps, tok, gamma=0.99, max_length=256)
    return tok, collate(segs[:batch_size], tok.pad_token_id)


def timed(fn, steps: int) -> float:
    t = time.perf_counter()
    for _ in range(steps):
        fn()
    return (time.perf_counter() - t) / steps


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--device", default="cpu")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    p.add_argument("--out", default="bench/train_throughput.json")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    tok, batch = maze_batch(args.batch_size)
    batch = {k: v.to(args.device) for k, v in batch.items()}
    n_tokens = int(batch["attention_mask"].sum())
    denom = float(batch["mask"].sum())
    fns = {}

    base = build_tiny_model(tok).to(args.device)
    opt, _ = make_optimizer(base, BCConfig())

    def bare():
        logits = base(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        loss = torch.nn.functional.cross_entropy(logits[:, :-1].transpose(1, 2), batch["targets"])
        opt.zero_grad()
        loss.backward()
        opt.step()

    fns["bare forward+backward"] = bare
    for algo, cfg in ((BC(), BCConfig()), (MC(), MCConfig()), (ILQL(), ILQLConfig())):
        model = LMWithHeads(build_tiny_model(tok), **algo.head_kwargs(cfg)).to(args.device)
        algo.setup(model, cfg)
        o, _ = make_optimizer(model, cfg)

        def step(algo=algo, model=model, cfg=cfg, o=o):
            loss, _ = algo.loss(model, batch, cfg, denom)
            o.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            o.step()
            algo.after_step(model, cfg)

        fns[algo.name] = step

    model = LMWithHeads(build_tiny_model(tok), v_head=True, mlp=False).to(args.device)
    o, _ = make_optimizer(model, PPOConfig())
    zeros = torch.zeros_like(batch["mask"])

    def ppo_step():
        out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        logp = torch.log_softmax(out["logits"][:, :-1].float(), -1).gather(-1, batch["targets"].unsqueeze(-1)).squeeze(-1)
        loss, _ = ppo_loss(logp, logp.detach(), batch["returns"], out["v"][:, :-1], zeros, batch["returns"],
                           batch["mask"], clip=0.2, value_clip=0.2, value_coef=1.0, denom=denom)
        o.zero_grad()
        loss.backward()
        o.step()

    fns["ppo (update only)"] = ppo_step
    for fn in fns.values():  # warm-up
        fn()
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(args.repeats):
        for name, fn in fns.items():
            times[name].append(timed(fn, args.steps))
    rows = {name: sorted(t)[len(t) // 2] for name, t in times.items()}
    bare_s = rows["bare forward+backward"]
    result = {name: {"s_per_step": s, "tokens_per_s": n_tokens / s, "ratio_to_bare": bare_s / s}
              for name, s in rows.items()}
    print(f"batch {args.batch_size} segments, {n_tokens} tokens ({int(denom)} action tokens), device {args.device}, "
          f"threads {torch.get_num_threads()}, median of {args.repeats} rounds of {args.steps} steps")
    print(f"{'trainer':24s} {'ms/step':>9s} {'tokens/s':>10s} {'vs bare':>8s}")
    for name, r in result.items():
        print(f"{name:24s} {1000 * r['s_per_step']:9.1f} {r['tokens_per_s']:10.0f} {r['ratio_to_bare']:8.2f}")
    with open(args.out, "w") as f:
        json.dump({"batch_size": args.batch_size, "tokens": n_tokens, "device": args.device, "rows": result}, f, indent=1)


if __name__ == "__main__":
    main()
