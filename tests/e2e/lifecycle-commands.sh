#!/bin/sh
# chorusgw complete and chorusgw recycle: reconcile's advice names them; each reads the
# invoice's status first, acts through Chorus Pro's completer / recycler, records what
# it did in the receipt, and is idempotent; a status that does not allow it is refused.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0.2 --lifecycle-step 600
S=$T/spool
gw_conf "$T/c.ini" "$S"
erp_invoice "$T/s.xml" LC-SUSP-1
erp_invoice "$T/r.xml" LC-RECY-1
erp_invoice "$T/n.xml" LC-NONE-1
for f in s r n; do drop "$T/$f.xml" "$S/inbox"; done
"$CHORUSGW" -c "$T/c.ini" once >"$T/once.out" 2>"$T/once.log"
is "three invoices accepted" "$(count "$S/accepted" '?.xml.receipt')" 3
lifecycle() {
	emu POST /_emulator/lifecycle "{\"numeroFacture\": \"$1\", \"siret\": \"73282932000074\", \"statut\": \"$2\", \"commentaire\": \"$3\"}" >/dev/null
}
lifecycle LC-SUSP-1 SUSPENDUE "Bon de livraison manquant"
lifecycle LC-RECY-1 A_RECYCLER "Destinataire errone"
"$CHORUSGW" -c "$T/c.ini" reconcile >"$T/rec.out" 2>"$T/rec.log"
rs=$S/accepted/s.xml.receipt
rr=$S/accepted/r.xml.receipt
qs=$(rkey "$rs" queue_id)
qr=$(rkey "$rr" queue_id)
contains "suspended: reconcile's advice names the command" "$rs" "chorusgw complete $qs --attach FILE"
contains "to recycle: reconcile's advice names the command" "$rr" "chorusgw recycle $qr --buyer SIRET"

printf '%%PDF-1.4 bon de livraison\n' >"$T/bl.pdf"
run_gw c1 -c "$T/c.ini" complete "$qs" --attach "$T/bl.pdf" --comment "BL joint"
is "complete: exit 0" "$rc" 0
is "complete: the receipt's status" "$(rkey "$rs" chorus_status)" COMPLETEE
is "complete: no action required any more" "$(rkey "$rs" action_required)" no
contains "complete: recorded in the history" "$rs" "completed with chorusgw complete: BL joint; attached bl.pdf"
hist() { emu GET /_emulator/invoices | "$EMU_PYTHON" -c 'import json,sys; print(" ".join(h["statut"] for i in json.load(sys.stdin) if i["numeroFacture"] == sys.argv[1] for h in i["history"]))' "$1"; }
case $(hist LC-SUSP-1) in *COMPLETEE*) ok "complete: Chorus Pro has it COMPLETEE" ;; *) not_ok "complete: $(hist LC-SUSP-1)" ;; esac
calls() { emu GET /_emulator/stats | "$EMU_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["requests"].get(sys.argv[1], 0))' "$1"; }
is "complete: one upload, one completer" "$(calls 'POST /cpro/transverses/v1/ajouter/fichier')/$(calls 'POST /cpro/factures/v1/completer')" 1/1
run_gw c2 -c "$T/c.ini" complete "$qs" --attach "$T/bl.pdf" --comment "BL joint"
is "complete again: exit 0" "$rc" 0
contains "complete again: says it was done" "$T/c2.out" "already completed"
is "complete again: nothing sent" "$(calls 'POST /cpro/factures/v1/completer')" 1
run_gw c3 -c "$T/c.ini" complete "$(rkey "$S/accepted/n.xml.receipt" queue_id)" --comment x
is "complete an invoice that is not suspended: exit 4" "$rc" 4
contains "complete: says why" "$T/c3.err" "only a SUSPENDUE or A_COMPLETER invoice can be completed"
run_gw c4 -c "$T/c.ini" complete "$qs"
is "complete without a file or comment: usage" "$rc" 2

run_gw r1 -c "$T/c.ini" recycle "$qr" --buyer 26130025500013 --service ACHATS
is "recycle: exit 0" "$rc" 0
is "recycle: the receipt's new buyer" "$(rkey "$rr" buyer_siret)" 26130025500013
is "recycle: the receipt's status" "$(rkey "$rr" chorus_status)" DEPOSEE
is "recycle: no action required any more" "$(rkey "$rr" action_required)" no
contains "recycle: recorded in the history" "$rr" "recycled with chorusgw recycle to buyer 26130025500013, service ACHATS (was 26330059200015)"
buyer() { emu GET /_emulator/invoices | "$EMU_PYTHON" -c 'import json,sys; print([i["buyer_siret"] for i in json.load(sys.stdin) if i["numeroFacture"] == sys.argv[1]][0])' "$1"; }
is "recycle: Chorus Pro sends it to the new buyer" "$(buyer LC-RECY-1)" 26130025500013
run_gw r2 -c "$T/c.ini" recycle "$qr" --buyer 26130025500013 --service ACHATS
is "recycle again: exit 0, nothing sent" "$rc/$(calls 'POST /cpro/factures/v1/recycler')" 0/1
contains "recycle again: says it was done" "$T/r2.out" "already recycled"
run_gw r3 -c "$T/c.ini" recycle "$qr"
is "recycle without --buyer or --service: usage" "$rc" 2
no_secrets "no secret in any output" "$T"/*.out "$T"/*.err "$T"/*.log
done_testing
