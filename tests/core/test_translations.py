"""Django merges the apps' translation catalogs into one: where two apps translate the same
message id differently, the app listed first wins everywhere, silently. The tickets import
report's CSV column 问题说明 became 问题 once the web app translated "What is wrong" its own way."""

import gettext
from collections import defaultdict
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

import gridgov
from gridgov.open311.models import Jurisdiction
from gridgov.people.models import Department, PartyMember, Person
from gridgov.tickets.models import Ticket

SRC = Path(gridgov.__file__).resolve().parent


def test_no_message_is_translated_two_ways_by_two_apps():
    seen = defaultdict(dict)  # message id -> {translation: app}
    catalogs = sorted(SRC.glob("*/locale/zh_Hans/LC_MESSAGES/django.mo"))
    assert len(catalogs) >= 5
    for mo in catalogs:
        app = mo.parts[-5]
        with mo.open("rb") as handle:
            catalog = gettext.GNUTranslations(handle)._catalog
        for msgid, msgstr in catalog.items():
            if msgid:  # "" is the header
                seen[msgid][msgstr if isinstance(msgstr, str) else tuple(msgstr)] = app
    clashes = {msgid: found for msgid, found in seen.items() if len(found) > 1}
    assert not clashes, clashes


def test_no_message_of_ours_is_translated_otherwise_by_django_or_a_library():
    """Django's own apps and the libraries come first in INSTALLED_APPS: django.contrib.auth's
    "active" (有效) won over the routing rules' and API keys' 启用, the admin's "This year" (今年)
    over the KPI page's 本年."""
    overridden = {}
    with translation.override("zh-hans"):
        for mo in sorted(SRC.glob("*/locale/zh_Hans/LC_MESSAGES/django.mo")):
            with mo.open("rb") as handle:
                catalog = gettext.GNUTranslations(handle)._catalog
            for msgid, msgstr in catalog.items():
                if not msgid or not isinstance(msgid, str):  # the header; plural forms
                    continue
                context, _sep, text = msgid.rpartition("\x04")
                shown = pgettext(context, text) if context else _(text)
                if shown != msgstr:
                    overridden[msgid] = (mo.parts[-5], msgstr, shown)
    assert not overridden, overridden


def test_words_that_mean_different_things_keep_their_own_translation():
    """Where the meanings differ the msgid carries a context; these read wrong before."""
    with translation.override("zh-hans"):
        label = {
            f"{model.__name__}.{field}": str(model._meta.get_field(field).verbose_name)
            for model, field in [
                (Ticket, "status"),
                (PartyMember, "status"),
                (Person, "name"),
                (Department, "name"),
            ]
        }
        assert label == {
            "Ticket.status": "状态",  # was 类别, the party member's category
            "PartyMember.status": "类别",
            "Person.name": "姓名",  # was 名称, a place's name
            "Department.name": "名称",
        }
        assert str(Jurisdiction._meta.verbose_name) == "辖区"  # was 管辖区域
        # The ticket admin's fieldset of address, building, grid and place; was 坐标.
        assert _("Location") == "位置"
        assert _("Coordinates") == "坐标"  # a place page's lat, lng


# Placeholders that stand for a Chinese name (a unit, place or person): Chinese runs them
# into the sentence (已转交魏家坡小区办理), where a space reads as a typo. Codes, numbers and
# field names (%(code)s, %(n)s, service_code) keep their spaces.
NAME_PLACEHOLDERS = ("unit", "owner", "place")


def test_names_run_into_the_chinese_sentence_without_spaces():
    import re

    cjk = r"[\u4e00-\u9fff，。；：]"
    names = "|".join(NAME_PLACEHOLDERS)
    spaced = re.compile(rf"{cjk} %\(({names})\)s|%\(({names})\)s {cjk}")
    found = []
    for mo in sorted(SRC.glob("*/locale/zh_Hans/LC_MESSAGES/django.mo")):
        with mo.open("rb") as handle:
            catalog = gettext.GNUTranslations(handle)._catalog
        for msgid, msgstr in catalog.items():
            for text in [msgstr] if isinstance(msgstr, str) else list(msgstr):
                if msgid and spaced.search(text):
                    found.append((mo.parts[-5], text))
    assert not found, found
