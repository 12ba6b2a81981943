"""Parquet and Arrow IPC / Feather through pyarrow, streamed by record batch so memory stays
bounded whatever the file size. Only string-like columns are read; struct, list and map columns
are flattened to key paths (`users[3].email`). Each column of a batch becomes one chunk (the
values joined by "\\n" inside pyarrow, never one Python object per value); findings name the
1-based row and the exact field. Binary formats: no line numbers.
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from hfguard.models import Blob, Chunk, ChunkKind
from hfguard.readers.base import LocatedChunk, ReadContext, ReaderError, Where, table_location

TARGET_BATCH_BYTES = 16 * 1024 * 1024  # string data per record batch
MAX_BATCH_ROWS = 65536
SPOOL_BYTES = 64 * 1024 * 1024  # a non-seekable source is copied to a temp file (memory up to this)


@dataclass(frozen=True)
class _Leaf:
    pattern: str  # field path with "[]" where list indices go
    array: Any  # pyarrow string-like array, one value per element
    rows: Any  # numpy int64 array: batch row of each element, or None (element i is row i)
    levels: tuple[Any, ...]  # numpy arrays: list index of each element, one per "[]"


class _LeafIndex:
    def __init__(self, leaf: _Leaf, first_row: int) -> None:
        self.leaf = leaf
        self.first_row = first_row

    def row_of(self, index: int) -> int:
        rows = self.leaf.rows
        return self.first_row + (int(rows[index]) if rows is not None else index)

    def where(self, index: int, offset_in_value: int, value: str) -> Where:
        leaf = self.leaf
        local = int(leaf.rows[index]) if leaf.rows is not None else index
        row = self.first_row + local
        field = leaf.pattern
        for level in leaf.levels:
            field = field.replace("[]", f"[{int(level[index])}]", 1)
        return Where(None, None, row, field, table_location(row, field))


def _pa() -> Any:
    try:
        import pyarrow  # type: ignore[import-untyped,unused-ignore]
        import pyarrow.compute  # type: ignore[import-untyped,unused-ignore]
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        raise ReaderError("pyarrow is not installed: cannot read Parquet/Arrow files") from None
    return pyarrow


def _has_strings(pa: Any, typ: Any) -> bool:
    stack = [typ]
    while stack:
        t = stack.pop()
        if _is_string(pa, t):
            return True
        if pa.types.is_dictionary(t):
            stack.append(t.value_type)
        elif pa.types.is_struct(t):
            stack.extend(t.field(i).type for i in range(t.num_fields))
        elif pa.types.is_map(t):
            stack.extend([t.key_type, t.item_type])
        elif pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t) or _is_list_view(pa, t):
            stack.append(t.value_type)
    return False


def _is_string(pa: Any, t: Any) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or
                (hasattr(pa.types, "is_string_view") and pa.types.is_string_view(t)))


def _is_list_view(pa: Any, t: Any) -> bool:
    return bool(hasattr(pa.types, "is_list_view") and (pa.types.is_list_view(t) or pa.types.is_large_list_view(t)))


def _leaves(pa: Any, name: str, array: Any) -> Iterator[_Leaf]:
    """String leaves of one column, nested types flattened (iteratively)."""
    import numpy as np

    pc = pa.compute
    stack: list[_Leaf] = [_Leaf(name, array, None, ())]
    while stack:
        item = stack.pop()
        arr, t = item.array, item.array.type
        if _is_string(pa, t):
            yield item
        elif pa.types.is_dictionary(t):
            if _has_strings(pa, t.value_type):
                stack.append(_Leaf(item.pattern, arr.dictionary_decode(), item.rows, item.levels))
        elif pa.types.is_struct(t):
            children = arr.flatten()  # parent nulls applied to children
            for i in range(t.num_fields - 1, -1, -1):
                if _has_strings(pa, t.field(i).type):
                    stack.append(_Leaf(f"{item.pattern}.{t.field(i).name}", children[i], item.rows, item.levels))
        elif pa.types.is_map(t) or pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t) or _is_list_view(pa, t):
            if not _has_strings(pa, t.value_type if not pa.types.is_map(t) else pa.struct([("key", t.key_type), ("value", t.item_type)])):
                continue
            if pa.types.is_map(t):
                entries = pa.StructArray.from_arrays([arr.keys, arr.items], ["key", "value"])
                arr = pa.ListArray.from_arrays(arr.offsets, entries)
            elif _is_list_view(pa, t):
                arr = arr.cast(pa.large_list(t.value_type))
            values = arr.flatten()
            parents = np.asarray(pc.list_parent_indices(arr), dtype=np.int64)
            positions = np.arange(len(parents), dtype=np.int64)
            element = positions - np.searchsorted(parents, parents, side="left")
            rows = parents if item.rows is None else item.rows[parents]
            levels = tuple(level[parents] for level in item.levels) + (element,)
            stack.append(_Leaf(f"{item.pattern}[]", values, rows, levels))


def _leaf_chunk(pa: Any, leaf: _Leaf, first_row: int, notes: set[str]) -> Chunk | None:
    arr = leaf.array
    n = len(arr)
    if n == 0:
        return None
    pc = pa.compute
    arr = arr.cast(pa.large_string()) if not pa.types.is_large_string(arr.type) else arr
    if arr.null_count:
        arr = arr.fill_null("")
    binary = arr.cast(pa.large_binary())
    joined = pc.binary_join(
        pa.LargeListArray.from_arrays(pa.array([0, n], pa.int64()), binary),
        pa.scalar(b"\n", pa.large_binary()),
    )[0].as_py()
    try:
        text = joined.decode("utf-8")
    except UnicodeDecodeError:
        text = joined.decode("utf-8", "surrogateescape")
        notes.add("invalid UTF-8 bytes kept as-is")
    del joined
    starts = None
    if text.count("\n") != n - 1:
        import numpy as np

        try:
            lengths = np.asarray(pc.utf8_length(arr), dtype=np.int64)
        except pa.ArrowException:
            lengths = np.asarray([len(v.decode("utf-8", "surrogateescape")) for v in binary.to_pylist()], dtype=np.int64)
        ends = np.cumsum(lengths + 1)
        starts = np.concatenate(([0], ends[:-1])).tolist()
    index = _LeafIndex(leaf, first_row)
    field = leaf.pattern
    return LocatedChunk(text, ChunkKind.DATA, line=None, row=first_row, field=field,
                        location=f"column {field}", index=index, starts=starts)


def _batch_chunks(pa: Any, batch: Any, first_row: int, notes: set[str]) -> Iterator[Chunk]:
    for name, column in zip(batch.schema.names, batch.columns):
        for leaf in _leaves(pa, name, column):
            chunk = _leaf_chunk(pa, leaf, first_row, notes)
            if chunk is not None:
                yield chunk


def _seekable(stream: IO[bytes], ctx: ReadContext) -> IO[bytes]:
    try:
        if stream.seekable():
            return stream
    except (AttributeError, ValueError):
        pass
    spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned open
    while True:
        block = stream.read(1024 * 1024)
        if not block:
            break
        spooled.write(block)
    spooled.seek(0)
    return spooled  # type: ignore[return-value,unused-ignore]


def read_parquet(blob: Blob, head: bytes, ctx: ReadContext | None = None) -> Iterator[Chunk]:
    ctx = ctx or ReadContext()
    pa = _pa()
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    with blob.open() as raw:
        stream = _seekable(raw, ctx)
        try:
            pf = pq.ParquetFile(stream, pre_buffer=False, buffer_size=1024 * 1024)
            schema = pf.schema_arrow
        except (pa.ArrowException, OSError, ValueError, TypeError, IndexError):
            raise ReaderError("not a valid Parquet file (missing or corrupt footer; truncated?)") from None
        columns = [f.name for f in schema if _has_strings(pa, f.type)]
        if not columns:
            return
        batch_rows = _parquet_batch_rows(pf, columns)
        yield from _stream(pa, ctx, blob.path, _parquet_batches(pa, pf, columns, batch_rows), pf.metadata.num_rows)


def _parquet_batch_rows(pf: Any, columns: list[str]) -> int:
    meta = pf.metadata
    total_rows = meta.num_rows or 1
    wanted = set(columns)
    size = 0
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for c in range(group.num_columns):
            column = group.column(c)
            if column.path_in_schema.split(".", 1)[0] in wanted:
                size += column.total_uncompressed_size
    per_row = max(1, size // total_rows)
    return max(64, min(MAX_BATCH_ROWS, TARGET_BATCH_BYTES // per_row))


def _parquet_batches(pa: Any, pf: Any, columns: list[str], batch_rows: int) -> Iterator[Any]:
    try:
        # Row group by row group: a batch never spans two, so damage in one leaves the others read.
        for group in range(pf.metadata.num_row_groups):
            yield from pf.iter_batches(batch_size=batch_rows, row_groups=[group], columns=columns, use_threads=False)
    except (pa.ArrowException, OSError, ValueError, IndexError) as exc:
        raise ReaderError(f"corrupt or truncated Parquet data ({type(exc).__name__})") from None


def _stream(pa: Any, ctx: ReadContext, path: str, batches: Iterator[Any], total_rows: int | None) -> Iterator[Chunk]:
    row = 1
    notes: set[str] = set()
    max_rows = ctx.max_rows
    for batch in batches:
        if max_rows is not None and row - 1 + batch.num_rows > max_rows:
            batch = batch.slice(0, max(0, max_rows - (row - 1)))
        ctx.progress(batch.nbytes)
        yield from _batch_chunks(pa, batch, row, notes)
        row += batch.num_rows
        if max_rows is not None and row - 1 >= max_rows:
            if total_rows is None or total_rows > max_rows:
                ctx.note(f"{path}: sampled the first {max_rows} rows (--max-rows); the rest was not scanned")
            break
    for note in sorted(notes):
        ctx.note(f"{path}: {note}")


# --- Arrow IPC / Feather -----------------------------------------------------------------------


def read_arrow(blob: Blob, head: bytes, ctx: ReadContext | None = None) -> Iterator[Chunk]:
    ctx = ctx or ReadContext()
    pa = _pa()
    from pyarrow import ipc  # type: ignore[import-untyped,unused-ignore]

    if head.startswith(b"FEA1"):  # before _seekable, which may decompress to a temp file
        raise ReaderError("Feather v1 files are not supported; convert to Feather v2 / Arrow IPC")
    with blob.open() as raw:
        stream = _seekable(raw, ctx)
        try:
            if head.startswith(b"ARROW1"):
                reader: Any = ipc.open_file(stream)
                batches: Iterator[Any] = (reader.get_batch(i) for i in range(reader.num_record_batches))
            else:
                reader = ipc.open_stream(stream)
                batches = iter(reader)
            schema = reader.schema
        except (pa.ArrowException, OSError, ValueError):
            raise ReaderError("not a valid Arrow IPC / Feather file (corrupt or truncated)") from None
        columns = [f.name for f in schema if _has_strings(pa, f.type)]
        if not columns:
            return
        yield from _stream(pa, ctx, blob.path, _arrow_batches(pa, batches, columns), None)


def _arrow_batches(pa: Any, batches: Iterator[Any], columns: list[str]) -> Iterator[Any]:
    try:
        for batch in batches:
            batch = batch.select(columns)
            for start in range(0, max(batch.num_rows, 1), MAX_BATCH_ROWS):
                yield batch.slice(start, MAX_BATCH_ROWS)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ReaderError(f"corrupt or truncated Arrow data ({type(exc).__name__})") from None
