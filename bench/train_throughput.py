"""Training throughput of each lmrl-algos trainer step against a bare forward+backward loop.

Same model (``--model tiny`` sizes), same batch of maze-fo segments, same optimiser. The bare loop
is ``lm(ids) -> cross-entropy on all tokens -> backward -> AdamW step``; each trainer row runs the
algorithm's own loss (heads, target network, bootstrap forward) and after-step hook. PPO's row is
its update step only (rollouts and scoring excluded). Prints a table and writes JSON.

Usage:
    python bench/train_throughput.py --steps 20 --batch-size 32 --out bench/train_throughput.json
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


def timed(fn, steps: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    t = time.perf_counter()
    for _ in range(steps):
        fn()
    return (time.perf_counter() - t) / steps


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default="bench/train_throughput.json")
    args = p.parse_args()
    torch.manual_seed(0)
    tok, batch = maze_batch(args.batch_size)
    batch = {k: v.to(args.device) for k, v in batch.items()}
    n_tokens = int(batch["attention_mask"].sum())
    denom = float(batch["mask"].sum())
    rows = {}

    base = build_tiny_model(tok).to(args.device)
    opt, _ = make_optimizer(base, BCConfig())

    def bare():
        logits = base(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        loss = torch.nn.functional.cross_entropy(logits[:, :-1].transpose(1, 2), batch["targets"])
        opt.zero_grad()
        loss.backward()
        opt.step()

    rows["bare forward+backward"] = timed(bare, args.steps)
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

        rows[algo.name] = timed(step, args.steps)

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

    rows["ppo (update only)"] = timed(ppo_step, args.steps)
    bare_s = rows["bare forward+backward"]
    result = {name: {"s_per_step": s, "tokens_per_s": n_tokens / s, "ratio_to_bare": bare_s / s}
              for name, s in rows.items()}
    print(f"batch {args.batch_size} segments, {n_tokens} tokens, device {args.device}, {args.steps} steps")
    print(f"{'trainer':24s} {'ms/step':>9s} {'tokens/s':>10s} {'vs bare':>8s}")
    for name, r in result.items():
        print(f"{name:24s} {1000 * r['s_per_step']:9.1f} {r['tokens_per_s']:10.0f} {r['ratio_to_bare']:8.2f}")
    with open(args.out, "w") as f:
        json.dump({"batch_size": args.batch_size, "tokens": n_tokens, "device": args.device, "rows": result}, f, indent=1)


if __name__ == "__main__":
    main()
