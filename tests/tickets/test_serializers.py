"""PrebuiltFieldsMixin: fields built once per class, copied per serializer, never shared;
`represent` answers as a new serializer would, from the one its thread keeps."""

import threading
from types import SimpleNamespace

from rest_framework import serializers

from gridgov.tickets.serializers import CategoryRefSerializer, PrebuiltFieldsMixin


class _Form(PrebuiltFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=5)
    ref = CategoryRefSerializer()
    refs = CategoryRefSerializer(many=True)
    tags = serializers.ListField(child=serializers.CharField())


def _ref(code):
    return SimpleNamespace(code=code, name=f"n{code}", full_name=f"f{code}")


def test_every_serializer_binds_its_own_copies_down_to_the_nested_fields():
    first, second = _Form(), _Form()
    for form in (first, second):
        fields = form.fields
        assert all(field.parent is form for field in fields.values())
        assert all(f.parent is fields["ref"] for f in fields["ref"].fields.values())
        assert fields["refs"].child.parent is fields["refs"]
        assert fields["tags"].child.parent is fields["tags"]
    for name in ("name", "ref", "refs", "tags"):
        assert first.fields[name] is not second.fields[name]
    assert first.fields["ref"].fields["code"] is not second.fields["ref"].fields["code"]
    assert first.fields["refs"].child is not second.fields["refs"].child
    prototype = _Form._prebuilt_fields
    assert all(getattr(field, "parent", None) is None for field in prototype.values())
    assert "fields" not in prototype["ref"].__dict__
    assert prototype["refs"].child.parent is prototype["refs"]  # copies leave it alone
    assert prototype["tags"].child.parent is prototype["tags"]


def test_copies_read_and_validate_independently():
    one = SimpleNamespace(name="a", ref=_ref(1), refs=[_ref(2)], tags=["x"])
    two = SimpleNamespace(name="b", ref=_ref(3), refs=[_ref(4), _ref(5)], tags=[])
    assert _Form(one).data["ref"] == {"code": "1", "name": "n1", "full_name": "f1"}
    assert [r["code"] for r in _Form(two).data["refs"]] == ["4", "5"]
    assert _Form(one).data["refs"] == [{"code": "2", "name": "n2", "full_name": "f2"}]

    bad = _Form(data={"name": "too long", "ref": {}, "refs": [], "tags": ["t"]})
    assert not bad.is_valid()
    assert set(bad.errors) == {"name", "ref"}
    good = {"name": "ok", "ref": {"code": "1", "name": "n", "full_name": "f"}, "refs": []}
    form = _Form(data={**good, "tags": ["t"]})
    assert form.is_valid(), form.errors
    assert form.validated_data["ref"] == good["ref"]


class _Shown(PrebuiltFieldsMixin, serializers.Serializer):
    name = serializers.CharField()
    refs = CategoryRefSerializer(many=True)
    seen_by = serializers.SerializerMethodField()
    inner = serializers.SerializerMethodField()

    def get_seen_by(self, obj):
        return self.context["who"]

    def get_inner(self, obj):  # the same class again, while the thread's is at work
        return _Shown.represent(obj.inner, self.context) if obj.inner else None


def test_represent_is_each_calls_own_answer_from_one_kept_serializer():
    one = SimpleNamespace(name="a", refs=[_ref(1)], inner=None)
    two = SimpleNamespace(name="b", refs=[], inner=one)
    for obj, who in [(one, "x"), (two, "y"), (one, "z")]:
        assert _Shown.represent(obj, {"who": who}) == _Shown(obj, context={"who": who}).data
    assert _Shown.represent(two, {"who": "w"})["inner"]["seen_by"] == "w"
    kept = _Shown._kept.serializer
    assert _Shown.represent(one, {"who": "v"})["seen_by"] == "v"
    assert _Shown._kept.serializer is kept  # its fields bound once

    other = {}  # another thread: its own serializer

    def elsewhere():
        other.update(data=_Shown.represent(one, {"who": "t"}), kept=_Shown._kept.serializer)

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert other["data"]["seen_by"] == "t" and other["kept"] is not kept
    assert _Shown._kept.serializer is kept
