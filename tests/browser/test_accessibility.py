"""Accessibility and elderly-friendly use (适老化 / 信息无障碍) of the main pages, as their
users see them in Chromium, checked in the page (no axe-core):

- <html lang> is the page's language;
- every visible field has a name (a <label>, aria-label or aria-labelledby), not only a
  placeholder; every image has alt; every button and link has text or aria-label;
- body text at least 14 px, text at least 12 px, and fields at least 16 px on a phone (iOS
  zooms into smaller ones);
- text contrast at least 4.5:1 (3:1 for large text), WCAG's formula on computed colours;
- focus visible: a keyboard's focus draws an outline or shadow contrasting 3:1 with what is
  behind it;
- on a 390 px phone every button at least 32 px high.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone

from gridgov.insights.models import HotIssue
from gridgov.places.models import Place
from gridgov.tickets.models import PatrolTask, Ticket
from tests.places.factories import GRID_SIZE
from tests.tickets.factories import make_ticket, make_world_with_resident, reported_by_resident

from .session import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every problem of a page, by rule: {rule: [description, ...]}.
AUDIT = """({phone}) => {
  const problems = {};
  const report = (rule, el, extra) => {
    (problems[rule] = problems[rule] || []).push(describe(el) + (extra ? " " + extra : ""));
  };
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    if (typeof el.className === "string" && el.className.trim())
      s += "." + el.className.trim().split(/\\s+/).join(".");
    if (el.getAttribute("name")) s += "[name=" + el.getAttribute("name") + "]";
    const text = (el.innerText || el.value || "").trim().replace(/\\s+/g, " ").slice(0, 24);
    return text ? s + " «" + text + "»" : s;
  };
  const shown = (el) => {
    if (!el.getClientRects().length) return false;
    const style = getComputedStyle(el);
    return style.visibility !== "hidden" && style.opacity !== "0";
  };
  const named = (el) => {
    const aria = (el.getAttribute("aria-label") || "").trim();
    const by = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean)
      .some((id) => (document.getElementById(id)?.textContent || "").trim());
    return Boolean(aria || by);
  };

  // Language.
  problems.lang = document.documentElement.lang;

  // Fields named.
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden" || !shown(el)) continue;
    if (["submit", "button", "reset", "image"].includes(el.type)) {
      if (!(el.value || "").trim() && !named(el) && !el.alt) report("field-name", el);
      continue;
    }
    const label = Array.from(el.labels || []).some((l) => l.textContent.trim());
    if (!label && !named(el)) report("field-name", el, el.placeholder ? "(placeholder only)" : "");
  }
  // Images, buttons and links named.
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) report("img-alt", img, img.getAttribute("src"));
  }
  for (const el of document.querySelectorAll("a[href], button, [role=button]")) {
    if (!el.getClientRects().length) continue;
    const text = (el.textContent || "").trim();
    const alt = Array.from(el.querySelectorAll("img[alt]")).some((i) => i.alt.trim());
    if (!text && !alt && !named(el)) report("control-name", el, el.getAttribute("href") || "");
  }

  // Sizes.
  const px = (el) => parseFloat(getComputedStyle(el).fontSize);
  if (px(document.body) < 14) report("base-size", document.body, px(document.body) + "px");
  if (phone) {
    for (const el of document.querySelectorAll("input, select, textarea")) {
      if (el.type === "hidden" || !shown(el)) continue;
      if (["submit", "button", "reset", "image", "checkbox", "radio", "file", "range", "color"].includes(el.type)) continue;
      if (px(el) < 16) report("field-size-phone", el, px(el) + "px");
    }
  }

  // Colours.
  const parse = (value) => {
    const m = /^rgba?\\(([^)]+)\\)$/.exec(value);
    if (!m) return null;
    const parts = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(parseFloat);
    return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  // What is behind an element: its own and its ancestors' backgrounds, composed; null
  // where a picture or gradient is behind (not computable).
  const behind = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.backgroundImage !== "none") return null;
      const c = parse(style.backgroundColor);
      if (c && c.a > 0) {
        layers.push(c);
        if (c.a >= 1) break;
      }
    }
    let colour = { r: 255, g: 255, b: 255, a: 1 };
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const opacity = (el) => {
    let o = 1;
    for (let node = el; node && node.nodeType === 1; node = node.parentElement)
      o *= parseFloat(getComputedStyle(node).opacity);
    return o;
  };
  const luminance = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  // The text of `el` (its own text nodes), or null: "ratio:1 colour on background" where
  // its contrast is under 4.5:1 (3:1 for large text).
  const textNodes = (el) => {
    if (["SCRIPT", "STYLE", "NOSCRIPT", "OPTION", "TEMPLATE"].includes(el.tagName)) return false;
    if (el.closest("svg, .leaflet-container canvas, [aria-hidden=true]")) return false;
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    return own && shown(el) && !el.closest(":disabled, [aria-disabled=true]");
  };
  const lowContrast = (el, pseudo) => {
    const style = getComputedStyle(el, pseudo);
    const size = parseFloat(style.fontSize);
    const back = behind(el);
    const fore = parse(style.color);
    if (!back || !fore) return null;
    const alpha = fore.a * opacity(el);
    const shownColour = over({ ...fore, a: alpha }, back);
    const contrast = ratio(shownColour, back);
    const bold = parseInt(style.fontWeight, 10) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    if (contrast >= (large ? 3 : 4.5)) return null;
    return contrast.toFixed(2) + ":1 " + style.color + " on rgb(" +
      [back.r, back.g, back.b].map(Math.round).join(",") + ")";
  };
  window.__a11y = { parse, behind, ratio, over, describe, shown, textNodes, lowContrast };
  const seen = new Set();
  for (const el of document.querySelectorAll("body *")) {
    if (!textNodes(el)) continue;
    const style = getComputedStyle(el);
    const size = parseFloat(style.fontSize);
    if (size < 12) report("text-size", el, size.toFixed(1) + "px");
    const low = lowContrast(el);
    const key = describe(el).split(" «")[0] + style.color + style.backgroundColor;
    if (low && !seen.has(key)) {
      seen.add(key);
      report("contrast", el, low);
    }
  }
  // Placeholders are text too (the hint of what to write), with a browser's grey by default.
  for (const el of document.querySelectorAll("input[placeholder], textarea[placeholder]")) {
    if (!el.placeholder.trim() || !shown(el)) continue;
    const low = lowContrast(el, "::placeholder");
    if (low) report("placeholder-contrast", el, "«" + el.placeholder.slice(0, 16) + "» " + low);
  }

  // Tap targets on a phone.
  if (phone) {
    for (const el of document.querySelectorAll(
      "button, input[type=submit], input[type=button], a.button, [role=button], summary.button"
    )) {
      if (!shown(el)) continue;
      const box = el.getBoundingClientRect();
      if (box.height < 32) report("tap-target-phone", el, Math.round(box.height) + "px");
    }
  }
  return problems;
}"""

# The focus a keyboard gives an element: its outline or box-shadow, against what is behind.
FOCUS = """() => {
  const focused = document.activeElement;
  if (!focused || focused === document.body) return null;
  // Focused before: Tab has been round the whole page.
  if (focused.dataset.a11yFocused) return { again: true };
  focused.dataset.a11yFocused = "1";
  const { parse, behind, ratio, describe } = window.__a11y;
  // A field hidden behind its label (a file picker) shows its focus on the label.
  const box = focused.getBoundingClientRect();
  const hidden = box.width <= 2 || box.height <= 2 || getComputedStyle(focused).opacity === "0";
  const el = hidden && focused.labels && focused.labels.length ? focused.labels[0] : focused;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 1;
  const shadow = style.boxShadow !== "none" && style.boxShadow !== el.dataset.a11yShadow;
  const back = behind(el.parentElement || el);
  let contrast = null;
  const colour = outline ? parse(style.outlineColor) : shadow ? parse(style.boxShadow.match(/rgba?\\([^)]+\\)/)?.[0] || "") : null;
  if (colour && back) contrast = ratio(colour, back);
  return { what: describe(focused), outline, shadow, contrast };
}"""

REMEMBER_SHADOWS = """() => {
  for (const el of document.querySelectorAll("a[href], button, input, select, textarea, summary"))
    el.dataset.a11yShadow = getComputedStyle(el).boxShadow;
}"""


# The links and buttons to hover: one of each look (tag, class, colours), marked
# data-a11y-hover=<n> for the test to point the mouse at.
HOVER_TARGETS = """() => {
  const { describe, shown } = window.__a11y;
  const looks = new Set();
  let n = 0;
  for (const el of document.querySelectorAll(
    "a[href], button, summary, [role=button], input[type=submit], input[type=button]"
  )) {
    if (!shown(el) || el.closest(":disabled, [aria-disabled=true], [aria-hidden=true]")) continue;
    const box = el.getBoundingClientRect();
    if (box.width < 2 || box.height < 2) continue;
    const style = getComputedStyle(el);
    const look = describe(el).split(" «")[0] + style.color + style.backgroundColor;
    if (looks.has(look)) continue;
    looks.add(look);
    el.dataset.a11yHover = String(n++);
  }
  return n;
}"""

# What the mouse over one of them shows: its text's contrast, as the audit's.
HOVERED = """(el) => {
  const { describe, textNodes, lowContrast } = window.__a11y;
  const found = [];
  for (const node of [el, ...el.querySelectorAll("*")]) {
    if (!textNodes(node) && !(node === el && node.tagName === "INPUT")) continue;
    const low = lowContrast(node);
    if (low) found.push(describe(node) + " " + low);
  }
  return found;
}"""

NO_TRANSITIONS = (
    "*, *::before, *::after { transition: none !important; animation: none !important; }"
)


def hover_audit(page):
    """The links and buttons whose text a mouse over them shows below WCAG's contrast."""
    from playwright.sync_api import Error as PlaywrightError

    page.add_style_tag(content=NO_TRANSITIONS)
    found = []
    for n in range(page.evaluate(HOVER_TARGETS)):
        target = page.locator(f"[data-a11y-hover='{n}']")
        try:
            target.hover(timeout=1500)
        except PlaywrightError:  # covered by another element: the mouse cannot be over it
            continue
        found.extend(target.evaluate(HOVERED))
    page.mouse.move(0, 0)
    return found


