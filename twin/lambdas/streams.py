"""Where a Lambda log stream's lines live on disk: one file per stream, named after the stream.

Apart from the log shipper so that the runner can name files without importing the shipper's module (which
runs as `python -m twin.lambdas.logship`).
"""

from __future__ import annotations

from pathlib import Path


def stream_file(log_dir: Path, function: str, stream: str) -> Path:
    """The file of `stream` (`YYYY/MM/DD/[$LATEST]<hex>`)."""
    date, _, hex_id = stream.partition("/[$LATEST]")
    return log_dir / function / f"{date.replace('/', '')}-{hex_id}.log"


def stream_name(path: Path) -> str:
    date, _, hex_id = path.stem.partition("-")
    return f"{date[:4]}/{date[4:6]}/{date[6:8]}/[$LATEST]{hex_id}"
