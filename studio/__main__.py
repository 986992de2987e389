import sys

from studio.cli import main

if __name__ == "__main__":  # the engine process (multiprocessing spawn) may import this module
    sys.exit(main())
