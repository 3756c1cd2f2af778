"""What the report and opinion templates show, built from a Review (never from the rule engine).

Everything here is plain data with Chinese labels already applied, so the HTML and the
Markdown templates stay free of logic and both say the same thing.
"""
from __future__ import annotations

import datetime as dt
import re

from prereview.engine import dossier as model
from prereview.engine import kinds
from prereview.engine.checklist import (PENDING, REVIEWER_PACK, ChecklistResult, MaterialsList, load_materials,
                                       materials_status)

CURRENT = object()  # build_context's default: today's materials list
from prereview.engine.review import Finding, Review
from prereview.engine.rulebook import BARS, DIRECTIONS, SEVERITY_LABELS, UNITS

from .common import display_path
from .text import group_by_step
from .timeline import build_timeline

KIND_LABELS = model.Kind.labels


def cn_date(value) -> str:
    """2025-04-25 -> 2025年4月25日 (official documents write dates this way)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return f"{value.year}年{value.month}月{value.day}日"


def cn_number(n: int) -> str:
    """1 -> 一, 12 -> 十二: the numbering of official-document headings (一、（一）)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")


_DOC_NUMBER = re.compile(r"〔\d{4}〕\d+号$")


def citation(basis: dict) -> dict:
    """One basis entry as the text a reader checks: 《document》（number）article, and when in force."""
    source = basis.get("source", "").strip("《》")
    text = source if _DOC_NUMBER.search(source) else f"《{source}》"  # a bare 文号 takes no title marks
    if basis.get("number") and basis["number"] not in source:
        text += f"（{basis['number']}）"
    text += basis.get("article") or ""
    force = basis.get("in_force") or {}
    if force.get("from") and force.get("until"):
        in_force = f"{cn_date(force['from'])}起施行，{cn_date(force['until'])}失效"
    elif force.get("from"):
        in_force = f"{cn_date(force['from'])}起施行，现行有效"
    else:
        in_force = ""
    return {"text": text, "in_force": in_force}


def _materials_of(dossier: model.Dossier | None, field: str) -> list[str]:
    """Names of the materials registered for the step an evidence field points at."""
    m = re.match(r"steps\[(\d+)\]", field)
    if dossier is None or not m or int(m.group(1)) >= len(dossier.steps):
        return []
    names = {mat.id: mat.name for mat in dossier.materials}
    return [names.get(mid, mid) for mid in dossier.steps[int(m.group(1))].materials]


def finding_view(f: Finding, dossier, kind) -> dict:
    evidence: dict[str, list[dict]] = {}  # file -> the lines and fields looked at in it
    materials: list[str] = []
    for e in f.evidence:
        evidence.setdefault(display_path(e.path), []).append({"line": e.line, "field": e.field, "note": e.note})
        materials += [m for m in _materials_of(dossier, e.field) if m not in materials]
    return {
        "rule_id": f.rule_id, "severity": f.severity, "severity_label": SEVERITY_LABELS[f.severity],
        "title": f.title, "message": f.message, "fix": f.fix, "pack": f.pack,
        "manual": f.pack == REVIEWER_PACK, "step_label": kind.step_label(f.step),
        "basis": [citation(b) for b in f.basis], "materials": materials,
        "evidence": [{"path": path, "entries": entries} for path, entries in evidence.items()],
    }


def _counts(findings) -> dict:
    return {s: sum(1 for f in findings if f.severity == s) for s in SEVERITY_LABELS}


def _label(model_cls, name: str, value) -> str:
    """The Chinese label of a coded field's value, or the text itself."""
    if value is None:
        return ""
    enum = model_cls.model_fields[name].annotation
    labels = getattr(enum, "labels", None) or getattr(next((a for a in getattr(enum, "__args__", ())
                                                            if hasattr(a, "labels")), None), "labels", {})
    return labels.get(value, str(value))


