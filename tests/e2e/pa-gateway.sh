#!/bin/sh
# The PA route end to end, `chorusgw run` against the PA emulator and the Chorus Pro
# emulator: the route each document takes (the buyer's kind in the Directory, works
# cadres, the export's own choice), the Directory and the French rules (BR-FR) refusing
# locally, a B2B invoice followed status by status to 212 Encaissée and accepted/, the
# platform's and the buyer's refusals with their reasons, a dispute marked
# action_required, and exactly once: a lost answer settled by trackingId,
# AlreadyExistingFlow adopted, never a second flow that counts.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0
start_pa_emulator
S=$T/spool
{
	pa_ini
	printf 'poll_interval = 200ms\nsearch_window = 1m\n'
	printf '[metrics]\nfile = %s/m.prom\ninterval = 1s\n' "$T"
} | gw_conf "$T/c.ini" "$S"
"$CHORUSGW" -v -c "$T/c.ini" run >"$T/out" 2>"$T/log" &
pid=$!
on_exit "kill $pid 2>/dev/null"

# flows the PA received with that invoice number (what a duplicate would add to)
flows_of() {
	pa_emu GET /_emulator/received | "$EMU_PYTHON" -c '
import json, sys
print(sum(1 for f in json.load(sys.stdin) if (f.get("invoice") or "") == sys.argv[1]))' "$1"
}
good_flows_of() {
	pa_emu GET /_emulator/received | "$EMU_PYTHON" -c '
import json, sys
print(sum(1 for f in json.load(sys.stdin) if (f.get("invoice") or "") == sys.argv[1] and f.get("ack") == "Ok"))' "$1"
}

# ---- B2B, followed to 212 Encaissée ----
pa_invoice "$T/b2b.xml" ubl PAG-0001 "$PA_SELLER" "$PA_BUYER"
drop "$T/b2b.xml" "$S/inbox"
r=$(doc_receipt b2b.xml)
check "B2B: the buyer's 211 Paiement transmis reaches the receipt" wait_until 30 doc_key_is b2b.xml status_code 211
is "B2B: route pa" "$(rkey "$r" route)" pa
contains "B2B: why that route" "$r" "route pa: a private buyer (Directory): the PA"
is "B2B: processing rule" "$(rkey "$r" pa_processing_rule)" B2B
is "B2B: its trackingId is its queue id" "$(rkey "$r" pa_tracking_id)" "$(rkey "$r" queue_id)"
is "B2B: acknowledged" "$(rkey "$r" pa_ack)" Ok
check "B2B: a flow id" test -n "$(rkey "$r" pa_flow_id)"
is "B2B: still in outbox/ before the final status" "$(rkey "$r" state)" deposited
for st in "200 Déposée" "202 Reçue par la plateforme" "203 Mise à disposition" \
	"204 Prise en charge" "205 Approuvée" "211 Paiement transmis"; do
	is "B2B: history: status $st, once" "$(grep -c "status $st from" "$r")" 1
done
is "B2B: status label in French" "$(rkey "$r" status_label)" "Paiement transmis"
qid=$(rkey "$r" queue_id)
pa_emu POST /_emulator/lifecycle "{\"trackingId\": \"$qid\", \"status\": \"212\"}" >/dev/null
check "B2B: 212 Encaissée moves it to accepted/" wait_until 20 doc_in b2b.xml accepted
r=$S/accepted/b2b.xml.receipt
is "B2B: state accepted" "$(rkey "$r" state)" accepted
is "B2B: status 212" "$(rkey "$r" status_code)/$(rkey "$r" status_label)" "212/Encaissée"
contains "B2B: its generated UBL beside it" "$S/accepted/b2b.ubl.xml" "PAG-0001"
is "B2B: one flow sent" "$(flows_of PAG-0001)" 1

# ---- refused locally by a French rule (BR-FR-12): never sent ----
pa_invoice "$T/noaddr.xml" ubl PAG-0002 "$PA_SELLER" "$PA_BUYER"
sed -i "s|<cbc:EndpointID schemeID=\"0225\">$PA_BUYER</cbc:EndpointID>||" "$T/noaddr.xml"
drop "$T/noaddr.xml" "$S/inbox"
check "BR-FR locally: rejected/" wait_until 20 doc_in noaddr.xml rejected
r=$S/rejected/noaddr.xml.receipt
contains "BR-FR locally: the rule and the element to fix" "$r" "(rule BR-FR-12)"
is "BR-FR locally: nothing sent to the PA" "$(flows_of PAG-0002)" 0

