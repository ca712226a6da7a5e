#!/bin/sh
# What Chorus Pro takes, checked before any deposit: a document whose embedded
# attachments make it larger than Chorus Pro's 10 MB per file goes to rejected/ with
# the attachment to make smaller, never deposited; a document whose generated XML
# cannot be read for a deposit waits with backoff (no loop from its record) and is
# marked action_required after give_up; the nomFichier of every deposit is made from
# the invoice number, never from the ERP's file name, and differs between attempts.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0.1 --lifecycle-step 600
S=$T/spool
mkdir -p "$T/att"
# two attachments the stylesheet embeds: 6 MB and 2 MB files, 10.7 MB once in base64
{ printf '%%PDF-1.4\n'; head -c 6291456 /dev/urandom; } >"$T/att/plan-chantier.pdf"
{ printf '%%PDF-1.4\n'; head -c 2097152 /dev/urandom; } >"$T/att/photos.pdf"
gw_conf "$T/c.ini" "$S" <<EOC
[transform]
attachment_dir = $T/att
[gateway]
give_up = 1h
once_wait = 5s
EOC
sed -e 's|<number>F2025-000142</number>|<number>SIZE-0001</number>|' \
	-e '0,/^  <line>/s||  <attachment><file>plan-chantier.pdf</file><mime-type>application/pdf</mime-type></attachment>\n  <attachment><file>photos.pdf</file><mime-type>application/pdf</mime-type></attachment>\n  <line>|' \
	"$top_srcdir/xslt/examples/invoice-simple.xml" >"$T/big.xml"
drop "$T/big.xml" "$S/inbox"
"$CHORUSGW" -c "$T/c.ini" once >"$T/o1.out" 2>"$T/o1.log"
is "too large for Chorus Pro: once exits 4" "$?" 4
r=$S/rejected/big.xml.receipt
is "too large: rejected/" "$(rkey "$r" state)" rejected
contains "too large: says the limit" "$r" "more than the 10.0 MB Chorus Pro takes per file"
contains "too large: names the attachment to make smaller, the largest first" "$r" \
	'send apart, attachment "plan-chantier.pdf"'
is "too large: never deposited" "$(deposits_of SIZE-0001)" 0

# an odd ERP file name: nomFichier comes from the invoice number
erp_invoice "$T/odd.xml" "NOM/2025+1"
cp "$T/odd.xml" "$T/Facture client été 2025 (1).xml"
drop "$T/Facture client été 2025 (1).xml" "$S/inbox"
"$CHORUSGW" -c "$T/c.ini" once >"$T/o2.out" 2>"$T/o2.log"
is "odd file name: accepted" "$(count "$S/accepted" '*.receipt')" 1
nom=$(emu GET /_emulator/deposits | "$EMU_PYTHON" -c 'import json,sys; print([d["nomFichier"] for d in json.load(sys.stdin) if d["numeroFacture"] == "NOM/2025+1"][0])')
case $nom in NOM_2025_1_*-1.xml) ok "nomFichier from the invoice number and the attempt: $nom" ;;
*) not_ok "nomFichier: $nom" ;; esac
contains "the ERP's own name stays in the receipt" "$S/accepted/Facture client été 2025 (1).xml.receipt" \
	"original_name = Facture client été 2025 (1).xml"

# the generated XML gone from outbox/: no loop, action_required after give_up
emu POST /_emulator/faults '{"rate_limit": {"retry_after": 1, "route": "/cpro/factures/v1/deposer/flux"}}' >/dev/null
erp_invoice "$T/gone.xml" GONE-0001
drop "$T/gone.xml" "$S/inbox"
"$CHORUSGW" -c "$T/c.ini" once >"$T/o3.out" 2>"$T/o3.log"
emu POST /_emulator/reset >/dev/null
rm -f "$S/outbox/gone.ubl.xml"
sed 's/^give_up = 1h$/give_up = 1s/' "$T/c.ini" >"$T/c1.ini"
chmod 600 "$T/c1.ini"
sleep 1
"$CHORUSGW" -c "$T/c1.ini" once >"$T/o4.out" 2>"$T/o4.log"
is "the generated XML gone: still waiting (exit 6)" "$?" 6
r=$S/outbox/gone.xml.receipt
is "the generated XML gone: action required" "$(rkey "$r" action_required)" yes
contains "the generated XML gone: what to do" "$r" "XML beside the document in outbox/"
n=$(grep -c 'cannot read the document to deposit' "$T/o4.log")
[ "$n" -ge 1 ] && [ "$n" -lt 10 ] && ok "the generated XML gone: retried with backoff, not a loop ($n)" ||
	not_ok "the generated XML gone: $n attempts in 5 s"
no_secrets "no secret in the logs" "$T"/*.log
done_testing
