#!/bin/sh
# The whole flow against the emulator, in UBL and then in CII: the good examples reach
# accepted/ with their Chorus invoice id, the classic rejections reach rejected/ with
# Chorus Pro's reasons, a second drop of the same invoice is refused locally, nothing
# is deposited twice, and the metrics file and the queue listing say so.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0.2 --lifecycle-step 600

flow() {
	syn=$1
	S=$T/spool-$syn
	gw_conf "$T/$syn.ini" "$S" <<EOC
[chorus]
syntax = $syn
[metrics]
file = $T/$syn.prom
EOC
	for f in "$top_srcdir"/xslt/examples/*.xml; do drop "$f" "$S/inbox"; done
	# the ERP sends invoice F2025-000142 a second time under another name
	cp "$top_srcdir/xslt/examples/invoice-simple.xml" "$T/again-simple.xml"
	drop "$T/again-simple.xml" "$S/inbox"

	"$CHORUSGW" -v -c "$T/$syn.ini" once >"$T/$syn.out" 2>"$T/$syn.log"
	is "$syn: once exits 4 (some documents rejected)" "$?" 4
	is "$syn: inbox emptied" "$(count "$S/inbox" '*')" 0
	is "$syn: outbox emptied" "$(count "$S/outbox" '*')" 0
	is "$syn: 12 documents accepted" "$(count "$S/accepted" '*.receipt')" 12
	is "$syn: 4 documents rejected" "$(count "$S/rejected" '*.receipt')" 4

	for r in "$S"/accepted/*.receipt; do
		n=$(basename "$r" .xml.receipt)
		is "$syn: $n: state accepted" "$(rkey "$r" state)" accepted
		is "$syn: $n: syntax $syn" "$(rkey "$r" syntax)" "$syn"
		case $(rkey "$r" numero_flux_depot) in
		CPP*) ok "$syn: $n: numeroFluxDepot recorded" ;;
		*) not_ok "$syn: $n: numeroFluxDepot recorded" ;;
		esac
		case $(rkey "$r" chorus_invoice_id) in
		[0-9]*) ok "$syn: $n: Chorus invoice id recorded" ;;
		*) not_ok "$syn: $n: Chorus invoice id recorded" ;;
		esac
		is "$syn: $n: Chorus XML beside it" "$(count "$S/accepted" "$n.$syn.xml")" 1
		is "$syn: $n: original beside it" "$(count "$S/accepted" "$n.xml")" 1
		num=$(rkey "$r" invoice_number)
		is "$syn: $n: deposited exactly once" "$(deposits_of "$num")" 1
	done

	r=$S/rejected/reject-unknown-buyer.xml.receipt
	contains "$syn: unknown buyer: Chorus Pro's reason" "$r" "21990999100016"
	is "$syn: unknown buyer: state" "$(rkey "$r" state)" rejected
	r=$S/rejected/reject-unknown-service.xml.receipt
	contains "$syn: unknown service code: named" "$r" "SERV-INCONNU"
	r=$S/rejected/reject-missing-engagement.xml.receipt
	contains "$syn: missing engagement: said" "$r" "engagement"
	for n in F2025-000171 FB-2025-0062 F2025-000175; do
		is "$syn: rejected $n deposited once" "$(deposits_of "$n")" 1
	done

	# exactly one of the two F2025-000142 drops went through
	dup=$(grep -l '^duplicate_of = ' "$S"/rejected/*.receipt | head -1)
	case $dup in
	*invoice-simple.xml.receipt | *again-simple.xml.receipt) ok "$syn: the second drop is the one refused" ;;
	*) not_ok "$syn: the second drop is the one refused ($dup)" ;;
	esac
	contains "$syn: duplicate: says how to force" "$dup" "chorusgw retry --force"
	is "$syn: F2025-000142 deposited once" "$(deposits_of F2025-000142)" 1

	contains "$syn: metrics: accepted" "$T/$syn.prom" "chorusgw_documents_accepted_total 12"
	contains "$syn: metrics: rejected by Chorus Pro" "$T/$syn.prom" \
		'chorusgw_documents_rejected_total{cause="chorus"} 3'
	contains "$syn: metrics: duplicate" "$T/$syn.prom" \
		'chorusgw_documents_rejected_total{cause="duplicate"} 1'
	contains "$syn: metrics: latency histogram" "$T/$syn.prom" \
		'chorusgw_chorus_request_seconds_count{op="deposit"} 15'
	contains "$syn: metrics: not paused" "$T/$syn.prom" "chorusgw_paused 0"

	"$CHORUSGW" -c "$T/$syn.ini" queue --all >"$T/$syn.queue" 2>&1
	is "$syn: queue --all lists the 16 documents" \
		"$(grep -c -E '^[0-9A-Z]+ +(accepted|rejected) ' "$T/$syn.queue")" 16
	contains "$syn: log lines carry queue id and file" "$T/$syn.log" ": invoice-simple.xml: "
	no_secrets "$syn: no secret in the log" "$T/$syn.log" "$T/$syn.out"
	if cat "$S"/accepted/*.receipt "$S"/rejected/*.receipt |
		grep -qF -e "$GW_PASSWORD" -e "$EMU_SECRET" -e "$EMU_CPRO"; then
		not_ok "$syn: no secret in the receipts"
	else ok "$syn: no secret in the receipts"; fi
}

flow ubl
emu POST /_emulator/reset '{"state": true}' >/dev/null
flow cii
done_testing
