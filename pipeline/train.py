"""`python -m pipeline.train --task T`: train a task's model, resumable.

Prepares the data if the run has none, trains with a progress bar,
TensorBoard logs (`<run-dir>/logs`), checkpoints, early stopping and
gradient clipping, and saves `<run-dir>/model.keras`. Rerunning the same
command after an interruption continues from the last finished epoch.
"""

from pipeline.core import cli


def main(argv=None):
    args = cli.parser("train", __doc__.split("\n\n")[0], strategy=True).parse_args(argv)
    config = cli.resolve(args)
    cli.check_memory(args, config)
    with cli.writing(args, config, "pipeline.train"):
        history = cli.task_of(args).train(config, args.run_dir, data=args.data,
                                          data_dir=args.data_dir)
    print(f"trained {len(history['loss'])} epochs; last loss {history['loss'][-1]:.4f}; "
          f"model in {args.run_dir}/model.keras")
    return 0


if __name__ == "__main__":
    cli.run_command(main)
