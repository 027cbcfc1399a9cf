"""``python -m trainlab.report <sweep_dir> [--out DIR]`` - the same as ``trainlab report``."""

import sys

from trainlab.cli import main

if __name__ == "__main__":
    sys.exit(main(["report", *sys.argv[1:]]))
