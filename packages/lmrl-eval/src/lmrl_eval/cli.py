"""`lmrl-eval`: evaluate a policy, run the benchmark, rebuild a report.

Examples::

    lmrl-eval evaluate --env maze-fo --policy expert --episodes 100
    lmrl-eval evaluate --env wordle --policy runs/quick/wordle/bc/seed0 --json
    lmrl-eval evaluate --env wordle --policy hf:Qwen/Qwen2.5-0.5B-Instruct --episodes 64 --save-episodes wordle.jsonl
    lmrl-eval evaluate --env wordle --policy openai:gpt-4o-mini --episodes 64     # OPENAI_API_KEY from the environment
    lmrl-eval evaluate --env maze-fo --policy openai:Qwen/Qwen2.5-7B-Instruct --base-url http://127.0.0.1:8000/v1
    lmrl-eval benchmark --out runs/quick                    # the main job (quick budget)
    lmrl-eval benchmark --env maze-fo,wordle --algos bc,ilql --budget standard --seeds 0,1,2 --out runs/std
    lmrl-eval report runs/quick

As in every lmrl CLI: the task is ``--env ID`` (``benchmark``: IDs, comma-separated; ``--envs`` is an alias);
algorithm names have hyphens (``filtered-bc``; ``filtered_bc`` is accepted); ``--workers N`` is N parallel workers
running environments; ``--cpu-threads N`` (alias ``--threads``) is torch's CPU threads.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _csv(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"takes comma-separated names, got {value!r} (leave the flag out for all)")
    return names


def _at_least(low: int, hint: str = ""):
    """An argparse type: an integer >= `low` (the error says so, and `hint`)."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"takes an integer, got {value!r}") from None
        if number < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {number}{hint}")
        return number

    return parse


def _seeds(value: str) -> list[int]:
    try:
        seeds = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes comma-separated integers, got {value!r}") from None
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"takes one or more seeds >= 0, e.g. 0,1,2; got {value!r}")
    return seeds


_OPENAI_FLAGS = {"base_url": "--base-url", "api_key_env": "--api-key-env", "temperature": "--temperature",
                 "max_tokens": "--max-tokens", "timeout": "--timeout", "max_retries": "--max-retries",
                 "concurrency": "--concurrency", "system_prompt": "--system-prompt"}
"""The evaluate flags of ``--policy openai:MODEL`` (argparse dest -> flag); None when not given."""


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes a number of seconds, got {value!r}") from None
    if not 0 < number < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {value}")
    return number


def _temperature(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes a number, got {value!r}") from None
    if not number >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value} (0: greedy)")
    return number


def _policy_kwargs(args: argparse.Namespace) -> dict:
    """The policy's settings from the flags; a flag its policy cannot use is an error."""
    given = {dest: getattr(args, dest) for dest in _OPENAI_FLAGS if getattr(args, dest) is not None}
    kwargs: dict = {"greedy": True} if args.greedy else {}
    if args.policy.startswith("openai:"):
        if args.dtype:
            raise ValueError(f"--dtype sets local weights; --policy {args.policy} runs on its server: leave it out")
        return {**kwargs, **given}
    if given:
        raise ValueError(f"{', '.join(_OPENAI_FLAGS[d] for d in given)}: only for --policy openai:MODEL, not "
                         f"--policy {args.policy}")
    if args.dtype:
        kwargs["dtype"] = args.dtype
    return kwargs


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from lmrl_eval.evaluate import decoding_metrics, describe_decoding, evaluate
    from lmrl_eval.openai_policy import APIError
    from lmrl_eval.policies import load_eval_policy

    save = args.save_episodes
    if save is not None and (save.is_dir() or (save.parent.exists() and not save.parent.is_dir())):
        raise ValueError(f"--save-episodes {save}: not a writable file path (a directory, or under a file); "
                         "pass a file name such as episodes.jsonl")
    policy = load_eval_policy(args.policy, args.env, seed=args.seed, device=args.device, **_policy_kwargs(args))
    try:
        result, episodes = evaluate(args.env, policy, args.episodes, seed=args.seed,
                                    batch_size=1 if args.policy == "human" else args.batch_size,
                                    workers=args.workers if args.workers > 1 else 0,  # 0: no thread pool
                                    progress=not args.json, return_episodes=True)
        decoding = decoding_metrics(args.env, policy)
    except APIError as e:  # the endpoint refused, or kept failing: one line, nothing written
        print(f"lmrl-eval: error: {e}", file=sys.stderr)
        return 2
    if save is not None:
        from lmrl_envs import write_episodes

        write_episodes(save, episodes)  # atomic: a temporary file renamed into place
    record = {**result.to_dict(), **decoding}
    if hasattr(policy, "usage_record"):  # API policies: what the evaluation spent
        record["usage"] = policy.usage_record()
    if args.json:
        print(json.dumps(record))
    else:
        r = result
        score = "n/a" if r.score is None else f"{r.score:.1f} ± {r.score_stderr:.1f}"
        print(f"{r.env_id}: {r.episodes} episodes | return {r.return_mean:.3f} ± {r.return_stderr:.3f} "
              f"(std {r.return_std:.3f}, min {r.return_min:g}, max {r.return_max:g}) | success {r.success_rate:.3f} | "
              f"length {r.length_mean:.1f} | invalid {r.invalid_rate:.3f} | score {score}")
        if "decode" in record:
            acc = record.get("move_accuracy")
            print(f"decoding: {describe_decoding(record['decode'])}"
                  + (f" | greedy move accuracy {acc['correct']}/{acc['cells']}" if acc else ""))
        if "usage" in record:
            u = record["usage"]
            print(f"api: {u['model']} at {u['base_url']} | {u['requests']} requests ({u['retries']} retries) | "
                  f"tokens: {u['prompt_tokens']} prompt + {u['completion_tokens']} completion")
        if save is not None:
            print(f"episodes: {save} ({len(episodes)}, lmrl_envs.read_episodes reads them)")
    return 0


