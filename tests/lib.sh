# tests/lib.sh - shared helpers for the end-to-end tests (POSIX sh, sourced).
#
# Every test: `. "$top_srcdir/tests/lib.sh"`, uses $T (a private temporary folder,
# removed on exit), prints TAP through ok/check/is, and ends with `done_testing`.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${CHORUSGW:=$top_builddir/src/chorusgw}"
export LC_ALL=C

T=$(mktemp -d "${TMPDIR:-/tmp}/chorusgw-test.XXXXXX") || exit 99
tap_n=0
tap_failed=0
_cleanup_hooks=""

on_exit() { _cleanup_hooks="$1; $_cleanup_hooks"; }
_cleanup() {
	eval "$_cleanup_hooks"
	rm -rf "$T"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); echo "not ok $tap_n - $*"; }
diag() { printf '%s\n' "$@" | sed 's/^/#   /'; }

# check DESCRIPTION COMMAND... : ok when the command succeeds.
check() {
	_d=$1
	shift
	if "$@"; then ok "$_d"; else not_ok "$_d"; fi
}

# is DESCRIPTION GOT WANT
is() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"
		diag "got:  $2" "want: $3"
	fi
}

# contains DESCRIPTION FILE TEXT : the file holds the fixed string.
contains() {
	if grep -qF -- "$3" "$2"; then ok "$1"; else
		not_ok "$1"
		diag "no \"$3\" in $2:"
		sed 's/^/#   | /' "$2" | head -20
	fi
}

# lacks DESCRIPTION FILE TEXT : the file does not hold the fixed string.
lacks() {
	if grep -qF -- "$3" "$2"; then
		not_ok "$1"
		diag "unexpected \"$3\" in $2:"
		grep -nF -- "$3" "$2" | head -5 | sed 's/^/#   | /'
	else ok "$1"; fi
}

# run_gw NAME ARGS... : run chorusgw, stdout in $T/NAME.out, stderr in $T/NAME.err,
# exit status in $rc.
run_gw() {
	_n=$1
	shift
	"$CHORUSGW" "$@" >"$T/$_n.out" 2>"$T/$_n.err"
	rc=$?
}

# The plan comes last; the exit status stays 0 so that each failure is counted once
# (as its "not ok" line), while a test that dies early misses its plan and errors.
done_testing() {
	echo "1..$tap_n"
	exit 0
}

# notify_listen SOCKET FILE : a systemd notify socket at SOCKET that appends every
# datagram it gets to FILE, one per line (newlines in it as '|'); stopped on exit.
notify_listen() {
	"$EMU_PYTHON" - "$1" "$2" <<'EOP' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        out.write(s.recv(4096).decode().replace("\n", "|") + "\n")
EOP
	on_exit "kill $! 2>/dev/null"
	wait_until 5 test -S "$1"
}

# needs_test_hooks : the test injects crashes, write failures or rename fallbacks
# (fileio.h); a build without ./configure --enable-test-hooks ignores them: skip.
needs_test_hooks() {
	if [ "${TEST_HOOKS:-yes}" != yes ]; then
		echo "1..0 # SKIP needs a build with ./configure --enable-test-hooks"
		exit 0
	fi
}

# make_conf FILE [extra INI text on stdin appended] : a config with private mode.
write_private() {
	umask 077
	cat >"$1"
	chmod 600 "$1"
}

# ---- the Chorus Pro emulator (tests/emulator/README) ----------------------------------

EMU_PYTHON=${EMU_PYTHON:-/usr/bin/python3}
# Seeded identities (tests/emulator/seed.json)
EMU_CLIENT=chorusgw-sandbox
EMU_SECRET=piste-sandbox-secret-4f9a
EMU_LOGIN=TECH_1_durand@cpro.fr
EMU_PASSWORD='Durand-Tech-2026!'
EMU_SUPPLIER=43215678400014
EMU_BUYER=21750019800015
# base64("login:password"), the cpro-account header value
EMU_CPRO=$(printf '%s:%s' "$EMU_LOGIN" "$EMU_PASSWORD" | base64 -w0)