def audit(page, *, phone=False, tabs=150):
    """The page's problems by rule, with focus checked over its first `tabs` Tab presses, or
    until Tab comes back to an element it focused before."""
    problems = page.evaluate(AUDIT, {"phone": phone})
    if not phone:
        hovered = hover_audit(page)
        if hovered:
            problems["hover-contrast"] = hovered
    page.evaluate(REMEMBER_SHADOWS)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    seen = set()
    for _ in range(tabs):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        if focus is not None and focus.get("again"):
            break
        if focus is None or focus["what"] in seen:
            continue
        seen.add(focus["what"])
        if not (focus["outline"] or focus["shadow"]):
            problems.setdefault("focus", []).append(focus["what"] + " (no outline)")
        elif focus["contrast"] is not None and focus["contrast"] < 3:
            problems.setdefault("focus", []).append(
                f"{focus['what']} (outline {focus['contrast']:.2f}:1)"
            )
    return problems


def check(page, url, *, phone=False, lang="zh-hans"):
    page.goto(url)
    page.wait_for_load_state("networkidle")
    problems = audit(page, phone=phone)
    found = problems.pop("lang")
    if found.lower() != lang:
        problems["lang"] = [f"<html lang={found!r}>, the page is {lang}"]
    return problems


def world_with_everything():
    world = make_world_with_resident()
    ticket = make_ticket(world, address="魏家坡小区1号楼2单元")
    own = reported_by_resident(world, title="路灯不亮", address="魏家坡小区1号楼")
    PatrolTask.objects.create(
        grid=world.grid_a, title="日常巡查", checklist=["楼道堆物"], assignee=world.gridworker_a
    )
    now = timezone.now()
    HotIssue.objects.create(
        key="a11y",
        title="小区环境污染问题",
        place=world.grid_a,
        place_label=world.grid_a.name,
        first_at=now - dt.timedelta(days=5),
        last_at=now,
        ticket_count=3,
        requester_count=3,
        heat=9.0,
        refreshed_at=now,
    )
    return world, ticket, own