def _cmd_benchmark(args: argparse.Namespace) -> int:
    from lmrl_eval.benchmark import BenchmarkConfig, run_benchmark

    cfg = BenchmarkConfig(out=args.out, envs=tuple(args.env) if args.env else None,
                          algos=tuple(args.algos) if args.algos else None, budget=args.budget,
                          seeds=tuple(args.seeds), device=args.device, model=args.model, force=args.force,
                          workers=args.workers, threads=args.cpu_threads, jobs=args.jobs, start=args.start)
    report = run_benchmark(cfg, command=" ".join(["lmrl-eval", *sys.argv[1:]]))
    print(report)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from lmrl_eval.report import build_report

    print(build_report(args.dir))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lmrl-eval", description="Evaluate policies and run the lmrl benchmark.")
    sub = parser.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("evaluate", help="roll a policy out with the task's protocol and print the metrics")
    p.add_argument("--env", required=True, help="task id, e.g. maze-fo")
    p.add_argument("--policy", required=True,
                   help="random | expert | behaviour | human | a checkpoint directory | hf:PATH_OR_ID (any "
                        "transformers causal LM: a local directory or a Hub id in the local Hugging Face cache) | "
                        "openai:MODEL (a model behind an OpenAI-compatible chat endpoint: OpenAI, vLLM, llama.cpp)")
    p.add_argument("--episodes", type=_at_least(1, " (leave --episodes out for the protocol's count)"), default=None,
                   help="episodes (default: the paper's protocol count)")
    p.add_argument("--seed", type=_at_least(0), default=0, help="evaluation seed (default 0)")
    p.add_argument("--batch-size", type=_at_least(1), default=32, help="environments stepped together (default 32)")
    p.add_argument("--workers", type=_at_least(0), default=1,
                   help="parallel workers running the environments: threads stepping the batch's envs, worth it for "
                        "slow ones (Stockfish, LM oracles) (default 1: all in this thread; 0 means the same); "
                        "requests in flight to an openai: server: --concurrency")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="device for checkpoints")
    p.add_argument("--greedy", action="store_true",
                   help="greedy decoding: checkpoints and hf: models (default: sample at temperature 1, as the "
                        "reference); openai: models: temperature 0 (default: see --temperature)")
    p.add_argument("--dtype", choices=("fp32", "bf16", "fp16"), default=None,
                   help="weights of checkpoints and hf: models (default: a checkpoint's training dtype, hf: fp32; "
                        "fp16 needs CUDA)")
    o = p.add_argument_group("--policy openai:MODEL (any OpenAI-compatible chat endpoint)")
    o.add_argument("--base-url", default=None, metavar="URL",
                   help="the API root; requests go to URL/chat/completions (default: $OPENAI_BASE_URL, else "
                        "https://api.openai.com/v1; vLLM: http://HOST:8000/v1, llama.cpp: http://HOST:8080/v1)")
    o.add_argument("--api-key-env", default=None, metavar="NAME",
                   help="environment variable holding the API key, sent as 'Authorization: Bearer' (default "
                        "OPENAI_API_KEY; may be unset for a local server, not for api.openai.com)")
    o.add_argument("--temperature", type=_temperature, default=None, metavar="T",
                   help="sampling temperature (default: the paper's GPT-4 baseline's for the task: 0 on wordle "
                        "and twenty-questions, 1 elsewhere)")
    o.add_argument("--max-tokens", type=_at_least(1), default=None, metavar="N",
                   help="longest reply in tokens; its first line is the action (default 256)")
    o.add_argument("--timeout", type=_positive, default=None, metavar="SECONDS",
                   help="seconds to wait for the server, to connect and for each read (default 60)")
    o.add_argument("--max-retries", type=_at_least(0), default=None, metavar="N",
                   help="retries of a request after a timeout, a connection error, HTTP 429 (after its "
                        "Retry-After) or 5xx, with exponential backoff from 1 s (default 5)")
    o.add_argument("--concurrency", type=_at_least(1), default=None, metavar="N",
                   help="requests in flight at once, over the running episodes of a batch (default 4; at most "
                        "--batch-size)")
    o.add_argument("--system-prompt", default=None, metavar="TEXT",
                   help="a system message sent before the task's text, e.g. the action format (default: none, "
                        "as every other policy sees only the task's text)")
    p.add_argument("--save-episodes", type=Path, default=None, metavar="FILE",
                   help="also write the evaluated episodes to FILE (JSONL, the datasets' format; written atomically)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a line")
    p.set_defaults(fn=_cmd_evaluate)

    p = sub.add_parser("benchmark", help="the main job: data -> train -> evaluate -> score table")
    p.add_argument("--out", required=True, help="output directory (re-running resumes and skips finished stages)")
    p.add_argument("--env", "--envs", dest="env", action="extend", type=_csv, default=None, metavar="ENV[,ENV...]",
                   help="tasks, comma-separated or the flag repeated (default: the budget's); --envs is an alias")
    p.add_argument("--algos", type=_csv, default=None,
                   help="comma-separated: bc,filtered-bc,mc,ilql,ppo,online-filtered-bc (default: the paper's six; the "
                        "underscore spellings, filtered_bc, are accepted), and grpo,rloo,gigpo,archer (not in the "
                        "paper: only when named; they start from BC like PPO)")
    p.add_argument("--budget", default="quick", choices=("quick", "standard", "paper"),
                   help="quick: Maze FO, six methods, ~9 min on 2 CPU cores (default); standard: every task, two "
                        "stages at once with --jobs 2 (seed 1 on 2 idle cores: 6-89 min of stage time per task, Maze PO "
                        "the most; 211 min in all, 106 min of wall time scheduled on 2 jobs; RESULTS.md has each "
                        "task's time); paper: the paper's sizes and steps, for GPUs")
    p.add_argument("--seeds", type=_seeds, default=[0], help="comma-separated seeds, e.g. 0,1,2 (default 0)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="training/eval device")
    p.add_argument("--model", default="tiny",
                   help="tiny (offline GPT-2-style model built per task, the default) or a local HF causal LM directory")
    p.add_argument("--workers", type=_at_least(1), default=1,
                   help="parallel workers running the environments: processes generating the datasets (default 1: "
                        "all in this process)")
    p.add_argument("--cpu-threads", "--threads", dest="cpu_threads", type=_at_least(1), default=None, metavar="N",
                   help="torch CPU threads for training and evaluation (default: the budget's: 1 for quick and "
                        "standard, torch's one per core for paper); --threads is an alias")
    p.add_argument("--jobs", type=_at_least(1), default=None, metavar="N",
                   help="stages (task, method, seed) run at once, each in its own process; a method that starts "
                        "from BC waits for its BC; the numbers do not depend on it (default: on a CPU, the cores "
                        "divided by --cpu-threads, so 2 on 2 cores for quick and standard; 1 on CUDA or for paper)")
    p.add_argument("--start", default="bc", choices=("bc", "filtered-bc"),
                   help="the checkpoint that mc, ilql and the online methods start from: bc (the paper's protocol, "
                        "default) or filtered-bc, for tasks whose BC plays no game at the budget (Twenty Questions on "
                        "a CPU); run it in its own --out, since one directory holds runs of one start")
    p.add_argument("--force", action="store_true", help="redo every stage even if its output exists")
    p.set_defaults(fn=_cmd_benchmark)

    p = sub.add_parser("report", help="rebuild report.md and the plots from DIR/results.json")
    p.add_argument("dir", help="a benchmark output directory")
    p.set_defaults(fn=_cmd_report)

    args = parser.parse_args(argv)
    try:
        return args.fn(args)
    except (FileNotFoundError, KeyError, ValueError, ImportError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"lmrl-eval: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nlmrl-eval: interrupted; re-run the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