# start_emulator [EMULATOR OPTIONS...] : an emulator on an ephemeral loopback port, state
# in $EMU_DIR, address in $EMU_URL; stopped on exit.
start_emulator() {
	EMU_DIR=$T/emulator
	mkdir -p "$EMU_DIR"
	# never through a proxy, even if the environment names one
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
	"$EMU_PYTHON" "$top_srcdir/tests/emulator/chorus-emulator" --state "$EMU_DIR" --quiet \
		"$@" 2>"$EMU_DIR/log" &
	EMU_PID=$!
	on_exit stop_emulator
	await_port "$EMU_DIR" "$EMU_PID" "the emulator"
	EMU_PORT=$(cat "$EMU_DIR/port")
	EMU_URL=https://127.0.0.1:$EMU_PORT
}

# await_port DIR PID WHAT : wait (20 s at most) until the emulator of process PID writes
# DIR/port; bail out with its log (DIR/log) if it dies or never does.
await_port() {
	_i=0
	while [ ! -s "$1/port" ]; do
		_i=$((_i + 1))
		if [ $_i -gt 400 ] || ! kill -0 "$2" 2>/dev/null; then
			echo "Bail out! $3 did not start:"
			sed 's/^/# /' "$1/log"
			exit 1
		fi
		sleep 0.05
	done
}

stop_emulator() { stop_pid EMU_PID; }

# stop_pid VAR : kill and reap the process whose id the variable VAR holds, then empty VAR.
stop_pid() {
	eval "_p=\${$1:-}"
	if [ -n "$_p" ]; then
		kill "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
		eval "$1="
	fi
}

# hold_lock FILE : another process holds flock(FILE) (as a second chorusgw would hold a
# spool's lock/ file) until `release_lock`; returns once it is held.
hold_lock() {
	"$EMU_PYTHON" -c 'import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
time.sleep(300)' "$1" &
	LOCK_PID=$!
	on_exit 'stop_pid LOCK_PID'
	wait_until 10 sh -c "! flock -n '$1' true"
}
release_lock() { stop_pid LOCK_PID; }

# emu METHOD PATH [JSON] : call an admin route, answer on stdout.
emu() { admin_call "$EMU_DIR" "$EMU_URL" "$@"; }

# admin_call STATE-DIR BASE-URL METHOD PATH [JSON] : an admin route of an emulator.
admin_call() {
	if [ "$3" = GET ]; then
		curl -sS --cacert "$1/ca.pem" "$2$4"
	else
		_b=${5:-}
		[ -n "$_b" ] || _b='{}'
		curl -sS --cacert "$1/ca.pem" -X "$3" -H 'Content-Type: application/json' --data "$_b" "$2$4"
	fi
}

# emu_conf FILE [CLIENT_ID SECRET LOGIN PASSWORD] [extra INI lines on stdin if -] :
# a private config pointing at the emulator.
emu_conf() {
	_f=$1
	write_private "$_f" <<EOC
[spool]
dir = $T/spool
[chorus]
token_url = $EMU_URL/api/oauth/token
api_url = $EMU_URL
ca_file = $EMU_DIR/ca.pem
client_id = ${2:-$EMU_CLIENT}
client_secret = ${3:-$EMU_SECRET}
tech_login = ${4:-$EMU_LOGIN}
tech_password = ${5:-$EMU_PASSWORD}
connect_timeout = 2s
timeout = 5s
EOC
}

# jget FILE LINE KEY : a member of the JSON object on line LINE (1 = first; -1 = last)
# of FILE; lists and objects as JSON, booleans as true/false, absent as "".
jget() {
	"$EMU_PYTHON" - "$@" <<'EOP'
import json, sys
lines = [l for l in open(sys.argv[1], encoding="utf-8") if l.startswith("{")]
n = int(sys.argv[2])
try:
    v = json.loads(lines[n - 1 if n > 0 else n])
    for k in sys.argv[3].split("."):
        v = v[int(k)] if isinstance(v, list) else v[k]
except (IndexError, KeyError, ValueError):
    v = ""
if isinstance(v, bool):
    print("true" if v else "false")
elif isinstance(v, (list, dict)):
    print(json.dumps(v, ensure_ascii=False, separators=(",", ":")))
else:
    print(v)
EOP
}