# ---- refused by the platform (213 Rejetée), with its reasons ----
pa_invoice "$T/rej.xml" ubl PAG-0012 "$PA_SELLER" "$PA_BUYER"
drop "$T/rej.xml" "$S/inbox"
check "213: sent" wait_until 20 doc_key_is rej.xml pa_ack Ok
qid=$(rkey "$(doc_receipt rej.xml)" queue_id)
pa_emu POST /_emulator/lifecycle "{\"trackingId\": \"$qid\", \"status\": \"213\",
  \"reasonCode\": \"REJ_SEMAN\", \"reason\": \"BR-FR-23 : adresse electronique invalide\"}" >/dev/null
check "213: rejected/" wait_until 20 doc_in rej.xml rejected
r=$S/rejected/rej.xml.receipt
is "213: status" "$(rkey "$r" status_code)/$(rkey "$r" status_label)" "213/Rejetée"
contains "213: the reason code in words" "$r" "REJ_SEMAN (the invoice breaks a French rule"
contains "213: the PA's own reason" "$r" "BR-FR-23"
contains "213: what to do" "$r" "to fix: the platform rejected the invoice"

# ---- refused by the buyer (210 Refusée) ----
pa_invoice "$T/ref.xml" ubl REF-PAG-0003 "$PA_SELLER" "$PA_BUYER"
drop "$T/ref.xml" "$S/inbox"
check "210: rejected/" wait_until 30 doc_in ref.xml rejected
r=$S/rejected/ref.xml.receipt
is "210: status" "$(rkey "$r" status_code)/$(rkey "$r" status_label)" "210/Refusée"
contains "210: the buyer's reason, code and words" "$r" "TX_TVA_ERR (wrong VAT rate): Taux de TVA erroné sur la ligne 1"
contains "210: who" "$r" "from the buyer"
contains "210: a new invoice" "$r" "issue a new invoice with a new number"

# ---- in dispute (207): action required ----
pa_invoice "$T/lit.xml" ubl LIT-PAG-0004 "$PA_SELLER" "$PA_BUYER"
drop "$T/lit.xml" "$S/inbox"
check "207: action_required" wait_until 30 doc_key_is lit.xml action_required yes
r=$(doc_receipt lit.xml)
is "207: status" "$(rkey "$r" status_code)/$(rkey "$r" status_label)" "207/En litige"
contains "207: what to do" "$r" "contact the buyer"
is "207: still followed in outbox/" "$(rkey "$r" state)" deposited

# ---- the Directory refuses locally ----
pa_invoice "$T/none.xml" ubl PAG-0005 "$PA_SELLER" "$PA_NOT_RECEIVING"
drop "$T/none.xml" "$S/inbox"
check "not receiving: rejected/" wait_until 20 doc_in none.xml rejected
contains "not receiving: says so" "$S/rejected/none.xml.receipt" \
	"the buyer does not receive electronic invoices"
is "not receiving: nothing sent" "$(flows_of PAG-0005)" 0
pa_invoice "$T/unk.xml" ubl PAG-0006 "$PA_SELLER" 732829304
drop "$T/unk.xml" "$S/inbox"
check "unknown SIREN: rejected/" wait_until 20 doc_in unk.xml rejected
contains "unknown SIREN: says so" "$S/rejected/unk.xml.receipt" "is not in the Directory"
is "unknown SIREN: nothing sent" "$(flows_of PAG-0006)" 0

# ---- routes: a public buyer to Chorus Pro, a works cadre, the export's choice ----
erp_invoice "$T/pub.xml" PAG-0007
drop "$T/pub.xml" "$S/inbox"
check "public buyer: accepted by Chorus Pro" wait_until 30 doc_in pub.xml accepted
r=$S/accepted/pub.xml.receipt
is "public buyer: route chorus" "$(rkey "$r" route)" chorus
contains "public buyer: why" "$r" "a public buyer (Directory): Chorus Pro"
is "public buyer: deposited on Chorus Pro" "$(deposits_of PAG-0007)" 1
is "public buyer: not sent to the PA" "$(flows_of PAG-0007)" 0
check "public buyer: the generic status from Chorus Pro" test -n "$(rkey "$r" status_code)"
sed -e 's|<number>F2025-000142</number>|<number>PAG-0008</number>|' \
	-e 's|</currency>|</currency><cadre>A4</cadre>|' \
	"$top_srcdir/xslt/examples/invoice-simple.xml" >"$T/works.xml"
drop "$T/works.xml" "$S/inbox"
routed_works() { grep -q 'route chorus: a works invoice' "$(doc_receipt works.xml)" 2>/dev/null; }
check "works cadre: Chorus Pro, said why" wait_until 20 routed_works
is "works cadre: not sent to the PA" "$(flows_of PAG-0008)" 0
check "works cadre: without its works parties, rejected/" wait_until 20 doc_in works.xml rejected
contains "works cadre: the pre-flight says which party" "$(doc_receipt works.xml)" \
	"(maître d'oeuvre, maître d'ouvrage), which chorusgw cannot yet place"
