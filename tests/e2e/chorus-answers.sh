#!/bin/sh
# Chorus Pro as it really answers, through chorus.c and its classification table: a code
# that means another thing on another operation (20001 on a deposit report is "flow not
# found", not "file too large"), rejection texts without accents, naming the XML element,
# "|"-joined and cut, the XSD refusal, every deposit-report state, a 400 from PISTE that
# is no refusal of the invoice, the password expiry of the technical account, nomFichier.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0 --lifecycle-step 600
emu_conf "$T/c.ini"
drv() {
	"$CHORUSDRV" -v -c "$T/c.ini" "$@" >"$T/out" 2>"$T/err"
	drv_status "$1" $? "$T/err"
	cat "$T/out" "$T/err" >>"$T/all"
}
S=$EMU_SUPPLIER

# ---- the same codeRetour on another operation ----
drv report "$S" CPP0000000000000000000042
is "unknown flow: retried, not refused" "$(jget "$T/out" 1 class)" retry
is "unknown flow: codeRetour 20001" "$(jget "$T/out" 1 code_retour)" 20001
is "unknown flow: its kind" "$(jget "$T/out" 1 kind)" flow-not-found
case $(jget "$T/out" 1 advice) in *larger*) not_ok "unknown flow: never 'file too large'" ;;
*"Suivi des flux"*) ok "unknown flow: what to do" ;; *) not_ok "unknown flow: advice $(jget "$T/out" 1 advice)" ;; esac
head -c 10600000 /dev/zero | tr '\0' ' ' >"$T/pad"
{ printf '<x>'; cat "$T/pad"; printf '</x>'; } >"$T/big.xml"
drv deposit "$S" "$T/big.xml"
is "deposit over 10 MB: refused (the document)" "$(jget "$T/out" 1 class)" document
is "deposit over 10 MB: 20001 read as too large" "$(jget "$T/out" 1 kind)" too-large
rm -f "$T/pad" "$T/big.xml"

# ---- rejection texts: several reasons joined with "|", each with its advice ----
ubl_invoice "$T/two.xml" ANS-TWO 21990999100016 26130025500013
drv deposit "$S" "$T/two.xml" then sleep 100
drv report "$S" "$(jget "$T/out" 1 flux)"
is "two reasons: rejected" "$(jget "$T/out" 1 state)" IN_REJETE
is "two reasons: split into two errors" "$(jget "$T/out" 1 errors.1.kind)" service-required
is "first reason: the supplier identifier Chorus Pro does not find" "$(jget "$T/out" 1 errors.0.kind)" \
	supplier-unknown
case $(jget "$T/out" 1 errors.0.advice) in *"test-connection --deposit"*siret_scheme*)
	ok "unknown identifier: the SIRET scheme advice" ;;
*) not_ok "unknown identifier advice: $(jget "$T/out" 1 errors.0.advice)" ;; esac
case $(jget "$T/out" 1 errors.0.message) in *"(balise : AccountingSupplierParty.Party.PartyIdentification.ID.value) n'est pas reference dans notre systeme."*)
	ok "Chorus Pro's own words kept" ;;
*) not_ok "message: $(jget "$T/out" 1 errors.0.message)" ;; esac

# ---- the XSD refusal ----
sed 's|<cbc:IssueDate>2026-03-15</cbc:IssueDate>|<cbc:IssueDate>15/03/2026</cbc:IssueDate>|' \
	"$T/two.xml" >"$T/xsd.xml"
sed -i 's/ANS-TWO/ANS-XSD/' "$T/xsd.xml"
drv deposit "$S" "$T/xsd.xml" then sleep 100
drv report "$S" "$(jget "$T/out" 1 flux)"
is "schema-invalid: rejected" "$(jget "$T/out" 1 state)" IN_REJETE
is "schema-invalid: ERR_XSD_001" "$(jget "$T/out" 1 errors.0.code)" ERR_XSD_001
is "schema-invalid: its kind" "$(jget "$T/out" 1 errors.0.kind)" xsd
case $(jget "$T/out" 1 errors.0.message) in "IRRECEVABILITE: cvc-datatype-valid.1.2.1: '15/03/2026'"*)
	ok "schema-invalid: the cvc message" ;; *) not_ok "xsd message: $(jget "$T/out" 1 errors.0.message)" ;; esac

# ---- a SIRET scheme the platform does not take ----
drv admin POST /_emulator/settings '{"siret_schemes": ["1"]}'
ubl_invoice "$T/s.xml" ANS-SCHEME
drv deposit "$S" "$T/s.xml" then sleep 100
drv report "$S" "$(jget "$T/out" 1 flux)"
is "scheme 0009 where 1 is wanted: supplier not found" "$(jget "$T/out" 1 errors.0.kind)" supplier-unknown
is "scheme 0009 where 1 is wanted: buyer not found" "$(jget "$T/out" 1 errors.1.kind)" buyer-unknown
drv admin POST /_emulator/settings '{"siret_schemes": ["0009", "1"]}'