# ubl_invoice FILE NUMBER [SUPPLIER [BUYER [SERVICE]]] : a small UBL 2.1 invoice, valid
# against the XSD, that the emulator integrates.
ubl_invoice() {
	cat >"$1" <<EOX
<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
<cbc:ProfileID>A1</cbc:ProfileID>
<cbc:ID>$2</cbc:ID>
<cbc:IssueDate>2026-03-15</cbc:IssueDate>
<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
${5:+<cbc:BuyerReference>$5</cbc:BuyerReference>}
<cac:AccountingSupplierParty><cac:Party><cac:PartyIdentification><cbc:ID schemeID="0009">${3:-$EMU_SUPPLIER}</cbc:ID></cac:PartyIdentification><cac:PartyLegalEntity><cbc:RegistrationName>Fournisseur</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
<cac:AccountingCustomerParty><cac:Party><cac:PartyIdentification><cbc:ID schemeID="0009">${4:-$EMU_BUYER}</cbc:ID></cac:PartyIdentification><cac:PartyLegalEntity><cbc:RegistrationName>Acheteur</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">20.00</cbc:TaxAmount></cac:TaxTotal>
<cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount><cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="EUR">120.00</cbc:TaxInclusiveAmount><cbc:PayableAmount currencyID="EUR">120.00</cbc:PayableAmount></cac:LegalMonetaryTotal>
<cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity><cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount><cac:Item><cbc:Name>Prestation</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item><cac:Price><cbc:PriceAmount currencyID="EUR">100.00</cbc:PriceAmount></cac:Price></cac:InvoiceLine>
</Invoice>
EOX
}

# drv_status NAME STATUS ERRFILE : a chorusdrv run must exit 0 (a sanitizer report, a
# crash or a leak makes it fail); says so as a failed test.
drv_status() {
	if [ "$2" -ne 0 ]; then
		not_ok "chorusdrv $1 exited $2"
		tail -20 "$3" | sed 's/^/#   | /'
	fi
}

# deposits_of NUMBER : how many deposits the emulator recorded with that invoice number
# and a numeroFluxDepot (what a duplicate would add to).
deposits_of() {
	emu GET /_emulator/deposits | "$EMU_PYTHON" -c '
import json, sys
print(sum(1 for d in json.load(sys.stdin)
          if d.get("numeroFacture") == sys.argv[1] and d.get("numeroFluxDepot")))' "$1"
}

# no_secrets DESCRIPTION FILE... : none of the test secrets, nor anything shaped like an
# access token of the emulator (43 base64url characters), appears in the files.
no_secrets() {
	_d=$1
	shift
	_hit=""
	for _s in "$EMU_SECRET" "$EMU_PASSWORD" "$EMU_CPRO" "$PA_SECRET" ${NO_SECRETS_EXTRA:-}; do
		if grep -qF -- "$_s" "$@"; then _hit="$_hit $_s"; fi
	done
	if grep -qE '[A-Za-z0-9_-]{43}' "$@"; then _hit="$_hit (a token-shaped string)"; fi
	if [ -z "$_hit" ]; then ok "$_d"; else
		not_ok "$_d"
		diag "found:$_hit"
	fi
}

# fast_dir : set $FAST to a private folder on tmpfs (/dev/shm) when there is one, else
# under $T; removed on exit. For tests that kill processes (not the machine) or make
# thousands of files: fsync costs nothing there.
fast_dir() {
	FAST=$(mktemp -d /dev/shm/chorusgw-test.XXXXXX 2>/dev/null) || {
		FAST=$T/fast
		mkdir -p "$FAST"
	}
	on_exit "rm -rf '$FAST'"
}

# ---- chaos runs (gateway-chaos.sh, pa-chaos.sh) ------------------------------------------

