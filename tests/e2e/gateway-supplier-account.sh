#!/bin/sh
# A supplier without a SIRET with its own [supplier.ID] section (chorusgw.ini(5)): the
# German supplier (type 2) is attached in Chorus Pro to another technical account than
# [chorus]'s (the emulator's seed is changed so: only Martin's account may deposit for
# it); its section, named by its VAT number, gives that account, its IBAN and CII.
# check-config accepts it and refuses an identifier that cannot be one; the invoice is
# deposited by that account (the emulator records which), the Swiss supplier without a
# section by [chorus]'s; an unknown supplier without a SIRET is refused by Chorus Pro
# with the advice for such a supplier, not SIRET schemes.
. "$top_srcdir/tests/lib.sh"

MARTIN=TECH_1_martin@cpro.fr
"$EMU_PYTHON" - "$top_srcdir/tests/emulator/seed.json" "$T/seed.json" "$MARTIN" <<'EOP'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
for a in d["technical_accounts"]:
    if "DE129273398" in a["structures"]:
        a["structures"].remove("DE129273398")
    if a["login"] == sys.argv[3]:
        a["structures"].append("DE129273398")
json.dump(d, open(sys.argv[2], "w", encoding="utf-8"))
EOP
start_emulator --data "$T/seed.json" --integration-delay 0.1 --lifecycle-step 600
S=$T/spool
gw_conf "$T/c.ini" "$S" <<EOC
[supplier.DE129273398]
tech_login = $MARTIN
tech_password = Martin-Tech-2026!
iban = DE02 1203 0000 0000 2020 51
bic = BYLADEM1001
iban_name = Rheinland Messtechnik GmbH
syntax = cii
EOC
"$CHORUSGW" -c "$T/c.ini" check-config >"$T/cc.out" 2>&1
is "check-config accepts [supplier.DE129273398]" "$?" 0 || diag "$(cat "$T/cc.out")"
contains "... and prints it" "$T/cc.out" "[supplier.DE129273398]"

# names that are no supplier's identifier, each refused with its sentence
bad_section() {
	{ cat "$T/c.ini"; printf '[supplier.%s]\niban_name = X\n' "$1"; } | write_private "$T/bad.ini"
	"$CHORUSGW" -c "$T/bad.ini" check-config >"$T/bad.out" 2>&1
	is "[supplier.$1]: check-config refuses it" "$?" 3
	contains "... $2" "$T/bad.out" "$3"
}
bad_section FR44732829320 "a French VAT number: the SIRET" \
	'"FR44732829320" is a French VAT number: a supplier established in France is identified by its SIRET'
bad_section DE1 "not a VAT number of another member state" \
	'"DE1" is not an intra-community VAT number (DE, then 2 to 13 letters or digits)'
bad_section 12345678901234 "14 digits: a SIRET, checked" \
	'"12345678901234" is not a valid SIRET (14 digits, Luhn check)'
bad_section 'CHE 109' "a space: no identifier" \
	'"CHE 109" is neither a SIRET nor the identifier of a supplier without a SIRET'

ex=$top_srcdir/xslt/examples
# the export gives no IBAN: the section's is paid into
grep -v -e '<iban>' -e '<bic>' "$ex/invoice-supplier-eu.xml" >"$T/eu.xml"
cp "$ex/invoice-supplier-non-eu.xml" "$T/noneu.xml"
# a supplier without a SIRET that Chorus Pro does not know
sed -e 's|<number>[^<]*</number>|<number>NS-UNKNOWN-1</number>|' -e 's|DE129273398|DE811569869|g' \
	"$ex/invoice-supplier-eu.xml" >"$T/unknown.xml"
drop "$T/eu.xml" "$S/inbox"
drop "$T/noneu.xml" "$S/inbox"
drop "$T/unknown.xml" "$S/inbox"
"$CHORUSGW" -c "$T/c.ini" once >"$T/o.out" 2>"$T/o.log"

a=$S/accepted
is "type 2 with its own section: accepted" "$(rkey "$a/eu.xml.receipt" state 2>/dev/null)" accepted ||
	diag "$(cat "$T/o.log")"
is "... in the section's syntax (CII)" "$(rkey "$a/eu.xml.receipt" syntax)" cii
is "... paid into the section's IBAN" "$(rkey "$a/eu.xml.receipt" iban_source)" "[supplier.DE129273398]"
contains "... the IBAN in the deposited CII" "$a/eu.cii.xml" "DE02120300000000202051"
is "type 3 without a section: accepted" "$(rkey "$a/noneu.xml.receipt" state 2>/dev/null)" accepted
emu GET /_emulator/deposits >"$T/deposits.json"
login_of() {
	"$EMU_PYTHON" -c '
import json, sys
print(" ".join(d["login"] for d in json.load(open(sys.argv[1]))
               if d.get("numeroFacture") == sys.argv[2] and d.get("numeroFluxDepot")))' "$T/deposits.json" "$1"
}
is "the emulator: deposited by the section's account" "$(login_of RE-2025-0311)" "$MARTIN"
is "the emulator: the supplier without a section by [chorus]'s" \
	"$(login_of "$(sed -n 's|.*<number>\(.*\)</number>.*|\1|p' "$T/noneu.xml" | head -1)")" "$GW_LOGIN"

r=$S/rejected
is "an unknown supplier without a SIRET: rejected by Chorus Pro" \
	"$(rkey "$r/unknown.xml.receipt" state 2>/dev/null)" rejected
contains "... the advice: register the structure under that identifier" "$r/unknown.xml.receipt" \
	"Chorus Pro does not find the supplier without a SIRET DE811569869: its structure must be registered in Chorus Pro under that identifier"
lacks "... not SIRET schemes" "$r/unknown.xml.receipt" "another SIRET scheme"
no_secrets "no secret in the log" "$T/o.log"
done_testing
