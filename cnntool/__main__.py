"""`python -m cnntool` runs the same CLI as the `cnntool` command."""

from cnntool.cli.app import main

if __name__ == "__main__":
    main()
