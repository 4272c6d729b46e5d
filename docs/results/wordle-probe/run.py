"""The Wordle probe of RESULTS.md (commit 852fd4f): a custom budget run with `run_benchmark`.

    OMP_NUM_THREADS=1 python docs/results/wordle-probe/run.py
"""

from lmrl_eval.benchmark import BenchmarkConfig, Budget, run_benchmark

b = Budget(name="wordle-probe", envs=("wordle",), data={"wordle": 20_000},
           train={"bc": {"steps": 2000, "lr": 1e-3, "eval_every": 500},
                  "mc": {"steps": 1000, "lr": 1e-3, "support_p": 0.9, "eval_every": 500},
                  "ilql": {"steps": 1500, "lr": 1e-3, "polyak": 0.05, "support_p": 0.9, "eval_every": 500}},
           eval={"wordle": 500}, threads=1)
print(run_benchmark(BenchmarkConfig(out="runs/wordle-probe", algos=("bc", "mc", "ilql"), progress=True), budget=b))