def test_the_main_pages_are_accessible(chromium, live_server, artifacts):
    world, ticket, own = world_with_everything()
    base = live_server.url
    found = {}

    def visit(page, who, path, *, phone=False, lang="zh-hans"):
        problems = check(page, base + path, phone=phone, lang=lang)
        if problems:
            found[f"{who} {'phone' if phone else 'desktop'} {path}"] = problems

    # Before signing in: the landing and sign-in pages, on a phone and a desktop.
    for phone, size in ((True, (390, 844)), (False, (1366, 860))):
        context = chromium.new_context(
            locale="zh-CN",
            viewport={"width": size[0], "height": size[1]},
            is_mobile=phone,
            has_touch=phone,
        )
        page = context.new_page()
        visit(page, "anonymous", "/", phone=phone)
        visit(page, "anonymous", "/login/", phone=phone)
        context.close()

    # A resident on a phone: 随手拍 and 我的诉求.
    with signed_in(chromium, base, world.resident.username, phone=True) as (page, errors):
        visit(page, "resident", "/", phone=True)
        visit(page, "resident", "/tickets/report/", phone=True)
        visit(page, "resident", "/tickets/mine/", phone=True)
        visit(page, "resident", f"/tickets/mine/{own.code}/", phone=True)
        page.screenshot(path=artifacts / "a11y-mine-detail-390.png", full_page=True)
        assert not errors, errors

    # A grid worker on a phone: the dashboard, queue, a ticket, patrols, KPIs, places.
    with signed_in(chromium, base, world.gridworker_a.username, phone=True) as (page, errors):
        for path in ("/", "/tickets/", f"/tickets/{ticket.code}/", "/tickets/patrols/"):
            visit(page, "gridworker", path, phone=True)
        page.goto(f"{base}/tickets/{ticket.code}/")
        page.screenshot(path=artifacts / "a11y-ticket-390.png", full_page=True)
        visit(page, "gridworker", "/tickets/kpis/", phone=True)
        visit(page, "gridworker", "/places/", phone=True)
        assert not errors, errors

    # The hotline operator at a desk.
    with signed_in(chromium, base, world.hotline.username) as (page, errors):
        visit(page, "hotline", "/tickets/new/hotline/")
        visit(page, "hotline", "/tickets/")
        assert not errors, errors

    # Community staff at a desk, and in English.
    with signed_in(chromium, base, world.community_staff.username) as (page, errors):
        for path in ("/", "/tickets/", f"/tickets/{ticket.code}/", "/tickets/kpis/"):
            visit(page, "community", path)
        for path in ("/people/", "/places/", "/insights/hot/"):
            visit(page, "community", path)
        page.locator(".lang-switch button[value=en]").click()
        page.wait_for_load_state("networkidle")
        visit(page, "community", "/tickets/", lang="en")
        visit(page, "community", f"/tickets/{ticket.code}/", lang="en")
        assert not errors, errors

    listing = "\n".join(
        f"{where}\n" + "\n".join(f"  {rule}: {items}" for rule, items in problems.items())
        for where, problems in found.items()
    )
    assert not found, listing


