"""`python -m pipeline.diagnostics RUN_DIR ... --out FILE.png`: vanishing
gradients of evaluated synthetic runs in one picture.

Overlays ||dL/dh_t||, the norm of the loss's gradient with respect to the
state at every step t, of several runs of the synthetic task (each run's
`diagnostics.json`, written by its evaluate stage) in one PNG, and prints
the largest singular value of each recurrent kernel
(`pipeline.tasks.synthetic.diagnostics`).

    python -m pipeline.diagnostics runs/synthetic/elman runs/synthetic/lstm \\
        --out plots/adding_t200.png
"""

import argparse

from pipeline.core import cli


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.diagnostics",
        description="Overlay the gradient norms through time of evaluated synthetic runs "
                    "(each run's diagnostics.json) in one PNG, and print the largest "
                    "singular value of each recurrent kernel.",
        epilog=__doc__.split("\n\n")[-1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR",
                        help="run directories of the synthetic task (after evaluate)")
    parser.add_argument("--out", required=True, help="the PNG to write")
    parser.add_argument("--initial", action="store_true",
                        help="also plot each model at initialisation")
    cli.add_verbose(parser)
    args = parser.parse_args(argv)
    if not args.out.lower().endswith(".png"):
        parser.error(f"--out {args.out}: expected a file name ending in .png")
    from pipeline.tasks.synthetic.diagnostics import compare

    path, table = compare(args.run_dirs, args.out, initial=args.initial)
    for label, values in table.items():
        print(f"{label:<40} sigma_max " + "  ".join(f"{k}={v:.3f}" for k, v in values.items()))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    cli.run_command(main)