# spool_finals SPOOL : how many receipts are in accepted/ and rejected/.
spool_finals() { echo $(($(count "$1/accepted" '*.receipt') + $(count "$1/rejected" '*.receipt'))); }

# chaos_kills SPOOL CONF N ROUNDS SEED : `chorusgw run` with CONF killed with SIGKILL at
# random moments and restarted until N documents are final or after ROUNDS rounds; each
# life lasts 0.3 to 2.3 s, from a fixed sequence seeded with SEED so that a failure can be
# replayed. A round in which no document became final doubles the next lives (up to 16
# times): on a loaded or sanitized build a 2 s life may end before the first send, and
# such rounds would leave everything to the fault-free last run. Checks it killed at
# least 3 times. Output in $T/out and $T/log.
chaos_kills() {
	_rounds=0 _seed=$5 _grow=1 _before=0
	while [ "$_before" -lt "$3" ] && [ $_rounds -lt "$4" ]; do
		"$CHORUSGW" -c "$2" run >>"$T/out" 2>>"$T/log" &
		_pid=$!
		_seed=$(((_seed * 1103515245 + 12345) % 2147483648))
		sleep "$(awk -v s="$_seed" -v g="$_grow" 'BEGIN { printf "%.2f", g * (0.3 + (s % 200) / 100) }')"
		kill -9 "$_pid" 2>/dev/null
		wait "$_pid" 2>/dev/null
		_rounds=$((_rounds + 1))
		_after=$(spool_finals "$1")
		if [ "$_after" -gt "$_before" ]; then _grow=1; elif [ $_grow -lt 16 ]; then _grow=$((_grow * 2)); fi
		_before=$_after
	done
	diag "killed $_rounds times; $(spool_finals "$1") of $3 documents final then"
	if [ "$_rounds" -ge 3 ]; then ok "killed with SIGKILL at least 3 times"
	else not_ok "killed with SIGKILL at least 3 times ($_rounds)"; fi
}

# chaos_last_run SPOOL CONF N : one last `chorusgw run` (faults off) until N documents are
# final, then SIGTERM: checks both.
chaos_last_run() {
	"$CHORUSGW" -c "$2" run >>"$T/out" 2>"$T/last.log" &
	_pid=$!
	on_exit "kill -9 $_pid 2>/dev/null"
	_all_final() { [ "$(spool_finals "$1")" -ge "$3" ]; }
	check "every document reaches a final folder" wait_until 240 _all_final "$@"
	_running() { grep -q 'running on' "$T/last.log"; }
	wait_until 30 _running
	cat "$T/last.log" >>"$T/log"
	kill -TERM "$_pid"
	wait "$_pid"
	is "the last run stops cleanly" "$?" 0
}

# final_receipts SPOOL : "DISTINCT TWICE BAD": the invoice numbers of the receipts in
# accepted/ and rejected/, how many have more than one, how many receipts have a state
# other than their folder's.
final_receipts() {
	"$EMU_PYTHON" - "$1" <<'EOP'
import collections, os, sys
spool = sys.argv[1]
seen = collections.Counter()
bad = 0
for folder in ("accepted", "rejected"):
    for name in os.listdir(os.path.join(spool, folder)):
        if not name.endswith(".receipt"):
            continue
        kv = dict(l.split(" = ", 1) for l in open(os.path.join(spool, folder, name), encoding="utf-8").read().splitlines() if " = " in l)
        if kv.get("state") != folder:
            bad += 1
        seen[kv.get("invoice_number")] += 1
print(len(seen), sum(1 for v in seen.values() if v > 1), bad)
EOP
}

# ---- the Plateforme Agréée emulator (tests/emulator/README.pa-emulator) ------------------