is "works cadre: not deposited on Chorus Pro either" "$(deposits_of PAG-0008)" 0
sed -e 's|<number>F2025-000142</number>|<number>PAG-0009</number>|' \
	-e 's|</currency>|</currency><billing-mode>S1</billing-mode><route>pa</route>|' \
	-e 's|    <iban>|    <electronic-address scheme="0225">732829320</electronic-address>\n    <iban>|' \
	-e 's|  </buyer>|    <electronic-address scheme="0225">263300592</electronic-address>\n  </buyer>|' \
	"$top_srcdir/xslt/examples/invoice-simple.xml" >"$T/named.xml"
drop "$T/named.xml" "$S/inbox"
routed_named() { doc_key_is named.xml route pa && [ -n "$(rkey "$(doc_receipt named.xml)" pa_processing_rule)" ]; }
check "the export names the route pa: taken" wait_until 20 routed_named
contains "... named by the export" "$(doc_receipt named.xml)" "route pa: named by the export"
is "... a public buyer through the PA: B2G" "$(rkey "$(doc_receipt named.xml)" pa_processing_rule)" B2G

# ---- exactly once: the send's answer lost after the flow was recorded ----
# (a fault's route is a path prefix: the searches within that second lose theirs too)
pa_emu POST /_emulator/faults '{"lose_response": {"seconds": 1, "route": "/flow-service/v1/flows"}}' >/dev/null
pa_invoice "$T/lost.xml" ubl PAG-0010 "$PA_SELLER" "$PA_BUYER"
drop "$T/lost.xml" "$S/inbox"
check "answer lost: settled and taken" wait_until 30 doc_key_is lost.xml pa_ack Ok
r=$(doc_receipt lost.xml)
contains "answer lost: found by trackingId" "$r" "found on the PA by trackingId"
is "answer lost: one flow, not two" "$(flows_of PAG-0010)" 1
is "answer lost: one send attempt" "$(rkey "$r" attempts)" 1

# ---- AlreadyExistingFlow: the second flow refused, the first adopted ----
# the settling search cannot see the first flow yet (a PA slow to index), so chorusgw
# sends again; the PA refuses the second as AlreadyExistingFlow and the first goes on
pa_emu POST /_emulator/faults '{"lose_response": {"seconds": 1, "route": "/flow-service/v1/flows"}, "visibility_lag": {"ms": 5000, "seconds": 4}}' >/dev/null
pa_invoice "$T/dup.xml" ubl PAG-0011 "$PA_SELLER" "$PA_BUYER"
drop "$T/dup.xml" "$S/inbox"
check "AlreadyExistingFlow: adopted, taken" wait_until 40 doc_key_is dup.xml pa_ack Ok
r=$(doc_receipt dup.xml)
is "AlreadyExistingFlow: two flows reached the PA" "$(flows_of PAG-0011)" 2
is "AlreadyExistingFlow: only one of them acknowledged Ok" "$(good_flows_of PAG-0011)" 1
first=$(pa_emu GET /_emulator/received | "$EMU_PYTHON" -c '
import json, sys
print([f["flowId"] for f in json.load(sys.stdin) if f.get("invoice") == "PAG-0011"][0])')
is "AlreadyExistingFlow: the first flow is the one kept" "$(rkey "$r" pa_flow_id)" "$first"
contains "AlreadyExistingFlow: the history says so" "$r" "(AlreadyExistingFlow) of flow $first, which is kept"
pa_emu POST /_emulator/faults '{}' >/dev/null

# ---- metrics and the end ----
metric() { grep -q "$1" "$T/m.prom" 2>/dev/null; }
check "metrics: PA requests" wait_until 5 metric '^chorusgw_pa_requests_total{op="send",class="ok"}'
check "metrics: PA statuses" wait_until 5 metric '^chorusgw_pa_statuses_total{status="212"} 1'
contains "metrics: rejected by the PA" "$T/m.prom" 'chorusgw_documents_rejected_total{cause="pa"}'
kill -TERM $pid
wait $pid
is "SIGTERM: exit 0" "$?" 0
NO_SECRETS_EXTRA="$PA_SECRET" no_secrets "no secret in the log" "$T/log"
if grep -qF "$PA_SECRET" "$S"/*/*.receipt; then not_ok "no secret in the receipts"; else
	ok "no secret in the receipts"; fi
done_testing
