"""Entry point: ``python -m gpu_runner --site-url URL --token TOKEN --broker-url URL``."""

from gpu_runner.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
