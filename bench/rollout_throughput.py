"""Rollout speed of the language-model policy: batched KV-cache generation vs the naive loop.

Both sides use the same tiny model (``lmrl_algos.models.build_tiny_model``, random init, 2 layers,
128 wide, greedy decoding, at most ``--max-new-tokens`` per turn) and the same episode seeds, and are
measured side by side in one run:

* **batched**: `lmrl_algos.policy.LMPolicy` over ``--envs`` environments through `lmrl_envs.rollout`
  (KV cache kept across turns, only new tokens encoded, continuous batching);
* **naive**: one environment at a time, Hugging Face ``generate`` on the full re-encoded history
  every turn.

Reported: episodes/s and generated tokens/s per task, and the cost of one turn at turns 1, 10 and 50
on a synthetic full-history task whose episodes last ``--long-turns`` turns (for the batched side a
turn is one ``act`` call over all envs; per env it is that divided by the number of envs), averaged
over ``--long-rounds`` rounds. A turn's work depends on how many forward calls it makes (1 prefill +
1 per decoded token after the first, until every row has emitted "\n"), and a random model's greedy
action lengths swing from turn to turn, so on this task the stop token is suppressed on both sides
(every turn decodes exactly ``--max-new-tokens`` tokens, then "\n" is appended): equal work per turn,
about 13 tokens of history per turn. The table also gives the forward calls per turn and the cost per
forward call.

    python bench/rollout_throughput.py                     # ~3-5 minutes on 2 cores
    python bench/rollout_throughput.py --tasks maze-fo --episodes 64 --naive-episodes 4
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

import lmrl_envs
from lmrl_algos.common.mdp import encode_history
from lmrl_algos.models import LMWithHeads, build_tiny_model, build_tiny_tokenizer, newline_id
from lmrl_algos.policy import LMPolicy
from lmrl_envs import StepResult, TextEnv


class LongEnv(TextEnv):
    """Synthetic full-history task: a random two-letter observation per turn, `max_steps` turns, reward 0.

    The first observation is random too, so the envs' first prompts differ (identical prompts would
    make every row's first greedy action the same, and turn 1 unrepresentatively short).
    """

    max_steps = 60

    def _reset(self, options):
        return f"Go: {self.rng.choice('abcdefgh')} {self.rng.choice('ijklmnop')}\n", {}

    def _step(self, action):
        return StepResult(f"{self.rng.choice('abcdefgh')} {self.rng.choice('ijklmnop')}\n", 0.0)


def make_envs(task: str, n: int, long_turns: int) -> list[TextEnv]:
    if task == "long":
        envs = [LongEnv() for _ in range(n)]
        for e in envs:
            e.max_steps = long_turns
        return envs
    return [lmrl_envs.make(task) for _ in range(n)]


def build(tasks: list[str], long_turns: int, n_positions: int):
    texts = ["Go:\n", "a i\n", "move up\n", "Is it an animal?\n", "Yes.\n", "No.\n"]
    for task in tasks:
        env = make_envs(task, 1, long_turns)[0]
        for s in range(8):
            obs, _ = env.reset(seed=s)
            texts.append(obs)
    tok = build_tiny_tokenizer(texts)
    return LMWithHeads(build_tiny_model(tok, n_positions=n_positions)).eval(), tok


class TimedPolicy(LMPolicy):
    """LMPolicy that records the wall time and forward calls of each `act` call by turn number.

    All envs start together; with episodes of a fixed `period` turns, turn ``period + 1`` is turn 1
    of the next round.
    """

    def __init__(self, *a, period: int = 0, no_stop: bool = False, **kw):
        super().__init__(*a, **kw)
        self.no_stop = no_stop
        self.turn_times: dict[int, list[float]] = {}
        self.turn_forwards: dict[int, list[int]] = {}
        self.period = period
        self._turn = 0
        self._forwards = 0

    def act(self, histories, slots=None):
        t0 = time.perf_counter()
        out = super().act(histories, slots)
        dt = time.perf_counter() - t0
        turn = (self._turn % self.period if self.period else self._turn) + 1
        self._turn += 1
        self.turn_times.setdefault(turn, []).append(dt)
        self.turn_forwards.setdefault(turn, []).append(self._forwards)
        return out

    def _scores(self, out):
        scores = super()._scores(out)
        if self.no_stop:
            scores[:, self.stop] = float("-inf")
        return scores

    def _generate(self, slots, prompts):
        new, fed = super()._generate(slots, prompts)
        self._forwards = max(len(r) for r in new)  # 1 prefill + 1 per decoded token after the first
        return new, fed


def _mean(d: dict) -> dict:
    return {t: sum(v) / len(v) for t, v in d.items()}


def run_batched(model, tok, task, n_envs, n_episodes, args):
    policy = TimedPolicy(model, tok, greedy=True, max_new_tokens=args.max_new_tokens, max_length=args.max_length,
                         record_tokens=True, period=args.long_turns if task == "long" else 0, no_stop=task == "long")
    envs = make_envs(task, n_envs, args.long_turns)
    t0 = time.perf_counter()
    eps = lmrl_envs.rollout(envs, policy, n_episodes, seed=args.seed)
    dt = time.perf_counter() - t0
    tokens = sum(len(a) for ep in eps for a in ep.info["behaviour"]["action_tokens"])
    turns = sum(len(ep.rewards) for ep in eps)
    return {"episodes": len(eps), "seconds": dt, "episodes_per_s": len(eps) / dt, "tokens_per_s": tokens / dt,
            "turns": turns, "turn_seconds": _mean(policy.turn_times), "turn_forwards": _mean(policy.turn_forwards)}


@torch.no_grad()
def run_naive(model, tok, task, n_episodes, args):
    lm, stop = model.lm, newline_id(tok)
    env = make_envs(task, 1, args.long_turns)[0]
    turn_times: dict[int, list[float]] = {}
    turn_forwards: dict[int, list[int]] = {}
    tokens = turns = 0
    t0 = time.perf_counter()
    for i in range(n_episodes):
        env.reset(seed=args.seed + i)
        done, turn = False, 0
        while not done:
            t1 = time.perf_counter()
            prompt = encode_history(tok, [t.text for t in env.history], args.max_length - args.max_new_tokens)
            ids = torch.tensor([prompt])
            out = lm.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=args.max_new_tokens,
                              do_sample=False, eos_token_id=stop, pad_token_id=tok.pad_token_id,
                              suppress_tokens=[stop] if task == "long" else None)
            new = out[0, len(prompt):].tolist()
            if stop in new:
                new = new[:new.index(stop) + 1]
            action = tok.decode(new, skip_special_tokens=True).removesuffix("\n") + "\n"
            turn += 1
            turn_times.setdefault(turn, []).append(time.perf_counter() - t1)
            turn_forwards.setdefault(turn, []).append(len(new))
            tokens += len(new)
            turns += 1
            *_, term, trunc, _ = env.step(action)
            done = term or trunc
    dt = time.perf_counter() - t0
    return {"episodes": n_episodes, "seconds": dt, "episodes_per_s": n_episodes / dt, "tokens_per_s": tokens / dt,
            "turns": turns, "turn_seconds": _mean(turn_times), "turn_forwards": _mean(turn_forwards)}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--tasks", default="maze-fo,twenty-questions", help="comma-separated task ids (default: %(default)s)")
    p.add_argument("--envs", type=int, default=64, help="environments in the batched rollout (default 64)")
    p.add_argument("--episodes", type=int, default=128, help="episodes of the batched rollout per task (default 128)")
    p.add_argument("--naive-episodes", type=int, default=8, help="episodes of the naive loop per task (default 8)")
    p.add_argument("--max-new-tokens", type=int, default=8, help="per-turn token cap (default 8)")
    p.add_argument("--max-length", type=int, default=1024, help="prompt + action token limit (default 1024)")
    p.add_argument("--long-turns", type=int, default=60, help="turns per episode of the per-turn-cost task (>= 50)")
    p.add_argument("--long-envs", type=int, default=64, help="batched envs on the per-turn-cost task (default 64)")
    p.add_argument("--long-rounds", type=int, default=3, help="rounds of episodes averaged on the per-turn-cost task "
                   "(default 3; the naive side plays this many episodes)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1: on a loaded 2-core machine more threads spin)")
    p.add_argument("--json", default="bench/results/rollout_throughput.json", help="JSON output (default %(default)s)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    tasks = [t for t in args.tasks.split(",") if t]
    model, tok = build([*tasks, "long"], args.long_turns, n_positions=max(args.max_length, 64))
    results: dict = {"config": vars(args), "tasks": {}}
    print(f"{'task':<18}{'way':<9}{'episodes':>9}{'seconds':>9}{'episodes/s':>12}{'tokens/s':>11}{'speed-up':>10}")
    for task in tasks:
        b = run_batched(model, tok, task, args.envs, args.episodes, args)
        n = run_naive(model, tok, task, args.naive_episodes, args)
        ratio = b["episodes_per_s"] / n["episodes_per_s"]
        results["tasks"][task] = {"batched": b, "naive": n, "speedup_episodes_per_s": ratio}
        for way, r in (("batched", b), ("naive", n)):
            print(f"{task:<18}{way:<9}{r['episodes']:>9}{r['seconds']:>9.2f}{r['episodes_per_s']:>12.2f}"
                  f"{r['tokens_per_s']:>11.0f}{(f'{ratio:.1f}x' if way == 'batched' else ''):>10}")
    # per-turn cost on the long full-history task
    b = run_batched(model, tok, "long", args.long_envs, args.long_envs * args.long_rounds, args)
    n = run_naive(model, tok, "long", args.long_rounds, args)
    results["per_turn"] = {"batched": b, "naive": n}
    print(f"\nper-turn cost, full-history task ({args.long_turns} turns, mean of {args.long_rounds} rounds; "
          f"batched: one act over {args.long_envs} envs)")
    print(f"{'way':<9}{'turn 1 ms':>11}{'turn 10 ms':>12}{'turn 50 ms':>12}{'t50/t1':>8}{'ms/env t50':>12}"
          f"{'fwd t1/t10/t50':>16}{'ms/fwd t1':>11}{'ms/fwd t50':>12}{'ratio':>7}")
    for way, r, per in (("batched", b, args.long_envs), ("naive", n, 1)):
        ts, fw = r["turn_seconds"], r["turn_forwards"]
        t1, t10, t50 = (ts[k] * 1e3 for k in (1, 10, 50))
        f1, f10, f50 = (fw[k] for k in (1, 10, 50))
        results["per_turn"][way + "_ms"] = {"1": t1, "10": t10, "50": t50, "ratio_50_1": t50 / t1,
                                            "per_forward_ratio_50_1": (t50 / f50) / (t1 / f1)}
        print(f"{way:<9}{t1:>11.2f}{t10:>12.2f}{t50:>12.2f}{t50 / t1:>8.2f}{t50 / per:>12.3f}"
              f"{f'{f1:.1f}/{f10:.1f}/{f50:.1f}':>16}{t1 / f1:>11.2f}{t50 / f50:>12.2f}{(t50 / f50) / (t1 / f1):>7.2f}")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"\nwrote {out}")
    return results


if __name__ == "__main__":
    main()