# Every map's text alternative, for a keyboard and a screen reader: what Tab must reach.
MAP_ALTERNATIVES = {
    "/tickets/map/": "#grid-rank .grid-rank-entry",
    "/places/": ".place-tree a[href]",
    "/insights/hot/": "tr[data-issue] a[href]",
    "/insights/hot/<pk>/": "ul.ticket-list a[href]",
}

TAB_REACHES = """(selector) => {
  const el = document.activeElement;
  return Boolean(el && el !== document.body && el.closest(selector));
}"""


def tab_reaches(page, selector, tabs=150):
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(tabs):
        page.keyboard.press("Tab")
        if page.evaluate(TAB_REACHES, selector):
            return True
    return False


def test_the_maps_and_the_admin_sign_in_are_accessible(chromium, live_server, artifacts):
    """The maps as a phone and a desk show them, with their legends, counts, popups and
    tooltips, each with a text alternative Tab reaches; and the admin's sign-in page."""
    world, ticket, own = world_with_everything()
    # The hot issue's grid located, for its circle on the map.
    corner_lng, corner_lat = world.grid_a.boundary["coordinates"][0][0]
    Place.objects.filter(pk=world.grid_a.pk).update(
        lng=corner_lng + GRID_SIZE / 2, lat=corner_lat + GRID_SIZE / 2
    )
    # One ticket overdue, for the grid's overdue count on the map.
    Ticket.objects.filter(pk=ticket.pk).update(resolve_by=timezone.now() - dt.timedelta(hours=1))
    # The hot issue's ticket, at its building: on the map of the issue's page.
    Ticket.objects.filter(pk=ticket.pk).update(building=world.buildings[0])
    hot = HotIssue.objects.get(key="a11y")
    hot.tickets.set([ticket])
    base = live_server.url
    found = {}

    def visit(page, who, path, *, phone=False, lang="zh-hans"):
        problems = check(page, base + path, phone=phone, lang=lang)
        alternative = MAP_ALTERNATIVES.get(re.sub(r"/\d+/$", "/<pk>/", path))
        if alternative and not tab_reaches(page, alternative):
            problems["map-alternative"] = [f"Tab never reaches {alternative}"]
        if problems:
            found[f"{who} {'phone' if phone else 'desktop'} {path}"] = problems

    def shot(page, name):
        page.screenshot(path=artifacts / f"a11y-{name}.png", full_page=True)

    for phone, width in ((True, 390), (False, 1366)):
        with signed_in(chromium, base, world.community_staff.username, phone=phone) as (
            page,
            errors,
        ):
            for path, name in (
                ("/tickets/map/", "ticket-map"),
                ("/places/", "places"),
                ("/insights/hot/", "hot"),
                (f"/insights/hot/{hot.pk}/", "hot-issue"),
            ):
                visit(page, "community", path, phone=phone)
                shot(page, f"{name}-{width}")
            # A grid's popup on the ticket map, and a hot issue's tooltip.
            page.goto(base + "/tickets/map/")
            page.wait_for_selector("#ticket-map[data-state=ready]")
            page.add_style_tag(content=NO_TRANSITIONS)  # the popup fades in
            page.locator("#ticket-map path.leaflet-interactive").first.click(force=True)
            page.wait_for_selector(".grid-popup")
            shot(page, f"ticket-map-popup-{width}")
            problems = audit(page, phone=phone, tabs=0)
            problems.pop("lang")
            if problems:
                found[f"community {width} ticket map's popup"] = problems
            page.goto(base + "/insights/hot/")
            page.wait_for_load_state("networkidle")
            page.add_style_tag(content=NO_TRANSITIONS)
            page.locator("#hot-map .leaflet-interactive").first.hover(force=True)
            page.wait_for_selector(".leaflet-tooltip:not(.grid-label)")
            shot(page, f"hot-tooltip-{width}")
            problems = audit(page, phone=phone, tabs=0)
            problems.pop("lang")
            if problems:
                found[f"community {width} hot issue's tooltip"] = problems
            assert not errors, errors

    # The admin's sign-in page, before signing in.
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1366, "height": 860})
    page = context.new_page()
    visit(page, "anonymous", "/admin/login/")
    shot(page, "admin-login-1366")
    context.close()

    listing = "\n".join(
        f"{where}\n" + "\n".join(f"  {rule}: {items}" for rule, items in problems.items())
        for where, problems in found.items()
    )
    assert not found, listing