# Seeded identities (tests/emulator/pa-seed.json; all fictitious)
PA_CUST=chorusgw                 # the token URL's {custId}
PA_CLIENT=chorusgw-pa
PA_SECRET=pa-sandbox-secret-7d31c2
PA_SELLER=732829320              # a company of that client (LUMIERE INFORMATIQUE SAS)
PA_SELLER_SIRET=73282932000074
PA_BUYER=812345676               # a private buyer receiving through a PA, standard lifecycle
PA_PUBLIC_BUYER=263300592        # a public buyer (B2G), its directory line goes to Chorus Pro (DFH)
PA_NOT_RECEIVING=856789011       # in the Directory, no directory line: does not receive yet
PA_SUPPLIER=889012340            # sends the incoming invoices

# start_pa_emulator [EMULATOR OPTIONS...] : a PA emulator on an ephemeral loopback port,
# state in $PA_DIR, base address $PA_URL (services under $PA_FLOW_URL, $PA_DIRECTORY_URL,
# token URL $PA_TOKEN_URL); stopped on exit. No scheduled incoming flows, the
# acknowledgement after 0.2 s and a status every 0.3 s unless the options say otherwise.
start_pa_emulator() {
	PA_DIR=$T/pa-emulator
	mkdir -p "$PA_DIR"
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
	"$EMU_PYTHON" "$top_srcdir/tests/emulator/pa-emulator" --state "$PA_DIR" --quiet \
		--incoming-every 0 --ack-delay 0.2 --lifecycle-step 0.3 "$@" 2>"$PA_DIR/log" &
	PA_PID=$!
	on_exit stop_pa_emulator
	await_port "$PA_DIR" "$PA_PID" "the PA emulator"
	PA_URL=https://127.0.0.1:$(cat "$PA_DIR/port")
	PA_FLOW_URL=$PA_URL/flow-service
	PA_DIRECTORY_URL=$PA_URL/directory-service
	PA_TOKEN_URL=$PA_URL/auth-service/$PA_CUST/token
}

stop_pa_emulator() { stop_pid PA_PID; }

# pa_emu METHOD PATH [JSON] : call an admin route of the PA emulator, answer on stdout.
pa_emu() { admin_call "$PA_DIR" "$PA_URL" "$@"; }

# pa_ini : a [pa] section pointing at the emulator, for a chorusgw configuration. The key
# names are a proposal: the PA transport (src/conf.c) decides them; align this with it.
pa_ini() {
	cat <<EOC
[pa]
url = $PA_FLOW_URL
directory_url = $PA_DIRECTORY_URL
token_url = $PA_TOKEN_URL
client_id = $PA_CLIENT
client_secret = $PA_SECRET
ca_file = $PA_DIR/ca.pem
EOC
}

# doc_receipt NAME : the receipt of the document NAME in the spool $S, wherever it is
# (outbox/, accepted/, rejected/; outbox/'s path while there is none)
doc_receipt() {
	for _f in outbox accepted rejected; do
		[ -f "$S/$_f/$1.receipt" ] && { echo "$S/$_f/$1.receipt"; return; }
	done
	echo "$S/outbox/$1.receipt"
}
# doc_key_is NAME KEY VALUE : its receipt says KEY = VALUE
doc_key_is() { rkey_is "$(doc_receipt "$1")" "$2" "$3"; }
# doc_in NAME FOLDER : its receipt is in FOLDER/
doc_in() { [ -f "$S/$2/$1.receipt" ]; }

# pa_conf FILE SPOOL [INI text on stdin] : gw_conf with pa_ini's [pa] section; the text on
# stdin goes on in that section (its own section headers for the others).
pa_conf() { { pa_ini; [ -t 0 ] || cat; } | gw_conf "$1" "$2"; }
# pa_status NUMBER CODE : the PA emulator gives the invoice NUMBER sent to it that
# lifecycle status now.
pa_status() {
	pa_emu POST /_emulator/lifecycle "{\"number\": \"$1\", \"status\": \"$2\"}" >/dev/null
}

# pa_incoming KIND [COUNT [EXTRA JSON]] : the PA emulator delivers COUNT (1) incoming
# flows of KIND (ubl, cii, facturx, xxe...) to the company $PA_SELLER.
pa_incoming() {
	pa_emu POST /_emulator/incoming \
		"{\"kind\": \"$1\", \"to\": \"$PA_SELLER\", \"count\": ${2:-1}${3:-}}" >/dev/null
}

