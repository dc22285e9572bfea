"""One plain INSERT … RETURNING for a few new model instances (every intake's events).

QuerySet.bulk_create costs far more in Python than its statement costs the database
when there are only a row or two (on PostgreSQL it also sends the rows as arrays for
UNNEST, dumped element by element): an intake's two events took 470 µs of CPU through
it, 215 µs through `insert` (bench seed, timeit). The values are bulk_create's (each
field's pre_save and get_db_prep_save) and so is the effect: no signals, and the
instances get their primary keys. `save_new` is the same for one instance, with the
signals Model.save sends.
"""

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_save, pre_save


def insert(objs):
    """Insert unsaved instances of one model (no primary key yet) in one statement."""
    if not objs:
        return objs
    # The connection itself, not django.db.connection: each field's preparation reads it,
    # and every read through that proxy looks the connection up again (a quarter of the
    # preparation's CPU for a ticket's 37 values).
    connection = connections[DEFAULT_DB_ALIAS]
    meta = objs[0]._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    row = f"({', '.join(['%s'] * len(fields))})"
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES {', '.join([row] * len(objs))} RETURNING {quote(meta.pk.column)}"
    )
    params = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="insert")
        params += [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [pk for (pk,) in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, connection.alias
    return objs


def save_new(obj):
    """Model.save(force_insert=True) of one new instance, signals included (pre_save, then
    post_save with created=True), through `insert`: a ticket took 0.8 ms of CPU through
    Model.save, without its receivers (bench seed)."""
    model, using = type(obj), DEFAULT_DB_ALIAS
    pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=None)
    insert([obj])
    post_save.send(
        sender=model, instance=obj, created=True, update_fields=None, raw=False, using=using
    )
    return obj