def _decision(review: Review, kind) -> dict:
    d = review.dossier.decision if review.dossier else None
    out = {"title": review.title, "kind": review.kind, "kind_label": KIND_LABELS.get(review.kind, review.kind),
           "path": display_path(review.path), "as_of": review.receipt.get("as_of", ""),
           "organ": "", "level": "", "sponsor": "", "stage": "", "scope": "", "excluded": "",
           "action": "", "sector": "", "party": "", "authority": ""}
    if d is not None:
        out.update({"organ": d.organ.name, "level": model.Level.labels[d.organ.level],
                    "stage": kind.stages.labels[d.stage]})
        for name in ("sponsor", "scope", "excluded", "action", "sector", "authority"):
            if name in type(d).model_fields:
                out[name] = _label(type(d), name, getattr(d, name))
        if "party" in type(d).model_fields:
            # the ID number is for the reviewer's documents only (never in JSON); reports are such documents
            number = f"，证件号码 {d.party.id_number}" if d.party.id_number else ""
            out["party"] = f"{d.party.name}（{_label(type(d.party), 'type', d.party.type)}{number}）"
    out["terms"] = dict(kind.terms)
    out["identity"], out["identity_cells"] = _identity(out, kind)
    return out


_HEADER_FIELDS = ("sponsor", "party", "action", "sector", "authority")


def _identity(out: dict, kind) -> tuple[list[list[dict]], list[dict]]:
    """The header table's cells after the title: the organ, then the fields the kind names, two to a row
    (an odd last cell spans the row); and the same cells one to a row, for Markdown."""
    terms = kind.terms
    cells = [{"label": terms.get("organ", ""), "long": terms.get("organ", ""),
              "value": f"{out['organ']}（{out['level']}）"}]
    for name in _HEADER_FIELDS:
        if name in terms:
            cells.append({"label": terms[name], "long": terms.get(f"{name}_long", terms[name]), "value": out[name]})
    rows = [cells[i:i + 2] for i in range(0, len(cells), 2)]
    return rows, cells


def _checklist(result: ChecklistResult | None) -> dict | None:
    if result is None:
        return None
    rows = []
    for r in result.items:
        a = r.answer
        rows.append({
            "id": r.item.id, "head": r.head_label, "title": r.item.title, "status": r.status,
            "machine": r.machine, "rules": r.item.rules, "guidance": r.item.guidance.strip(),
            "basis": [citation(b)["text"] for b in r.item.citations()],
            "note": a.note.strip() if a else "", "reviewer": a.reviewer if a else "",
            "date": a.date.isoformat() if a else "", "findings": [f.rule_id for f in r.findings],
        })
    return {
        "title": result.title, "path": display_path(result.path),
        "answers_path": display_path(result.answers_path) if result.answers_path else "",
        "machine": [r for r in rows if r["machine"]], "manual": [r for r in rows if not r["machine"]],
        "pending": [r for r in rows if r["status"] == PENDING], "counts": result.counts(),
        "not_checkable": [{"requirement": n.requirement, "reason": n.reason} for n in result.not_checkable],
    }


def _materials(review: Review, spec) -> dict | None:
    if spec is None or review.dossier is None:
        return None
    rows = materials_status(review.dossier, spec)
    missing = [r for r in rows if r.required and not r.present]
    package = {"review": "送审", "meeting": "提请讨论"}
    return {
        "title": spec.title,
        "rows": [{"label": r.label, "kind": r.kind, "package": package[r.package], "required": r.required,
                  "when": r.when, "present": r.present, "status": r.status, "basis": r.basis} for r in rows],
        "missing": [r.label for r in missing], "complete": not missing,
        "received": [m.name for m in review.dossier.materials],
        "regulation": citation({"source": spec.governing[0].source})["text"] if spec.governing else "",
    }


def _receipt(review: Review) -> dict:
    r = review.receipt
    book = r.get("rulebook", {})
    return {
        "engine": f"{r.get('engine', {}).get('name', 'prereview')} {r.get('engine', {}).get('version', '')}".strip(),
        "packs": [f"{p.get('name')} {p.get('version', '')}".strip() + (f"（sha256 {p['sha256']}）" if p.get("sha256") else "")
                  for p in book.get("packs", [])],
        "pack_names": [f"{p.get('name')} {p.get('version', '')}".strip() for p in book.get("packs", [])],
        "rules": book.get("rules", ""), "rulebook_sha256": book.get("sha256", ""),
        "region": _region(r.get("jurisdiction") or {}),
        "figures": [f"{f.get('label') or f['name']} {DIRECTIONS.get(f.get('direction'), '')}{f['value']}"
                    f"{UNITS.get(f.get('unit'), '')}（{f['pack']}）" for f in book.get("figures", [])],
        "dossier_sha256": r.get("dossier_sha256", ""), "as_of": r.get("as_of", ""),
        "rules_applied": r.get("rules_applied", len(review.applied_rules)),
        "calendar": "；".join(_calendar_source(c) for c in r.get("calendar", [])) or "未使用工作日历",
        "generated_at": r.get("generated_at") or r.get("time") or "",
    }


