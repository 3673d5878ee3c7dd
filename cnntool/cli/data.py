"""`cnntool data list` and `cnntool data fetch`: the datasets a network can train on, and the cache.

Thin shell over `cnntool.data`: nothing heavy at module level (numpy is imported by the
commands, never by `cnntool summary`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from cnntool.cli._common import JsonOpt, console, fail, fmt_int, handle_errors, print_json

app = typer.Typer()
data_app = typer.Typer(
    name="data",
    help="Datasets to train on: generated lecture sets (xo, shapes, sine, adding, copy, parity, text), "
    "scikit-learn's digits, and MNIST, Fashion-MNIST and CIFAR-10 downloaded once, verified by SHA-256 "
    "and cached.\n\n"
    "Start with: cnntool data list · cnntool data fetch mnist\n\n"
    "The cache is your user cache folder's cnntool/datasets (~/.cache/cnntool/datasets on Linux); set "
    "CNNTOOL_DATA_DIR to use another folder. Offline? Download the files elsewhere and import them "
    "with: cnntool data fetch mnist --from FOLDER",
    no_args_is_help=True,
)
app.add_typer(data_app)


_NOTHING = {
    "generated": "it is generated from a seed",
    "file": "it is built from the text file you give",
    "installed": "it ships with an installed package",
}


def _size_text(n: int | None) -> str:
    if n is None:
        return "—"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


@data_app.command("list")
@handle_errors
def list_command(json_out: JsonOpt = False) -> None:
    """List every dataset: its task, the input shape a spec starts with, sizes, download and cache.

    The input column is what your network spec begins with, e.g. for xo (1x9x9):

        cnntool summary "1x9x9 | conv 3 k3 | relu | maxpool 2 | flatten | dense 2"

    Sequence tasks are T×features (adding: 50x2 → "50x2 | lstm 32 return_sequences=false | dense 1");
    the text task gives character ids for an embedding ("64 | embedding V 16 | lstm 64 ...").

    Examples:
      cnntool data list
      cnntool data list --json
    """
    from cnntool.data import data_dir, listing

    root = data_dir()
    entries = listing(root)
    if json_out:
        print_json({"cache_dir": str(root), "datasets": entries})
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(header_style="bold")
    for header, justify in (("name", "left"), ("task", "left"), ("input", "left"), ("classes", "right"),
                            ("train", "right"), ("val", "right"), ("test", "right"),
                            ("download", "right"), ("cached", "left")):  # fmt: skip
        table.add_column(header, justify=justify, overflow="fold", no_wrap=header != "cached")
    for e in entries:
        sizes = e["sizes"] or {}
        if e["download"]:
            cached = "yes" if e["cached"] else "no"
        elif e["origin"] == "extra":
            cached = "installed" if e["available"] else escape(f"pip install 'cnntool[{e['extra']}]'")
        else:
            cached = {"generated": "generated", "file": "your file"}[e["origin"]]
        table.add_row(
            e["name"], e["task"], "x".join(map(str, e["input_shape"])),
            fmt_int(e["num_classes"]) or "—",
            fmt_int(sizes.get("train")) or "—", fmt_int(sizes.get("val")) or "—", fmt_int(sizes.get("test")) or "—",
            _size_text(e["download_bytes"]), cached,
        )  # fmt: skip
    out = console()
    out.print(table)
    out.print(f"cache: {root}  (set CNNTOOL_DATA_DIR to move it)")
    out.print(
        "text: sizes and classes come from your file; its input is seq_len (64 by default) character ids."
    )


def download_progress() -> Any:
    """A progress callback that redraws one line on stderr when it is a terminal (else prints nothing)."""
    if not sys.stderr.isatty():
        return None
    state = {"last": -1}

    def report(name: str, done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if percent != state["last"]:
            state["last"] = percent
            end = "\n" if done >= total else ""
            sys.stderr.write(f"\r{name}: {_size_text(done)} of {_size_text(total)} ({percent}%)" + end)
            sys.stderr.flush()

    return report


@data_app.command("fetch")
@handle_errors
def fetch_command(
    name: Annotated[
        str, typer.Argument(help="A dataset name from `cnntool data list` (mnist, fashion-mnist, cifar10).")
    ],
    source: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Import the files from this folder instead of downloading (for a machine without "
            "network): put the official files there, unrenamed, e.g. train-images-idx3-ubyte.gz.",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Download a dataset's files once into the cache, checking each file's size and SHA-256.

    A file already cached is not downloaded again; a failed or interrupted download leaves
    nothing half-written. Without a network, download the files on another machine (the error
    message names them and where they come from) and import them:

    Examples:
      cnntool data fetch mnist
      cnntool data fetch cifar10 --json
      cnntool data fetch fashion-mnist --from ~/Downloads/fashion
    """
    from cnntool.data import fetch, resolve

    info = resolve(name)
    if source is not None and not info.needs_download:
        fail(f"{info.name} is not downloaded ({info.origin}): it has no files to import")
    result = fetch(info.name, source_dir=source, progress=None if json_out else download_progress(),
                   how_to_import=f"cnntool data fetch {info.name} --from FOLDER")  # fmt: skip
    if result is None:
        status = "installed" if info.origin == "extra" else info.origin
        if json_out:
            print_json({"name": info.name, "status": status, "directory": None, "files": []})
        else:
            typer.echo(f"{info.name}: nothing to fetch ({_NOTHING[status]}).")
        return
    files = [
        {"name": f.name, "bytes": f.size, "sha256": f.sha256, "status": f.status, "path": str(f.path),
         "origin": f.origin}
        for f in result.files
    ]  # fmt: skip
    if json_out:
        print_json(
            {"name": info.name, "status": result.status, "directory": str(result.directory), "files": files}
        )
        return
    for f in files:
        origin = f" from {f['origin']}" if f["origin"] else ""
        typer.echo(f"  {f['name']}  {f['bytes']:,} bytes  sha256 {f['sha256'][:12]}…  {f['status']}{origin}")
    typer.echo(f"{info.name}: {result.status}, verified, in {result.directory}")
