#!/usr/bin/env python3
"""Independent read-back of generated DXF files with ezdxf (integrations §7).

    python3 scripts/check_dxf.py [--json] FILE...

For each file: ezdxf's STRICT reader (ezdxf.readfile, not recover) must load
it, doc.audit() must report no error, and no "{{" placeholder may remain in
any text. Exit status 1 if any file fails.

--json prints one JSON object per file on stdout, for the Rust tests to
compare positions: {"file", "version", "errors": [...], "fixes": n,
"texts": [{"type", "text", "x", "y", "layer"}]} — texts of model space
(TEXT by its alignment point when justified, else its insertion point; MTEXT
as plain text at its insertion point; ATTRIB of block references), with
"\\U+XXXX" escapes decoded.
"""
import json
import sys

try:
    import ezdxf
    from ezdxf.enums import TextEntityAlignment
except ImportError:  # pragma: no cover - reported to the caller
    print("ezdxf is not installed: python3 -m pip install ezdxf", file=sys.stderr)
    sys.exit(2)


def decode(s):
    return ezdxf.decode_dxf_unicode(s) if "\\U+" in s else s


def text_point(e):
    align, p1, p2 = e.get_placement()
    if align in (TextEntityAlignment.LEFT,) or p2 is None:
        return p1
    if align in (TextEntityAlignment.ALIGNED, TextEntityAlignment.FIT):
        return p1
    return p2


def check(path):
    report = {"file": path, "version": None, "errors": [], "fixes": 0, "texts": []}
    try:
        doc = ezdxf.readfile(path)
    except Exception as exc:  # IOError, DXFStructureError, anything strict refuses
        report["errors"].append(f"readfile: {type(exc).__name__}: {exc}")
        return report
    report["version"] = doc.dxfversion
    auditor = doc.audit()
    report["errors"] += [f"audit {e.code}: {e.message}" for e in auditor.errors]
    report["fixes"] = len(auditor.fixes)
    for e in doc.modelspace():
        kind = e.dxftype()
        if kind == "TEXT":
            p = text_point(e)
            items = [(decode(e.dxf.text), p)]
        elif kind == "MTEXT":
            items = [(decode(e.plain_text()), e.dxf.insert)]
        elif kind == "INSERT":
            items = [(decode(a.dxf.text), text_point(a)) for a in e.attribs]
        else:
            continue
        for text, p in items:
            report["texts"].append(
                {"type": kind, "text": text, "x": round(p[0], 6), "y": round(p[1], 6),
                 "layer": e.dxf.layer}
            )
    # Raw scan too: a placeholder hidden in a block or an unknown entity
    # still counts.
    raw = [t["text"] for t in report["texts"]]
    for b in doc.blocks:
        for e in b:
            if e.dxftype() in ("TEXT", "ATTDEF", "ATTRIB"):
                raw.append(e.dxf.text)
            elif e.dxftype() == "MTEXT":
                raw.append(e.text)
    if any("{{" in t for t in raw):
        report["errors"].append("placeholder '{{' left in the drawing")
    return report


def main(argv):
    as_json = "--json" in argv
    files = [a for a in argv if a != "--json"]
    if not files:
        print(__doc__, file=sys.stderr)
        return 2
    failed = 0
    for path in files:
        r = check(path)
        if as_json:
            print(json.dumps(r, ensure_ascii=False))
        else:
            status = "OK" if not r["errors"] else "FAIL"
            print(f"{status} {path} ({r['version']}, {len(r['texts'])} texts, {r['fixes']} auto-fixes)")
            for err in r["errors"]:
                print(f"    {err}")
        failed += bool(r["errors"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
