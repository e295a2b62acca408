"""``python -m bluecarbon.cli``: the ``bluecarbon`` command."""

from bluecarbon.cli import main

if __name__ == "__main__":
    main()