def _region(jurisdiction: dict) -> str:
    """甘肃省兰州市城关区 (or 中央国家机关), with the chain of packs that reviewed it."""
    if not jurisdiction:
        return ""
    place = ("中央国家机关" if jurisdiction.get("province") == "national"
             else "".join(jurisdiction.get(k) or "" for k in ("province", "city", "county")))
    return f"{place}（{' → '.join(jurisdiction.get('chain', []))}）"


def _calendar_source(source: dict) -> str:
    years = source.get("years") or ()
    span = (f"{years[0]}年" if years[0] == years[1] else f"{years[0]}–{years[1]}年") if years else "未采用"
    return f"{source.get('name', '')}（{span}）"


def _heads(review: Review, checklist: dict | None, result: ChecklistResult | None, dossier) -> list[dict]:
    """Findings and reviewer items under the kind's statutory heads (权限 / 程序 / 内容, 条例第二十七条; or the
    seven heads of 国办发〔2018〕118号 四、（十三）)."""
    heads = []
    kind = kinds.get(review.kind)
    for code, label in kind.heads.items.items():
        findings = [finding_view(f, dossier, kind) for f in review.findings
                    if ((result.head_of(f.rule_id) if result else None) or kind.heads.default) == code]
        items = [r for r in (checklist["manual"] if checklist else []) if r["head"] == label]
        confirmed = [r for r in items if r["status"] in ("符合", "不适用")]
        pending = [r for r in items if r["status"] == PENDING]
        settled = bool(findings or confirmed)
        heads.append({"code": code, "label": label, "findings": findings, "confirmed": confirmed, "pending": pending,
                      # rules check the default head (procedure): with nothing under it, the rules found nothing
                      "nothing_found": not settled and code == kind.heads.default,
                      "to_fill": not settled and code != kind.heads.default and not pending})
    return heads


def _book(cited: str) -> str:
    """《document》 of a citation, or the whole text when it has no title marks (a bare 文号)."""
    return cited.split("》")[0] + "》" if "》" in cited else cited


def _we(reviewer: str) -> str:
    """How the reviewing office names itself: 我科 / 我局 …, or 我机构."""
    return "我" + reviewer[-1] if reviewer and reviewer[-1] in "局科处室股办委" else "我机构"


def _amount(value) -> str:
    return f"{int(value)}" if value == int(value) else f"{value:.2f}"


def _case(dossier, decision: dict, kind) -> list[dict]:
    """The case as the opinion states it: who, what, why it is major, and the penalty proposed or decided
    (the kind's `measures` children of the latest step that has them)."""
    if dossier is None:
        return []
    d = dossier.decision
    rows = [{"label": c["long"], "value": c["value"]} for c in decision["identity_cells"]]
    grounds = getattr(d, "major_grounds", None)
    if grounds and "major_grounds" in kind.terms:
        rows.append({"label": kind.terms["major_grounds"],
                     "value": "；".join(_label(type(d), "major_grounds", g) for g in grounds)})
    if kind.case_rows:
        rows += [{"label": label, "value": value} for label, value in kind.case_rows(dossier)]
    parents, field, noun = kind.children.get("measures", ((), "", ""))
    step = next((s for s in reversed(dossier.steps) if s.type in parents and getattr(s, field)), None)
    if step is not None:
        measures = "、".join(_label(type(m), "type", m.type)
                            + (f"{_amount(m.amount)}元" if getattr(m, "amount", None) is not None else "")
                            for m in getattr(step, field))
        rows.append({"label": f"{noun}内容", "value": f"{measures}（据卷宗{step.label}记录）"})
    return rows


