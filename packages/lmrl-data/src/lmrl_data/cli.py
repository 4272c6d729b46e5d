"""The `lmrl-data` command line: generate, stats, validate, export, list.

Example::

    lmrl-data generate --env maze-fo --episodes 1240 --out data/maze-fo --workers 2
    lmrl-data stats data/maze-fo --json
    lmrl-data validate data/maze-fo
    lmrl-data export data/maze-fo --format chat --out data/maze-fo-chat.jsonl --filter bc
    lmrl-data list

Exit codes: 0 success; 1 the data is invalid (or generation failed); 2 a bad argument (unknown
dataset id, a bad number, a missing path, an --out that holds other files): one line on stderr,
never a traceback; 130 interrupted.

The task is ``--env ID``, as in every lmrl CLI; the older positional form (``lmrl-data generate maze-fo``) is an
alias. ``--workers N``: N processes generating episodes in parallel (as everywhere: workers run environments).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from lmrl_envs import DatasetError
from lmrl_envs.cli import TaskIdAction

__all__ = ["main"]


def _cmd_generate(args: argparse.Namespace) -> int:
    from lmrl_data.generate import GenerateConfig, generate
    from lmrl_data.policies import get_recipe

    if args.env is None:
        print("lmrl-data generate: error: the following arguments are required: --env (see lmrl-data generate --help)",
              file=sys.stderr)
        return 2
    try:
        get_recipe(args.env)
    except KeyError as e:
        print(f"lmrl-data generate: {e.args[0]}", file=sys.stderr)
        return 2
    params = {}
    for item in args.param or []:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"lmrl-data generate: --param {item!r} must look like NAME=VALUE", file=sys.stderr)
            return 2
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    cfg = GenerateConfig(args.env, args.out, episodes=args.episodes, seed=args.seed, workers=args.workers,
                         eval_percent=args.eval_percent, params=params, progress=not args.quiet,
                         overwrite=args.overwrite)
    try:
        manifest = generate(cfg)
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished shards are kept in {args.out}/.partial; re-run the same command to resume",
              file=sys.stderr)
        return 130
    except DatasetError as e:  # damaged shards (a ValueError, so caught before the bad-argument case)
        print(f"lmrl-data generate: {e}", file=sys.stderr)
        return 1
    except (FileExistsError, ValueError) as e:  # a bad argument: the --out, a number, a --param
        print(f"lmrl-data generate: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"lmrl-data generate: {e}", file=sys.stderr)
        return 1
    s = manifest["statistics"]["all"]
    elapsed = manifest.get("_elapsed_s")
    speed = f", {s['episodes'] / elapsed:.1f} episodes/s" if elapsed else " (already complete)"
    print(f"{args.out}: {manifest['counts']['train']} train + {manifest['counts']['eval']} eval episodes{speed}; "
          f"length {s['length_mean']:.2f}, success {s['success_rate']:.3f}, return {s['return_mean']:.3f}")
    return 0


def _missing(command: str, path: str) -> bool:
    """Report a dataset path that does not exist (a bad argument, exit 2)."""
    if Path(path).exists():
        return False
    print(f"lmrl-data {command}: {path}: no such dataset directory or .jsonl file", file=sys.stderr)
    return True


def _cmd_stats(args: argparse.Namespace) -> int:
    from lmrl_data.io import iter_episodes
    from lmrl_data.stats import episode_stats, format_stats

    if _missing("stats", args.path):
        return 2

    try:
        stats = episode_stats(iter_episodes(args.path, args.split))
    except DatasetError as e:
        print(f"lmrl-data stats: {e}", file=sys.stderr)
        return 1
    print(json.dumps(stats, indent=1) if args.json else format_stats(stats))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from lmrl_data.io import validate_dataset

    if _missing("validate", args.path):
        return 2
    try:
        summary = validate_dataset(args.path)
    except DatasetError as e:
        print(f"invalid: {e}", file=sys.stderr)
        return 1
    files = ", ".join(f"{k}: {v}" for k, v in summary["files"].items())
    print(f"ok: {args.path} ({files} episodes)")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from lmrl_data.export import export_chat

    if _missing("export", args.path):
        return 2
    try:
        counts = export_chat(args.path, args.out, split=args.split, bc_filter=args.filter, system=args.system,
                             overwrite=args.overwrite)
    except KeyboardInterrupt:
        print(f"\ninterrupted: {args.out} was not written", file=sys.stderr)
        return 130
    except DatasetError as e:  # a bad input line (a ValueError, so caught before the bad-argument case)
        print(f"lmrl-data export: {e}", file=sys.stderr)
        return 1
    except (FileExistsError, ValueError) as e:  # a bad argument: the --out, the --filter
        print(f"lmrl-data export: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"lmrl-data export: {e}", file=sys.stderr)
        return 1
    selection = args.split if Path(args.path).is_dir() else "file"
    skipped = f"; {counts['skipped']} episodes without an action skipped" if counts["skipped"] else ""
    print(f"{args.out}: {counts['episodes']} conversations, {counts['messages']} messages ({selection}"
          f"{', filter ' + args.filter if args.filter else ''}){skipped}")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from lmrl_data.policies import RECIPES

    for env_id, r in RECIPES.items():
        print(f"{env_id:<22} {r.default_episodes:>9,} episodes  %BC={r.bc_filter:<8} policy {r.policy.split('.')[-1]}")
        print(f"{'':<22} {r.description}")
        if r.paper:
            p = r.paper
            print(f"{'':<22} paper: length {p.length_mean} +- {p.length_std}, success {p.success_rate}, "
                  f"return {p.return_mean} +- {p.return_std}")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage block): ``lmrl-data generate: error: ...``, exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 100:  # also nan
        raise argparse.ArgumentTypeError(f"expected a percentage from 0 to 100, got {text!r}")
    return value


def _filter(text: str) -> str:
    from lmrl_data.export import parse_filter

    try:
        return parse_filter(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lmrl-data", description="Regenerable offline datasets for the LMRL-Gym tasks.")
    sub = parser.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="generate (or resume) a dataset")
    g.add_argument("--env", action=TaskIdAction,
                   help="dataset id, e.g. maze-fo (see `lmrl-data list`); `lmrl-data generate maze-fo` (positional, "
                        "the older form) is the same")
    g.add_argument("env", nargs="?", action=TaskIdAction, help=argparse.SUPPRESS)  # the alias: a positional id
    g.add_argument("--episodes", type=_positive_int, default=None, help="number of episodes (default: the paper's size)")
    g.add_argument("--out", required=True, help="output directory")
    g.add_argument("--seed", type=int, default=0, help="episode i uses seed SEED + i (default 0)")
    g.add_argument("--workers", type=_positive_int, default=1,
                   help="parallel workers running the environments: processes generating the episodes (default 1: "
                        "all in this process; the output bytes do not depend on it)")
    g.add_argument("--eval-percent", type=_percent, default=10.0, help="share of episodes in eval.jsonl (default 10)")
    g.add_argument("--param", action="append", metavar="NAME=VALUE", help="override a policy parameter")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g.add_argument("--overwrite", action="store_true",
                   help="write into --out even if it holds files lmrl-data generate did not write or another dataset "
                        "(train.jsonl, eval.jsonl and manifest.json are replaced)")
    g.set_defaults(func=_cmd_generate)

    s = sub.add_parser("stats", help="Table-1 statistics of a dataset")
    s.add_argument("path", help="dataset directory or .jsonl file")
    s.add_argument("--split", default="all", choices=["train", "eval", "all"], help="which split (directory only)")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=_cmd_stats)

    v = sub.add_parser("validate", help="check manifest, checksums and every line")
    v.add_argument("path", help="dataset directory or .jsonl file")
    v.set_defaults(func=_cmd_validate)

    e = sub.add_parser("export", help="write a dataset as chat messages JSONL (for TRL's SFTTrainer)")
    e.add_argument("path", help="dataset directory or .jsonl episode file")
    e.add_argument("--format", default="chat", choices=["chat"],
                   help='output format; chat: one {"messages": [...]} line per episode (default)')
    e.add_argument("--out", required=True, help="output .jsonl file")
    e.add_argument("--split", default="train", choices=["train", "eval", "all"],
                   help="which split (directory only; default train)")
    e.add_argument("--filter", type=_filter, default=None,
                   help="keep only: success, top<k> (top k %% by return) or bc (the dataset's %%BC filter)")
    e.add_argument("--system", default=None, help="a system message to put first in every conversation")
    e.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    e.set_defaults(func=_cmd_export)

    ls = sub.add_parser("list", help="each task's recipe and default size")
    ls.set_defaults(func=_cmd_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `lmrl-data` command."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