# pa_invoice FILE ubl|cii NUMBER [SELLER [BUYER_ADDRESS [ORDER]]] : a small invoice the PA
# emulator accepts: UBL 2.1 or CII D22B, EN 16931, seller SIREN (BT-30) and electronic
# address (BT-34, scheme 0225), buyer address BT-49 ("SCHEME:VALUE", scheme 0225 by
# default, "" for none) and SIREN (BT-47, its first 9 characters), 100 EUR + 20 % VAT,
# the notes PMT, PMD, AAB (BR-FR-05), billing mode S1 (BT-23, BR-FR-08); ORDER is BT-13.
pa_invoice() {
	_seller=${4:-$PA_SELLER}
	_addr=${5-$PA_BUYER}
	case $_addr in *:*) _scheme=${_addr%%:*} _addr=${_addr#*:} ;; *) _scheme=0225 ;; esac
	_bsiren=$(printf '%.9s' "$_addr")
	case $_bsiren in [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]) ;; *) _bsiren="" ;; esac
	_order=${6:-}
	# the seller's French VAT id (BT-31, BR-S-02): FR, the key of its SIREN, the SIREN
	_svat=$(awk -v s="$_seller" 'BEGIN { printf "FR%02d%s", (12 + 3 * (s % 97)) % 97, s }')
	# the optional pieces, built outside the here-documents (quotes in ${x:+...} do not survive)
	_ep="" _lid="" _ord=""
	if [ "$2" = ubl ]; then
		[ -z "$_addr" ] || _ep="<cbc:EndpointID schemeID=\"$_scheme\">$_addr</cbc:EndpointID>"
		[ -z "$_bsiren" ] || _lid="<cbc:CompanyID schemeID=\"0002\">$_bsiren</cbc:CompanyID>"
		[ -z "$_order" ] || _ord="<cac:OrderReference><cbc:ID>$_order</cbc:ID></cac:OrderReference>"
		cat >"$1" <<EOX
<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
<cbc:ProfileID>S1</cbc:ProfileID>
<cbc:ID>$3</cbc:ID>
<cbc:IssueDate>2026-09-15</cbc:IssueDate>
<cbc:DueDate>2026-10-15</cbc:DueDate>
<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
<cbc:Note>#PMT#Indemnité forfaitaire pour frais de recouvrement : 40 EUR.</cbc:Note>
<cbc:Note>#PMD#Pénalités de retard : trois fois le taux d'intérêt légal.</cbc:Note>
<cbc:Note>#AAB#Pas d'escompte pour paiement anticipé.</cbc:Note>
<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
$_ord
<cac:AccountingSupplierParty><cac:Party><cbc:EndpointID schemeID="0225">$_seller</cbc:EndpointID><cac:PostalAddress><cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country></cac:PostalAddress><cac:PartyTaxScheme><cbc:CompanyID>$_svat</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme><cac:PartyLegalEntity><cbc:RegistrationName>Vendeur</cbc:RegistrationName><cbc:CompanyID schemeID="0002">$_seller</cbc:CompanyID></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
<cac:AccountingCustomerParty><cac:Party>$_ep<cac:PostalAddress><cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country></cac:PostalAddress><cac:PartyLegalEntity><cbc:RegistrationName>Acheteur</cbc:RegistrationName>$_lid</cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">20.00</cbc:TaxAmount><cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">100.00</cbc:TaxableAmount><cbc:TaxAmount currencyID="EUR">20.00</cbc:TaxAmount><cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal></cac:TaxTotal>
<cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount><cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="EUR">120.00</cbc:TaxInclusiveAmount><cbc:PayableAmount currencyID="EUR">120.00</cbc:PayableAmount></cac:LegalMonetaryTotal>
<cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity><cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount><cac:Item><cbc:Name>Prestation</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item><cac:Price><cbc:PriceAmount currencyID="EUR">100.00</cbc:PriceAmount></cac:Price></cac:InvoiceLine>
</Invoice>
EOX
	else
		[ -z "$_addr" ] || _ep="<ram:URIUniversalCommunication><ram:URIID schemeID=\"$_scheme\">$_addr</ram:URIID></ram:URIUniversalCommunication>"
		[ -z "$_bsiren" ] || _lid="<ram:SpecifiedLegalOrganization><ram:ID schemeID=\"0002\">$_bsiren</ram:ID></ram:SpecifiedLegalOrganization>"
		[ -z "$_order" ] || _ord="<ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>$_order</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>"
		cat >"$1" <<EOX
