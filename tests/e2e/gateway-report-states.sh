#!/bin/sh
# Every deposit-report state ends somewhere: integrated, partly integrated, rejected,
# inadmissible, incident; a deposit Chorus Pro holds (waiting for its operators), in a
# state chorusgw does not know, or that Chorus Pro no longer knows (POQ_MSG_01.003)
# stays in outbox/ with the reason, and gets action_required once [gateway] give_up has
# passed, with what to do. The first report is read soon after the deposit, not a full
# report_poll later; a 400 from PISTE holds the document, never rejects it.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0 --lifecycle-step 600

# ---- the first report soon: report_poll is 10 minutes, once waits 40 s ----
S=$T/early
gw_conf "$T/early.ini" "$S" <<EOC
[gateway]
report_poll = 10m
once_wait = 40s
EOC
erp_invoice "$T/e1.xml" EARLY-0001
erp_invoice "$T/e2.xml" EARLY-0002
drop "$T/e1.xml" "$S/inbox"
drop "$T/e2.xml" "$S/inbox"
"$CHORUSGW" -c "$T/early.ini" once >"$T/early.out" 2>"$T/early.log"
is "report_poll 10m: once ends with both accepted (exit 0)" "$?" 0
is "report_poll 10m: both in accepted/" "$(count "$S/accepted" 'e?.xml.receipt')" 2

# ---- every state ----
emu POST /_emulator/report_rules '[
 {"numeroFacture": "^ST-HOLD", "states": ["IN_RECU", "IN_EN_ATTENTE_RETRAITEMENT_CPP"], "stay": true},
 {"numeroFacture": "^ST-NEW", "states": ["IN_ETAT_NOUVEAU"], "stay": true},
 {"numeroFacture": "^ST-PART", "states": ["IN_RECU", "IN_EN_COURS_TRAITEMENT_CPP"], "final": "IN_INTEGRE_PARTIEL",
  "listeErreurDP": [{"numeroDP": "AUTRE-1", "libelleErreurDP": "Une autre facture du flux"}]},
 {"numeroFacture": "^ST-QP", "final": "QP_IRRECEVABLE"},
 {"numeroFacture": "^ST-INC", "final": "IN_INCIDENTE"},
 {"numeroFacture": "^ST-SEM", "listeErreurTechnique": [{"codeErreur": "REJ_SEMAN", "natureErreur": "REJET",
   "libelleErreur": "Montant total incoherent"}], "final": "IN_REJETE"}]' >/dev/null
S=$T/states
gw_conf "$T/s.ini" "$S" <<EOC
[gateway]
give_up = 1s
once_wait = 8s
EOC
for n in HOLD NEW PART QP INC SEM; do
	erp_invoice "$T/st-$n.xml" "ST-$n-1"
	drop "$T/st-$n.xml" "$S/inbox"
done
"$CHORUSGW" -c "$T/s.ini" once >"$T/s.out" 2>"$T/s.log"
is "some documents still waiting for Chorus Pro: once exits 6... or 4 for the rejected" "$?" 4
r=$S/outbox/st-HOLD.xml.receipt
is "held by Chorus Pro: still in outbox/" "$(rkey "$r" state)" deposited
is "held: its report state kept" "$(rkey "$r" deposit_report_state)" IN_EN_ATTENTE_RETRAITEMENT_CPP
contains "held: the receipt says why it waits" "$r" "waits for Chorus Pro's operators (AIFE) to reprocess it by hand"
is "held past give_up: action required" "$(rkey "$r" action_required)" yes
contains "held: what to do" "$r" "ask Chorus Pro's support (AIFE) to reprocess it"
r=$S/outbox/st-NEW.xml.receipt
is "a state chorusgw does not know: still in outbox/" "$(rkey "$r" state)" deposited
contains "unknown state: said" "$r" "IN_ETAT_NOUVEAU, which chorusgw does not know"
is "unknown state past give_up: action required" "$(rkey "$r" action_required)" yes
is "partly integrated, ours not in error: accepted" "$(rkey "$S/accepted/st-PART.xml.receipt" state)" accepted
r=$S/rejected/st-QP.xml.receipt
is "inadmissible: rejected" "$(rkey "$r" state)" rejected
contains "inadmissible: said" "$r" "QP_IRRECEVABLE"
r=$S/rejected/st-INC.xml.receipt
is "incident: rejected" "$(rkey "$r" state)" rejected
contains "incident: the whole deposit to send again" "$r" "must be sent again"
r=$S/rejected/st-SEM.xml.receipt
contains "REJ_SEMAN: the reason kept" "$r" "Montant total incoherent"
contains "REJ_SEMAN: what to do" "$r" "REJ_SEMAN, semantic rules"
emu POST /_emulator/report_rules '[]' >/dev/null

# ---- a deposit Chorus Pro no longer knows: 20001 POQ_MSG_01.003, never "too large" ----
S=$T/lost
gw_conf "$T/lost.ini" "$S" <<EOC
[gateway]
give_up = 1s
once_wait = 5s
EOC
emu POST /_emulator/report_rules '[{"numeroFacture": "^LOST-", "states": ["IN_RECU"], "stay": true}]' >/dev/null
erp_invoice "$T/lost.xml" LOST-0001
drop "$T/lost.xml" "$S/inbox"
"$CHORUSGW" -c "$T/lost.ini" once >"$T/lost1.out" 2>"$T/lost1.log"
emu POST /_emulator/reset '{"state": true}' >/dev/null
"$CHORUSGW" -c "$T/lost.ini" once >"$T/lost2.out" 2>"$T/lost2.log"
is "a flow Chorus Pro does not know: once exits 6 (still pending)" "$?" 6
r=$S/outbox/lost.xml.receipt
is "flow not found: still in outbox/, not rejected" "$(rkey "$r" state)" deposited
is "flow not found past give_up: action required" "$(rkey "$r" action_required)" yes
contains "flow not found: what to do" "$r" "Suivi des flux"
lacks "flow not found: never read as too large" "$r" "larger than"

# ---- a 400 from PISTE: held with a set-up error, never rejected ----
S=$T/p400
gw_conf "$T/p400.ini" "$S" <<EOC
[gateway]
give_up = 1s
once_wait = 5s
EOC
emu POST /_emulator/faults '{"status": {"code": 400, "body": "html", "route": "/cpro/factures/v1/deposer/flux"}}' >/dev/null
erp_invoice "$T/p400.xml" P400-0001
drop "$T/p400.xml" "$S/inbox"
"$CHORUSGW" -c "$T/p400.ini" once >"$T/p400.out" 2>"$T/p400.log"
is "400 from PISTE: once exits 5 (set-up)" "$?" 5
sleep 1 # give_up passes; the next run (cron) says so
"$CHORUSGW" -c "$T/p400.ini" once >>"$T/p400.out" 2>>"$T/p400.log"
r=$S/outbox/p400.xml.receipt
is "400 from PISTE: kept in outbox/" "$(rkey "$r" state)" queued
is "400 from PISTE: not rejected" "$(count "$S/rejected" '*.receipt')" 0
is "400 from PISTE past give_up: action required" "$(rkey "$r" action_required)" yes
contains "400 from PISTE: the invoice is not at fault" "$r" "the invoice is not at fault"
emu POST /_emulator/reset >/dev/null
"$CHORUSGW" -c "$T/p400.ini" once >/dev/null 2>&1
is "400 gone: accepted" "$(count "$S/accepted" 'p400.xml.receipt')" 1

no_secrets "no secret in the logs" "$T"/*.log
done_testing
