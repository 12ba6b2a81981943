"""Parquet (one row group at a time, written back as one row group, with each column's
compression and the schema with its metadata) and Arrow IPC / Feather (one record batch at a
time). String columns are redacted in slices as the scan reads them; other columns are written
back as they were read. Peak memory: about one row group (or batch), whatever the file size."""
from __future__ import annotations

from typing import Any

from hfguard.redact.formats import FormatError, Job, Outcome, detail

SLICE_ROWS = 16384
FLUSH_BYTES = 128 * 2**20  # redacted data of one row group held before it is written


def _is_text(t: Any) -> bool:
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    if pa.types.is_dictionary(t):
        return _is_text(t.value_type)
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or getattr(pa.types, "is_string_view", lambda _: False)(t))


def _holds_text(t: Any) -> bool:
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    if _is_text(t):
        return True
    if pa.types.is_struct(t):
        return any(_holds_text(t.field(i).type) for i in range(t.num_fields))
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return _holds_text(t.value_type)
    if pa.types.is_map(t):
        return _holds_text(t.key_type) or _holds_text(t.item_type)
    return False


def _redact_column(job: Job, column: Any, name: str, first_row: int, nested: bool = False) -> Any:
    """The column (a ChunkedArray) redacted, or the same object when nothing changed. String
    columns are redacted as Arrow arrays (ValueRedactor.arrow_column); nested columns (lists,
    structs) have their strings redacted by key path, as JSON is."""
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    from hfguard.redact.formats.jsondata import redact_nested

    if not nested and not job.redactor.touches(name):
        return column  # the scan reported nothing in this column: not even read into Python
    kind = column.type
    pieces: list[Any] = []
    changed = False
    offset = first_row
    for part in column.chunks:
        for start in range(0, len(part), SLICE_ROWS):
            piece = part.slice(start, SLICE_ROWS)
            if nested:
                values = piece.to_pylist()
                if redact_nested(job, values, name, offset + start):
                    changed = True
                    piece = pa.array(values, type=kind)
            else:
                plain = piece.dictionary_decode() if pa.types.is_dictionary(kind) else piece
                new = job.redactor.arrow_column(plain, name, offset + start)
                if new is not plain:
                    changed = True
                    piece = new.dictionary_encode().cast(kind) if pa.types.is_dictionary(kind) else new
            pieces.append(piece)
        offset += len(part)
    if not changed:
        return column
    return pa.chunked_array(pieces, type=kind)


def _redact_table(job: Job, table: Any, first_row: int, keep: list[int], out_schema: Any, outcome: Outcome) -> Any:
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    columns = []
    for i in keep:
        field = table.schema.field(i)
        column = table.column(i)
        name = job.redactor.shown(field.name)
        if _is_text(field.type):
            column = _redact_column(job, column, name, first_row)
        elif _holds_text(field.type):
            if pa.types.is_map(field.type):
                note = f"column {name!r}: map values are not redacted (the scan after redaction checks them)"
                if note not in outcome.notes:
                    outcome.notes.append(note)
            else:
                column = _redact_column(job, column, name, first_row, nested=True)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=out_schema)


def _kept(job: Job, schema: Any, outcome: Outcome) -> tuple[list[int], Any]:
    """The columns kept and the schema written: dropped columns left out, a column whose name
    holds a found value renamed."""
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    names = job.redactor.keys(schema.names)
    keep = [i for i, f in enumerate(schema) if not job.redactor.dropped(job.redactor.shown(f.name))]
    outcome.dropped_columns = [schema.field(i).name for i in range(len(schema)) if i not in keep]
    metadata = dict(schema.metadata or {})
    if outcome.dropped_columns or names:
        metadata.pop(b"pandas", None)  # it lists the columns by name
    fields = [schema.field(i) for i in keep]
    fields = [f.with_name(names[f.name][0]) if f.name in names else f for f in fields]
    return keep, pa.schema(fields, metadata=metadata or None)


def _codecs(meta: Any, names: list[str], renamed: dict[str, tuple[str, str]], kept: list[str]) -> dict[str, str]:
    """Each leaf column's codec, keyed by its path in the written file (pyarrow's `compression=`
    names a column by its path: a list column `tags` is `tags.list.element`, a struct's fields
    `s.k`; a top name alone leaves nested leaves uncompressed). Taken from the first row group."""
    out: dict[str, str] = {}
    if not meta.num_row_groups:
        return out
    group = meta.row_group(0)
    for c in range(group.num_columns):
        col = group.column(c)
        path = col.path_in_schema
        # the top-level column it belongs to (a name may itself hold dots: the longest that fits)
        tops = [n for n in names if path == n or path.startswith(n + ".")]
        if not tops:
            continue
        top = max(tops, key=len)
        new_top = renamed[top][0] if top in renamed else top
        if new_top not in kept:
            continue  # dropped
        codec = (col.compression or "uncompressed").lower()
        out[new_top + path[len(top):]] = "none" if codec == "uncompressed" else codec
    return out