<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
<rsm:ExchangedDocumentContext><ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>S1</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
<rsm:ExchangedDocument><ram:ID>$3</ram:ID><ram:TypeCode>380</ram:TypeCode><ram:IssueDateTime><udt:DateTimeString format="102">20260915</udt:DateTimeString></ram:IssueDateTime>
<ram:IncludedNote><ram:Content>Indemnité forfaitaire pour frais de recouvrement : 40 EUR.</ram:Content><ram:SubjectCode>PMT</ram:SubjectCode></ram:IncludedNote>
<ram:IncludedNote><ram:Content>Pénalités de retard : trois fois le taux d'intérêt légal.</ram:Content><ram:SubjectCode>PMD</ram:SubjectCode></ram:IncludedNote>
<ram:IncludedNote><ram:Content>Pas d'escompte pour paiement anticipé.</ram:Content><ram:SubjectCode>AAB</ram:SubjectCode></ram:IncludedNote>
</rsm:ExchangedDocument>
<rsm:SupplyChainTradeTransaction>
<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument><ram:SpecifiedTradeProduct><ram:Name>Prestation</ram:Name></ram:SpecifiedTradeProduct><ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>100.00</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement><ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">1</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery><ram:SpecifiedLineTradeSettlement><ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:ApplicableTradeTax><ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>100.00</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement></ram:IncludedSupplyChainTradeLineItem>
<ram:ApplicableHeaderTradeAgreement>
<ram:SellerTradeParty><ram:Name>Vendeur</ram:Name><ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">$_seller</ram:ID></ram:SpecifiedLegalOrganization><ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress><ram:URIUniversalCommunication><ram:URIID schemeID="0225">$_seller</ram:URIID></ram:URIUniversalCommunication><ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">$_svat</ram:ID></ram:SpecifiedTaxRegistration></ram:SellerTradeParty>
<ram:BuyerTradeParty><ram:Name>Acheteur</ram:Name>$_lid<ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>$_ep</ram:BuyerTradeParty>
$_ord
</ram:ApplicableHeaderTradeAgreement>
<ram:ApplicableHeaderTradeDelivery/>
<ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode><ram:ApplicableTradeTax><ram:CalculatedAmount>20.00</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>100.00</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:ApplicableTradeTax><ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime><udt:DateTimeString format="102">20261015</udt:DateTimeString></ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms><ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>100.00</ram:LineTotalAmount><ram:TaxBasisTotalAmount>100.00</ram:TaxBasisTotalAmount><ram:TaxTotalAmount currencyID="EUR">20.00</ram:TaxTotalAmount><ram:GrandTotalAmount>120.00</ram:GrandTotalAmount><ram:DuePayableAmount>120.00</ram:DuePayableAmount></ram:SpecifiedTradeSettlementHeaderMonetarySummation></ram:ApplicableHeaderTradeSettlement>
</rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
EOX
	fi
}

# ---- the gateway against the emulator -------------------------------------------------

# The emulator's account for the suppliers of xslt/examples/ (tests/emulator/README).
GW_LOGIN=TECH_1_demo@cpro.fr
GW_PASSWORD='Demo-Tech-2026!'

