"""``lmrl-algos``: train an algorithm, or list presets. Every config field is a flag.

Example:
    $ lmrl-algos train bc --env maze-fo-v0 --data maze.jsonl --out runs/bc --model tiny --steps 300
    $ lmrl-algos train ilql --env maze-fo-v0 --data maze.jsonl --out runs/ilql --init runs/bc --preset maze
    $ lmrl-algos presets
    $ lmrl-algos merge runs/bc-lora runs/bc-merged      # a checkpoint's LM (LoRA merged) as a plain HF directory
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import types
import typing

from lmrl_algos.common.config import field_docs

__all__ = ["build_parser", "main"]


def _flag_type(tp):
    """(python type, optional) of an annotation like ``int | None``."""
    if isinstance(tp, str):
        tp = eval(tp, {"None": None})  # annotations are plain builtins (str, int, float, bool, None)
    args = typing.get_args(tp)
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        inner = [a for a in args if a is not type(None)]
        return inner[0], True
    return tp, False


def _escape(text: str) -> str:
    """argparse formats help strings with ``%``: a literal one ("%BC") must be doubled."""
    return text.replace("%", "%%")


def _add_config_flags(parser: argparse.ArgumentParser, cls) -> None:
    docs = field_docs(cls)
    for f in dataclasses.fields(cls):
        flag = "--" + f.name.replace("_", "-")
        tp, _ = _flag_type(f.type)
        help_ = _escape(f"{docs.get(f.name, '')} (default: {f.default})")
        if tp is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=help_)
        else:
            parser.add_argument(flag, type=tp, default=argparse.SUPPRESS, help=help_, metavar=f.name.upper())


def build_parser() -> argparse.ArgumentParser:
    from lmrl_algos.train import ALGORITHMS

    parser = argparse.ArgumentParser(prog="lmrl-algos", description="Train RL algorithms on lmrl text tasks.")
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="train an algorithm")
    algos = tr.add_subparsers(dest="algo", required=True)
    for name, (cls, _) in ALGORITHMS.items():
        p = algos.add_parser(name, help=_escape((cls.__doc__ or "").splitlines()[0]),
                             formatter_class=argparse.ArgumentDefaultsHelpFormatter)
        _add_config_flags(p, cls)
    sub.add_parser("presets", help="list the hyper-parameter presets")
    mg = sub.add_parser("merge", help="write a checkpoint's language model, its LoRA adapter merged, as a plain "
                                      "transformers model directory (value heads are left out)")
    mg.add_argument("checkpoint", help="a run's --out directory or its checkpoint/")
    mg.add_argument("out", help="the model directory to write (new or empty)")
    mg.add_argument("--dtype", choices=("fp32", "bf16", "fp16"), default=None,
                    help="dtype of the written weights (default: the run's --dtype)")
    return parser


def main(argv: list[str] | None = None) -> int:
    from lmrl_algos.checkpoint import CheckpointError
    from lmrl_algos.common.config import ConfigError
    from lmrl_algos.common.mdp import MDPError
    from lmrl_algos.common.trainer import TrainingError
    from lmrl_algos.models import ModelError
    from lmrl_algos.train import make_config, train

    args = vars(build_parser().parse_args(argv))
    command = args.pop("command")
    if command == "presets":
        from lmrl_algos.presets import describe

        print(describe())
        return 0
    if command == "merge":
        from lmrl_algos.checkpoint import export_model

        try:
            out = export_model(args["checkpoint"], args["out"], dtype=args["dtype"])
        except (CheckpointError, ModelError) as e:
            print(f"lmrl-algos: error: {e}", file=sys.stderr)
            return 2
        print(f"wrote {out} (load it with AutoModelForCausalLM.from_pretrained, or --model {out})")
        return 0
    algo = args.pop("algo")
    preset = args.pop("preset", None)
    try:
        cfg = make_config(algo, preset=preset, **args)
        train(cfg)
    except (ConfigError, ModelError, CheckpointError, MDPError, TrainingError) as e:
        print(f"lmrl-algos: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
