"""One plain INSERT … RETURNING for a few new model instances (every intake's events).

QuerySet.bulk_create costs far more in Python than its statement costs the database
when there are only a row or two (on PostgreSQL it also sends the rows as arrays for
UNNEST, dumped element by element): an intake's two events took 470 µs of CPU through
it, 215 µs through `insert` (bench seed, timeit). The values are bulk_create's (each
field's pre_save and get_db_prep_save) and so is the effect: no signals, and the
instances get their primary keys. `save_new` is the same for one instance, with the
signals Model.save sends, and on PostgreSQL rows that point at the new one written by the
same statement (an intake's ticket and its events: one round trip fewer).
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
    sql, params = _insert_sql(connection, objs)
    with connection.cursor() as cursor:
        cursor.execute(
            f"{sql} RETURNING {connection.ops.quote_name(objs[0]._meta.pk.column)}", params
        )
        _saved(connection, objs, [pk for (pk,) in cursor.fetchall()])
    return objs


def create_all(objs):
    """Model.objects.create of each unsaved instance of one model, in one INSERT: the same
    rows (ids in order) and the same signals (pre_save of each before, post_save with
    created=True of each after)."""
    if not objs:
        return objs
    model, using = type(objs[0]), DEFAULT_DB_ALIAS
    for obj in objs:
        pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=None)
    insert(objs)
    for obj in objs:
        post_save.send(
            sender=model, instance=obj, created=True, update_fields=None, raw=False, using=using
        )
    return objs


def _insert_sql(connection, objs, link=None, linked_to=""):
    """(INSERT … VALUES …, params) of `objs`; `link`: the name of their foreign key whose
    value is the SQL `linked_to` (the id of a row the same statement inserts)."""
    meta = objs[0]._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    if link is not None:
        linked = meta.get_field(link)
        fields = [f for f in fields if f is not linked]
    quote = connection.ops.quote_name
    columns = [quote(f.column) for f in fields]
    values = ["%s"] * len(fields)
    if link is not None:
        columns.insert(0, quote(linked.column))
        values.insert(0, linked_to)
    row = f"({', '.join(values)})"
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "
        f"VALUES {', '.join([row] * len(objs))}"
    )
    params = []
    for obj in objs:
        # Not the link: its row has no id yet (save_new sets it once there is one).
        obj._prepare_related_fields_for_save(
            operation_name="insert", fields=fields if link is not None else None
        )
        params += [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    return sql, params


def _saved(connection, objs, ids):
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, connection.alias


# model → [write(obj) → (CTE, params) or None]: on PostgreSQL, save_new writes with a new
# instance (and its `then`) the rows another app keeps of it, in the same statement: one
# round trip fewer on every intake (insights.intake: the duplicate index). A CTE reads the
# new row's id as `new.id` (FROM new); `write` tells its post_save receiver it is done.
WRITTEN_WITH = {}


def save_new(obj, then=(), link=None):
    """Model.save(force_insert=True) of one new instance, signals included (pre_save, then
    post_save with created=True), through `insert`: a ticket took 0.8 ms of CPU through
    Model.save, without its receivers (bench seed).

    `then`: new instances of another model whose foreign key `link` is `obj` (a ticket's
    first events), inserted with it, as `insert` would (no signals): on PostgreSQL in the
    same statement (a data-modifying WITH), elsewhere right after it. Either way before
    post_save, so its receivers see them written."""
    model, using = type(obj), DEFAULT_DB_ALIAS
    pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=None)
    connection = connections[using]
    if then and connection.vendor == "postgresql":
        pk = connection.ops.quote_name(model._meta.pk.column)
        first, params = _insert_sql(connection, [obj])
        rows, more = _insert_sql(connection, then, link, "(SELECT id FROM new)")
        linked = connection.ops.quote_name(then[0]._meta.get_field(link).column)
        # Rows of other tables written with it (WRITTEN_WITH), once its values are final.
        also = [part for write in WRITTEN_WITH.get(model, ()) if (part := write(obj))]
        ctes = "".join(f", {cte}" for cte, _params in also)
        sql = (
            f"WITH new AS ({first} RETURNING {pk} AS id){ctes} {rows} "
            f"RETURNING {connection.ops.quote_name(then[0]._meta.pk.column)}, {linked}"
        )
        params += [value for _cte, values in also for value in values]
        with connection.cursor() as cursor:
            cursor.execute(sql, params + more)
            returned = cursor.fetchall()
        _saved(connection, [obj], [returned[0][1]])
        _saved(connection, then, [row[0] for row in returned])
    else:
        insert([obj])
        insert(list(then))
    for child in then:
        setattr(child, link, obj)  # its id, now that there is one
    post_save.send(
        sender=model, instance=obj, created=True, update_fields=None, raw=False, using=using
    )
    return obj