def redact_parquet(job: Job) -> Outcome:
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    if not job.seekable:
        raise FormatError("a compressed Parquet file cannot be redacted (decompress it first)")
    outcome = Outcome()
    try:
        with job.src() as stream:
            pf = pq.ParquetFile(stream)
            meta = pf.metadata
            schema = pf.schema_arrow
            keep, out_schema = _kept(job, schema, outcome)
            renamed = job.redactor.keys(schema.names)  # (the same answer _kept had)
            compression = _codecs(meta, schema.names, renamed, out_schema.names)
            writer = pq.ParquetWriter(job.dst, out_schema, compression=compression or "snappy",
                                      version=meta.format_version if meta.format_version in ("1.0", "2.4", "2.6") else "2.6")
            try:
                row = 1
                for g in range(meta.num_row_groups):
                    row = _copy_row_group(job, pf, g, row, keep, out_schema, writer, outcome)
            finally:
                writer.close()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise FormatError(f"Parquet could not be rewritten: {detail(exc)}") from None
    return outcome


def _copy_row_group(job: Job, pf: Any, group: int, row: int, keep: list[int], out_schema: Any, writer: Any,
                    outcome: Outcome) -> int:
    """One row group read in record batches (each batch's input freed once redacted) and written
    as one row group; one bigger than FLUSH_BYTES once redacted is written in several, so memory
    stays about FLUSH_BYTES whatever the row group size. Returns the next row number."""
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    pieces: list[list[Any]] = [[] for _ in keep]
    held = 0
    split = False

    def flush() -> None:
        nonlocal pieces, held
        columns = [pa.chunked_array(chunks, type=out_schema.field(j).type) for j, chunks in enumerate(pieces)]
        table = pa.Table.from_arrays(columns, schema=out_schema)
        writer.write_table(table, row_group_size=max(1, table.num_rows))
        pieces, held = [[] for _ in keep], 0

    for batch in pf.iter_batches(batch_size=SLICE_ROWS, row_groups=[group], use_threads=False):
        part = _redact_table(job, pa.Table.from_batches([batch]), row, keep, out_schema, outcome)
        for j, column in enumerate(part.columns):
            pieces[j].extend(column.chunks)
        held += part.nbytes
        row += batch.num_rows
        del batch, part
        if held >= FLUSH_BYTES:
            flush()
            split = True
    if held or not split:
        flush()
    if split:
        note = (f"row groups larger than {FLUSH_BYTES // 2**20} MB (once redacted) were written as several, "
                "to bound memory")
        if note not in outcome.notes:
            outcome.notes.append(note)
    pa.default_memory_pool().release_unused()  # give freed Arrow memory back between row groups
    return row


_LZ4_FRAME = b"\x04\x22\x4d\x18"
_ZSTD_FRAME = b"\x28\xb5\x2f\xfd"


def _ipc_codec(job: Job, file_format: bool) -> str | None:
    """The buffer compression of an Arrow IPC file (Feather v2 uses LZ4 by default): pyarrow does
    not expose it, so the first record batch message is read: a body whose size differs from its
    buffers' (padded) sizes is compressed, and the codec is told by its frame magic."""
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    from pyarrow import ipc  # type: ignore[import-untyped,unused-ignore]

    with job.src() as stream:
        if file_format:
            stream.seek(8)  # "ARROW1\0\0"
        messages = ipc.MessageReader.open_stream(pa.PythonFile(stream, mode="r"))
        schema = ipc.read_schema(messages.read_next_message())
        while True:
            message = messages.read_next_message()
            if message.type == "record batch":
                break
        batch = ipc.read_record_batch(message, schema)
        plain = sum((b.size + 7) // 8 * 8 for col in batch.columns for b in col.buffers() if b is not None)
        body = message.body.to_pybytes()
    if len(body) == plain:
        return None
    lz4, zstd = body.find(_LZ4_FRAME), body.find(_ZSTD_FRAME)
    if zstd >= 0 and (lz4 < 0 or zstd < lz4):
        return "zstd"
    return "lz4"


def redact_arrow(job: Job) -> Outcome:
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    from pyarrow import ipc  # type: ignore[import-untyped,unused-ignore]

    if not job.seekable:
        raise FormatError("a compressed Arrow file cannot be redacted (decompress it first)")
    outcome = Outcome()
    try:
        with job.src() as stream:
            try:
                reader: Any = ipc.open_file(stream)
                batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
                file_format = True
            except pa.ArrowInvalid:
                stream.seek(0)
                reader = ipc.open_stream(stream)
                batches = iter(reader)
                file_format = False
            schema = reader.schema
            keep, out_schema = _kept(job, schema, outcome)
            first = next(batches, None)
            codec = _ipc_codec(job, file_format) if first is not None else None
            options = ipc.IpcWriteOptions(compression=codec)
            new = ipc.new_file if file_format else ipc.new_stream
            with new(job.dst, out_schema, options=options) as writer:
                row = 1
                batch = first
                while batch is not None:
                    table = pa.Table.from_batches([batch])
                    table = _redact_table(job, table, row, keep, out_schema, outcome)
                    for out in table.combine_chunks().to_batches():
                        writer.write_batch(out)
                    row += batch.num_rows
                    batch = next(batches, None)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise FormatError(f"Arrow file could not be rewritten: {detail(exc)}") from None
    return outcome