# ---- every deposit-report state ----
drv admin POST /_emulator/report_rules '[{"numeroFacture": "^ST-HOLD", "states": ["IN_EN_ATTENTE_RETRAITEMENT_CPP"], "stay": true},
 {"numeroFacture": "^ST-NEW", "states": ["IN_ETAT_INCONNU"], "stay": true},
 {"numeroFacture": "^ST-PART", "final": "IN_INTEGRE_PARTIEL", "listeErreurDP": [{"numeroDP": "AUTRE", "libelleErreurDP": "x"}]},
 {"numeroFacture": "^ST-QP", "final": "QP_IRRECEVABLE"}]'
for n in ST-HOLD ST-NEW ST-PART ST-QP; do
	ubl_invoice "$T/$n.xml" "$n"
	drv deposit "$S" "$T/$n.xml" then sleep 100
	drv report "$S" "$(jget "$T/out" 1 flux)"
	eval "state_$(echo $n | tr - _)=\"\$(jget \"\$T/out\" 1 state) \$(jget \"\$T/out\" 1 outcome) \$(jget \"\$T/out\" 1 final) \$(jget \"\$T/out\" 1 integrated)\""
done
# outcome: 0 pending, 1 blocked, 2 integrated, 3 partial, 4 rejected, 5 unknown
is "blocked, waiting for manual reprocessing: not final" "$state_ST_HOLD" "IN_EN_ATTENTE_RETRAITEMENT_CPP 1 false false"
is "a state chorusgw does not know: unknown, not final" "$state_ST_NEW" "IN_ETAT_INCONNU 5 false false"
is "partly integrated: final, integrated" "$state_ST_PART" "IN_INTEGRE_PARTIEL 3 true true"
is "inadmissible: final, rejected" "$state_ST_QP" "QP_IRRECEVABLE 4 true false"

# ---- a 400 from the PISTE gateway is not Chorus Pro refusing the invoice ----
drv admin POST /_emulator/faults '{"status": {"code": 400, "body": "html", "count": 1, "route": "/cpro/factures/v1/deposer/flux"}}' \
	then deposit "$S" "$T/s.xml"
is "400 without codeRetour: set-up, not the document" "$(jget "$T/out" 2 class)" setup
is "400 without codeRetour: its kind" "$(jget "$T/out" 2 kind)" gateway-refusal
is "400 without codeRetour: a known outcome" "$(jget "$T/out" 2 unknown_outcome)" false

# ---- nomFichier: made from the invoice number, [A-Za-z0-9._-] only ----
drv deposit "$S" "$T/s.xml" name="F 2025/é 7"
is "odd invoice number: the deposit is taken" "$(jget "$T/out" 1 class)" ok
case $(emu GET /_emulator/deposits | "$EMU_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[-1]["nomFichier"])') in
F_2025___7_drv*.xml) ok "nomFichier from the number, unique per deposit" ;;
*) not_ok "nomFichier: $(emu GET /_emulator/deposits | tail -c 300)" ;; esac

# ---- the technical account's password expiry ----
drv expiry "$S"
is "password expiry: ok" "$(jget "$T/out" 1 class)" ok
is "password expiry: the account" "$(jget "$T/out" 1 login)" "$EMU_LOGIN"
case $(jget "$T/out" 1 date) in 2027-06-30*) ok "password expiry: Chorus Pro's date" ;;
*) not_ok "password expiry date: $(jget "$T/out" 1 date)" ;; esac
# a password that expires in a few seconds (the emulator takes a date-time): its expiry
# learnt while it still works, then the account refused once it has passed
soon=$(TZ=Europe/Paris date -d '+4 seconds' --iso-8601=seconds)
drv admin POST /_emulator/settings "{\"password_expires\": {\"$EMU_LOGIN\": \"$soon\"}}" \
	then expiry "$S" \
	then sleep 5000 \
	then search "$S" number=X
is "expiry learnt while it works" "$(jget "$T/out" 2 class)" ok
is "expiry learnt, then refused: set-up" "$(jget "$T/out" 3 class)" setup
is "expiry learnt, then refused: the password expired" "$(jget "$T/out" 3 kind)" password-expired
case $(jget "$T/out" 3 reason) in *"has expired on"*) ok "the reason says it expired" ;;
*) not_ok "reason: $(jget "$T/out" 4 reason)" ;; esac
drv search "$S" number=X
is "without the expiry learnt: a refused account, as PISTE words it" "$(jget "$T/out" 1 kind)" \
	refused-credentials

no_secrets "no secret in any output or debug log" "$T/all"
done_testing
