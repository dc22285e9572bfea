"""Write some fields of many saved instances, a statement per thousand (PostgreSQL).

QuerySet.bulk_update builds a `CASE WHEN id = … THEN …` per field and row: for the 4,807
hot issues of a city's month, 12 fields each, Django spent 25-40 s building those
expressions and PostgreSQL a second per statement matching them. `update` sends the rows
as a VALUES list joined on the primary key (`UPDATE … FROM (VALUES …)`), with
bulk_update's values (each field's get_db_prep_save) and effect (no signals, no
auto_now). On other databases it is bulk_update.
"""

from django.db import connection

BATCH = 1000  # rows a statement: 13,000 parameters for 12 fields, PostgreSQL takes 65,535


def update(objs, fields):
    """Write `fields` (names) of saved instances of one model; → rows updated."""
    if not objs:
        return 0
    model = type(objs[0])
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_update(objs, fields, batch_size=500)
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    quote = connection.ops.quote_name
    # Every value cast to its column's type: VALUES has no table to take the types from.
    row = "(" + ", ".join(f"%s::{f.cast_db_type(connection)}" for f in columns) + ")"
    names = ", ".join(quote(f.column) for f in columns)
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns[1:])
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objs), BATCH):
            batch = objs[start : start + BATCH]
            params = [
                f.get_db_prep_save(getattr(obj, f.attname), connection)
                for obj in batch
                for f in columns
            ]
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row] * len(batch))})"
                f" AS v ({names}) WHERE {table}.{pk} = v.{pk}",
                params,
            )
            updated += cursor.rowcount
    return updated
