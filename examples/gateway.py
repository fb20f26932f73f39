#!/usr/bin/env python3
"""Reference gateway reader for the hexmatrix route cache in Redis.

What a routing gateway does with GPS points, outside Rust (stages/warm/CONTRACT.md):
pointer key -> version -> version manifest -> H3 cells of the points -> the
stored travel times, for both layouts `hexmatrix warm --layout` writes:

* ``pairs`` (default): one string key per ordered pair, named by the manifest's
  ``key_template``; value ``{"dist":1234.5,"dur":321.4}`` (``value_format``
  json) or ``1235,321.4`` (text); negative = no route; no key = miss.
* ``rows``: ``route:V:index`` (manifest ``index_key``) holds the drivable cells
  as sorted u64 little-endian; ``route:V:row:{origin}`` (``row_key_prefix`` and
  the origin) holds 8 bytes per cell of the index: u32 LE tenths of a second,
  then u32 LE whole metres. Both 0xFFFFFFFF = no route, both 0xFFFFFFFE =
  beyond --max-duration. One pair is one GETRANGE (pipelined here).

Needs the PyPI packages in examples/requirements.txt (redis, h3 v4). Reads a
single server (MGET and pipelines span keys of different Cluster slots).

    python3 examples/gateway.py --redis redis://127.0.0.1:6379/0 35.8989,14.5146 35.9,14.51

prints one JSON object a line per ordered pair of distinct points. Put ``--``
before points with a negative latitude.
"""

from __future__ import annotations

import argparse
import bisect
import json
import re
import struct
import sys
from dataclasses import asdict, dataclass

import h3
import redis

NO_ROUTE = 0xFFFFFFFF
BEYOND_MAX_DURATION = 0xFFFFFFFE
_INDEXES: dict[str, list[int]] = {}  # index key -> its cells; a version never changes


@dataclass(frozen=True)
class Answer:
    """The cache's answer for one ordered pair of points."""

    origin: tuple[float, float]  # (lat, lon) as given
    dest: tuple[float, float]
    origin_cell: str  # H3 cell, lowercase hex
    dest_cell: str
    status: str  # route | no_route | beyond_max_duration | miss | unreadable
    distance_m: float | None = None  # set for status "route"
    duration_s: float | None = None


def read_manifest(r: redis.Redis, pointer_key: str, prefix: str = "route:") -> dict:
    """The manifest of the version the pointer names (``prefix`` is the key
    template's text before ``{version}``)."""
    version = r.get(pointer_key)
    if version is None:
        raise LookupError(f"{pointer_key} is not set: no version was loaded")
    key = f"{prefix}{version.decode()}:manifest"
    raw = r.get(key)
    if raw is None:
        raise LookupError(f"{pointer_key} names {version.decode()} but {key} does not exist")
    return json.loads(raw)


def _read_pairs(r: redis.Redis, m: dict, pairs: list[tuple[str, str]]) -> list[tuple]:
    """One MGET of the pair keys built from the key template."""

    def key(origin: str, dest: str) -> str:
        names = {"version": m["version"], "origin": origin, "dest": dest}
        return re.sub(r"\{(version|origin|dest)\}", lambda g: names[g[1]], m["key_template"])

    values = r.mget([key(o, d) for o, d in pairs]) if pairs else []
    out = []
    for value in values:
        if value is None:
            out.append(("miss", None, None))
            continue
        try:
            if m["value_format"] == "json":
                v = json.loads(value)
                dist, dur = float(v["dist"]), float(v["dur"])
            else:
                dist, dur = (float(x) for x in value.split(b","))
        except (ValueError, KeyError, TypeError):
            out.append(("unreadable", None, None))
            continue
        out.append(("no_route", None, None) if dist < 0 or dur < 0 else ("route", dist, dur))
    return out


def _index(r: redis.Redis, key: str) -> list[int]:
    """The cells of a rows-layout index, read once per version."""
    cells = _INDEXES.get(key)
    if cells is None:
        raw = r.get(key) or b""
        cells = [c for (c,) in struct.iter_unpack("<Q", raw[: len(raw) // 8 * 8])]
        if cells:  # an absent (expired) index is not cached
            _INDEXES[key] = cells
    return cells


def _read_rows(r: redis.Redis, m: dict, pairs: list[tuple[str, str]]) -> list[tuple]:
    """One pipelined GETRANGE of 8 bytes per pair whose cells are in the index."""
    prefix = f"{m['key_template'].split('{version}')[0]}{m['version']}:"
    cells = _index(r, m.get("index_key") or f"{prefix}index")
    row_prefix = m.get("row_key_prefix") or f"{prefix}row:"

    def column(cell: str) -> int | None:
        c = h3.str_to_int(cell)
        i = bisect.bisect_left(cells, c)
        return i if i < len(cells) and cells[i] == c else None

    pipe = r.pipeline(transaction=False)
    read = []
    for origin, dest in pairs:
        col = column(dest) if column(origin) is not None else None
        if col is not None:
            pipe.getrange(row_prefix + origin, 8 * col, 8 * col + 7)
        read.append(col is not None)
    values = iter(pipe.execute())
    out = []
    for known in read:
        value = next(values) if known else b""
        if len(value) != 8:  # a cell without road, or the row expired
            out.append(("miss", None, None))
            continue
        dur, dist = struct.unpack("<II", value)
        if dur == dist == NO_ROUTE:
            out.append(("no_route", None, None))
        elif dur == dist == BEYOND_MAX_DURATION:
            out.append(("beyond_max_duration", None, None))
        elif NO_ROUTE in (dur, dist) or BEYOND_MAX_DURATION in (dur, dist):
            out.append(("unreadable", None, None))
        else:
            out.append(("route", float(dist), dur / 10))
    return out


def lookup(
    r: redis.Redis,
    pointer_key: str,
    points: list[tuple[float, float]],
    prefix: str = "route:",
) -> list[Answer]:
    """Answers for every ordered pair of distinct points (origin-major order)."""
    m = read_manifest(r, pointer_key, prefix)
    cells = [h3.latlng_to_cell(lat, lon, m["resolution"]) for lat, lon in points]
    idx = [(i, j) for i in range(len(points)) for j in range(len(points)) if i != j]
    pairs = [(cells[i], cells[j]) for i, j in idx]
    layout = m.get("layout", "pairs")
    if layout == "pairs":
        results = _read_pairs(r, m, pairs)
    elif layout == "rows":
        results = _read_rows(r, m, pairs)
    else:
        raise LookupError(f"version {m['version']} has unknown layout {layout!r}")
    return [
        Answer(points[i], points[j], cells[i], cells[j], *res)
        for (i, j), res in zip(idx, results)
    ]


def _point(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not LAT,LON") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise argparse.ArgumentTypeError(f"{text!r} is outside -90..90, -180..180")
    return lat, lon


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="server URL")
    p.add_argument("--pointer-key", default="route:current", help="key naming the version")
    p.add_argument("--prefix", default="route:", help="key template text before {version}")
    p.add_argument("points", nargs="+", type=_point, metavar="LAT,LON")
    args = p.parse_args(argv)
    if len(args.points) < 2:
        p.error("give at least two LAT,LON points")
    try:
        r = redis.Redis.from_url(args.redis)
        answers = lookup(r, args.pointer_key, args.points, args.prefix)
    except redis.RedisError as e:
        print(f"gateway.py: redis error: {e}", file=sys.stderr)
        return 4
    except LookupError as e:
        print(f"gateway.py: {e}", file=sys.stderr)
        return 3
    for a in answers:
        print(json.dumps(asdict(a), separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