# gw_conf FILE SPOOL [INI text on stdin] : a private configuration running the gateway
# on SPOOL against the emulator, with timings small enough for tests; keys given on
# stdin replace or extend the defaults below. The spool is created.
gw_conf() {
	_f=$1
	_s=$2
	if [ -t 0 ]; then : >"$T/gw_conf.extra"; else cat >"$T/gw_conf.extra"; fi
	cat >"$T/gw_conf.base" <<EOC
[spool]
dir = $_s
settle = 0s
rescan = 1s
[chorus]
token_url = $EMU_URL/api/oauth/token
api_url = $EMU_URL
ca_file = $EMU_DIR/ca.pem
client_id = $EMU_CLIENT
client_secret = $EMU_SECRET
tech_login = $GW_LOGIN
tech_password = $GW_PASSWORD
connect_timeout = 2s
timeout = 5s
[gateway]
report_poll = 200ms
retry_min = 200ms
retry_max = 2s
unknown_wait = 1s
once_wait = 60s
[transform]
stylesheet_dir = $top_srcdir/xslt
schema_dir = $top_srcdir/schemas
attachment_dir = $top_srcdir/xslt/examples/attachments
[log]
target = stderr
EOC
	"$EMU_PYTHON" - "$T/gw_conf.base" "$T/gw_conf.extra" <<'EOP' | write_private "$_f"
import configparser, sys
c = configparser.ConfigParser(interpolation=None, delimiters=("=",))
c.optionxform = str
c.read(sys.argv[1:])
for sec in c.sections():
    print("[%s]" % sec)
    for k, v in c.items(sec):
        print("%s = %s" % (k, v))
EOP
	"$CHORUSGW" -c "$_f" check-config --init >/dev/null 2>"$T/gw_conf.err" || {
		echo "Bail out! gw_conf: $(cat "$T/gw_conf.err")"
		exit 1
	}
}

# wait_until SECONDS COMMAND... : poll COMMAND every 0.1 s; 0 once it succeeds, 1 when
# the time is up.
wait_until() {
	_end=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 0.1
	done
	return 0
}

# count DIR PATTERN : files of DIR whose name matches the shell PATTERN.
count() {
	_n=0
	for _x in "$1"/$2; do [ -e "$_x" ] && _n=$((_n + 1)); done
	echo "$_n"
}

# rkey FILE KEY : the value of KEY in a receipt (first occurrence).
rkey() {
	sed -n "s/^$2 = //p" "$1" | head -1
}
# rkey_is FILE KEY VALUE : KEY of that receipt is VALUE (false while it is not there).
rkey_is() { [ "$(rkey "$1" "$2" 2>/dev/null)" = "$3" ]; }

# erp_invoice FILE NUMBER : xslt/examples/invoice-simple.xml with another number.
erp_invoice() {
	sed "s|<number>F2025-000142</number>|<number>$2</number>|" \
		"$top_srcdir/xslt/examples/invoice-simple.xml" >"$1"
}

# drop FILE INBOX : put FILE into inbox the way a careful ERP does (write, then rename).
drop() {
	cp "$1" "$2/.$(basename "$1").part" && mv "$2/.$(basename "$1").part" "$2/$(basename "$1")"
}

# deposit_in_flight SPOOL NAME NUMBER : drop invoice NAME.xml whose deposit Chorus Pro
# answers 1.5 s late, and wait (10 s at most) until the deposit is on its way.
deposit_in_flight() {
	emu POST /_emulator/faults '{"slow_ms": {"ms": 1500, "count": 1, "route": "/cpro/factures/v1/deposer/flux"}}' >/dev/null
	erp_invoice "$T/$2.xml" "$3"
	drop "$T/$2.xml" "$1/inbox"
	wait_until 10 _receipt_state_is "$1/outbox/$2.xml.receipt" submitting
}
_receipt_state_is() { [ "$(rkey "$1" state 2>/dev/null)" = "$2" ]; }

# spool_with_files DIR N PREFIX : a new spool (spooldrv init) with N small documents
# PREFIX1.xml ... PREFIXN.xml in its inbox, each `<invoice n="I"/>`.
spool_with_files() {
	"$SPOOLDRV" "$1" init || exit 1
	_i=1
	while [ $_i -le "$2" ]; do
		printf '<invoice n="%d"/>\n' $_i >"$1/inbox/$3$_i.xml"
		_i=$((_i + 1))
	done
}
