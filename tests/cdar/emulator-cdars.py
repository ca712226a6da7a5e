#!/usr/bin/python3
"""Write the lifecycle messages the PA emulator sends (its build_cdar(), loaded from
tests/emulator/pa-emulator) for tests/cdar/agreement.sh: one per status it emits, from
the platform (305), the buyer, Chorus Pro and the seller (23).

    emulator-cdars.py PA-EMULATOR OUTDIR
"""
import importlib.machinery
import importlib.util
import os
import sys
from decimal import Decimal

path, out = sys.argv[1], sys.argv[2]
loader = importlib.machinery.SourceFileLoader("pa_emulator", path)
spec = importlib.util.spec_from_loader("pa_emulator", loader)
emu = importlib.util.module_from_spec(spec)
loader.exec_module(emu)

when = 1790000000
platform = ("0099", "PA emulee")
partner = ("0042", "PA partenaire")
chorus = ("9999", "Chorus Pro")
seller = {"siren": "732829320", "name": "Fournisseur SA", "endpoint": "732829320_FACT"}
invoice = {"number": "F-2026-001", "type_code": "380", "issue_date": "2026-09-15",
           "seller_siren": "732829320"}
wk = lambda p: ("WK", None, p[1])  # noqa: E731
buyer = ("BY", "552081317", "Acheteur SAS")
cases = [
    ("200", platform, wk(platform), (), ()),
    ("202", partner, wk(partner), (), ()),
    ("203", partner, wk(partner), (), ()),
    ("213", platform, wk(platform), [("DEST_INC", "inconnu")], ()),
    ("213-2", platform, wk(platform), [("REJ_SEMAN", "BR-FR-10"), ("REJ_ADR", "BT-49")], ()),
    ("501", platform, wk(platform), [("IRR_SYNTAX", "XSD")], ()),
    ("204", partner, buyer, (), ()),
    ("205", partner, buyer, (), ()),
    ("206", partner, buyer, [("QTE_ERR", "")], [("MAPTTC", Decimal("600"), None)]),
    ("207", partner, buyer, [("QTE_ERR", "quantite")], ()),
    ("208", partner, buyer, [("JUSTIF_ABS", "")], ()),
    ("210", partner, buyer, [("TX_TVA_ERR", "taux")], ()),
    ("210-b2g", chorus, buyer, [("RETRAIT_MAN_SERV", "")], ()),
    ("211", partner, buyer, (), [("MPA", Decimal("1200"), None)]),
    ("212", platform, ("SE", "732829320", "Fournisseur SA"), (),
     [("MEN", Decimal("1000"), Decimal("20")), ("MEN", Decimal("200"), Decimal("5.5"))]),
]
for name, sender, issuer, reasons, chars in cases:
    status = name.split("-")[0]
    data = emu.build_cdar("CDV-%s" % name, when, sender, issuer, seller, invoice, status, reasons, chars)
    with open(os.path.join(out, "emulator-%s.xml" % name), "wb") as f:
        f.write(data)