def _opinion(review: Review, ctx: dict, result: ChecklistResult | None) -> dict:
    d = review.dossier
    kind = kinds.get(review.kind)
    review_steps = [s for s in (d.steps if d else []) if s.type == kind.review_step]
    step = review_steps[-1] if review_steps else None
    fixes = []
    for f in review.findings:
        if f.fix and f.fix not in [x["fix"] for x in fixes]:
            fixes.append({"rule_id": f.rule_id, "title": f.title, "fix": f.fix})
    documents: dict[str, str] = {}  # document name -> how it is cited (with its number when known)
    bases = [{"source": g.source, "number": g.number} for g in (ctx["materials_spec"].governing
                                                              if ctx["materials_spec"] else [])]
    bases += [b for f in review.findings for b in f.basis]
    bases += [b for r in (result.items if result else []) for b in r.item.citations()]
    for b in bases:
        name = b["source"].strip("《》")
        if name not in documents or (b.get("number") and "（" not in documents[name]):
            documents[name] = citation({"source": name, "number": b.get("number", "")})["text"]
    blocking = [f for f in review.findings if f.severity == "blocking"]
    heads = _heads(review, ctx["checklist"], result, d)
    basis = [text for text, applies in kind.opinion_basis if d is not None and applies(d.decision)]
    names = {m.id: m.name for m in (d.materials if d else [])}
    bars: dict[str, list[str]] = {}  # the legal consequence -> the blocking findings that carry it
    for f in blocking:
        bars.setdefault(f.bar or "no-discussion", []).append(f.title)
    stage = getattr(d.decision, "stage", "") if d else ""
    return {
        "reviewer": step.reviewer if step else "",
        "we": _we(step.reviewer if step else ""),
        "review_materials": [names.get(m, m) for m in step.materials] if step else [],
        "basis": basis,
        "case": _case(d, ctx["decision"], kind),
        "open_heads": [h["label"] for h in heads if h["to_fill"] or h["pending"]],
        # the statutory basis, then the other documents cited, each document once
        "review_basis": basis + [doc for doc in documents.values() if not any(b.startswith(_book(doc)) for b in basis)],
        "received_on": cn_date(step.submitted_on) if step else "",
        # a kind may word the conclusion per stage ("blocked@issued"): after the decision, 暂不提交 is moot
        "conclusion": kind.conclusions.get(f"{review.verdict}@{stage}", kind.conclusions[review.verdict]),
        "bars": [{"text": BARS[b], "count": len(t), "titles": t} for b, t in sorted(bars.items(), key=lambda x: list(BARS).index(x[0]))],
        "after_decision": f"{review.verdict}@{stage}" in kind.conclusions,
        "heads": heads,
        "suggestions": fixes, "documents": list(documents.values()),
        "blocking_titles": [f.title for f in blocking],
        "adviser_opinion": [m.name for m in (d.materials if d else []) if m.kind == "legal-adviser-opinion"],
    }


def build_context(review: Review, checklist: ChecklistResult | None, template: str,
                  materials: MaterialsList | None | object = CURRENT) -> dict:
    """`materials`: the materials list the review is read against (a stored review's own); by default
    today's checklists/<kind>-materials.yaml."""
    dossier = review.dossier
    kind = kinds.get(review.kind)
    spec = load_materials(review.kind) if materials is CURRENT else materials
    ctx = {
        "kind": {"code": kind.code, "label": kind.label, "report_title": kind.report_title,
                 "opinion_title": kind.opinion_title},
        "decision": _decision(review, kind),
        "verdict": {"code": review.verdict, "label": review.verdict_label, "counts": _counts(review.findings),
                    "total": len(review.findings)},
        "groups": [{"step": step, "label": kind.step_label(step),
                    "findings": [finding_view(f, dossier, kind) for f in items]}
                   for step, items in group_by_step(review.findings, review.kind)],
        "checklist": _checklist(checklist),
        "materials": _materials(review, spec),
        "materials_spec": spec,
        "receipt": _receipt(review),
        "timeline": build_timeline(review),
        "steps": _steps(review),
        "severity_labels": SEVERITY_LABELS,
        "heads_question": kind.heads.questions,
    }
    if template == "opinion":
        ctx["opinion"] = _opinion(review, ctx, checklist)
    return ctx


def _steps(review: Review) -> list[dict]:
    """The procedure as a table (the Markdown report's stand-in for the timeline picture)."""
    if review.dossier is None:
        return []
    kind = kinds.get(review.kind)
    order = kind.step_order()
    flagged = {f.step for f in review.findings}
    rows = []
    for s in sorted(review.dossier.steps, key=lambda s: getattr(s, s.date_field)):
        rows.append({"label": s.label, "date": getattr(s, s.date_field).isoformat(), "flagged": s.type in flagged})
    present = {s.type for s in review.dossier.steps}
    rows += [{"label": kind.step_label(t), "date": "卷宗中未见记录", "flagged": True}
             for t in sorted(flagged - present, key=lambda t: (order.index(t) if t in order else len(order), t)) if t]
    return rows
