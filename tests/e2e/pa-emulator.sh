#!/bin/sh
# The PA emulator itself (TAP), with curl: OAuth2, every Flow and Directory route, the
# OpenAPI validation refusals, acknowledgements and their reason codes, search paging,
# downloads, the lifecycle on a stepped clock, the receiving side, CDAR acceptance and
# refusal, fault switches.  tests/emulator/README.pa-emulator says what each answer means.
. "$top_srcdir/tests/lib.sh"

# the clock only moves when the test advances it (60 emulated seconds per step)
start_pa_emulator --ack-delay 60 --lifecycle-step 60 --incoming-every 100000 --max-file-bytes 40000
XSD=$top_srcdir/schemas

# req NAME CURL-ARGS... : body in $T/NAME.body, headers in $T/NAME.hdr, HTTP status in
# $code, curl's exit status in $rc
req() {
	_n=$1
	shift
	code=$(curl -sS --cacert "$PA_DIR/ca.pem" -o "$T/$_n.body" -D "$T/$_n.hdr" -w '%{http_code}' "$@" 2>"$T/$_n.err")
	rc=$?
}
# valid DESCRIPTION XSD FILE : FILE validates against the XSD (under schemas/)
valid() {
	if xmllint --noout --nonet --schema "$XSD/$2" "$3" 2>"$T/xmllint.err"; then ok "$1"; else
		not_ok "$1"
		head -5 "$T/xmllint.err" | sed 's/^/#   | /'
	fi
}
# jv FILE PYTHON-EXPRESSION : a value of the JSON in FILE (bound to d)
jv() {
	"$EMU_PYTHON" -c 'import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$1" "$2" 2>/dev/null
}
# token CUST CLIENT SECRET [SCOPE] : an access token (empty when refused)
token() {
	req tok -u "$2:$3" -d grant_type=client_credentials ${4:+-d "scope=$4"} "$PA_URL/auth-service/$1/token"
	jv "$T/tok.body" 'd["access_token"]'
}
# api NAME METHOD PATH [JSON] : a Flow or Directory call with $TOK
api() {
	_n=$1 _m=$2 _p=$3
	shift 3
	if [ $# -gt 0 ]; then
		req "$_n" -X "$_m" -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' --data "$1" "$PA_URL$_p"
	else
		req "$_n" -X "$_m" -H "Authorization: Bearer $TOK" "$PA_URL$_p"
	fi
}
# post NAME FILE FLOWINFO [FILE-CONTENT-TYPE [CURL-ARGS...]] : POST /v1/flows; the flowId in $fid
post() {
	_n=$1 _f=$2 _i=$3 _t=${4:-application/xml}
	shift 3
	[ $# -gt 0 ] && shift
	req "$_n" -H "Authorization: Bearer $TOK" -F "flowInfo=$_i;type=application/json" -F "file=@$_f;type=$_t" "$@" \
		"$PA_FLOW_URL/v1/flows"
	fid=$(jv "$T/$_n.body" 'd["flowId"]')
}
# info NAME SYNTAX [TRACKING [RULE]] : a flowInfo
info() { printf '{"name":"%s","flowSyntax":"%s"%s%s}' "$1" "$2" "${3:+,\"trackingId\":\"$3\"}" "${4:+,\"processingRule\":\"$4\"}"; }
advance() { pa_emu POST /_emulator/clock "{\"advance\": ${1:-60}}" >/dev/null; }
# ack NAME FLOWID : "STATUS REASONCODE..." of the flow's acknowledgement
ack() {
	api "$1" GET "/flow-service/v1/flows/$2"
	jv "$T/$1.body" '" ".join([d["acknowledgement"]["status"]] + [x["reasonCode"] for x in d["acknowledgement"].get("details", [])])'
}
# history NUMBER : the statuses of an invoice the client sent, "200 202 ..."
history() {
	pa_emu GET /_emulator/invoices >"$T/inv.json"
	jv "$T/inv.json" '" ".join(h["status"] for i in d if i["number"] == "'"$1"'" and i["direction"] == "out" for h in i["history"])'
}
# reasons NUMBER : reason codes of the invoice's statuses
reasons() {
	pa_emu GET /_emulator/invoices >"$T/inv.json"
	jv "$T/inv.json" '" ".join(r["code"] for i in d if i["number"] == "'"$1"'" for h in i["history"] for r in h["reasons"])'
}

# ---- OAuth2 ------------------------------------------------------------------------------
req t1 -u "$PA_CLIENT:$PA_SECRET" -d grant_type=client_credentials "$PA_TOKEN_URL"
is "token with HTTP Basic: 200" "$code" 200
is "token_type Bearer" "$(jv "$T/t1.body" 'd["token_type"]')" Bearer
is "expires_in" "$(jv "$T/t1.body" 'd["expires_in"]')" 3600
is "granted scope" "$(jv "$T/t1.body" 'd["scope"]')" health.read
contains "Cache-Control: no-store (RFC 6749 5.1)" "$T/t1.hdr" "Cache-Control: no-store"
is "the token is a JWT (three parts)" "$(jv "$T/t1.body" 'len(d["access_token"].split("."))')" 3
req t2 -d grant_type=client_credentials -d "client_id=$PA_CLIENT" -d "client_secret=$PA_SECRET" "$PA_TOKEN_URL"
is "token with the credentials in the form: 200" "$code" 200
req t3 -u "$PA_CLIENT:wrong" -d grant_type=client_credentials "$PA_TOKEN_URL"
is "wrong secret: 401" "$code" 401
is "wrong secret: invalid_client" "$(jv "$T/t3.body" 'd["error"]')" invalid_client
contains "wrong secret: WWW-Authenticate Basic" "$T/t3.hdr" 'WWW-Authenticate: Basic realm="pa-emulator/auth-service/chorusgw"'
req t4 -u "$PA_CLIENT:$PA_SECRET" -d grant_type=client_credentials "$PA_URL/auth-service/autre-client/token"
is "a client at another customer's token URL: 401 invalid_client" "$code:$(jv "$T/t4.body" 'd["error"]')" 401:invalid_client
req t5 -u "$PA_CLIENT:$PA_SECRET" -d grant_type=client_credentials "$PA_URL/auth-service/nobody/token"
is "unknown customer: 404" "$code" 404
req t6 -u "$PA_CLIENT:$PA_SECRET" -d grant_type=password "$PA_TOKEN_URL"
is "grant_type password: unsupported_grant_type" "$code:$(jv "$T/t6.body" 'd["error"]')" 400:unsupported_grant_type
req t7 -u "$PA_CLIENT:$PA_SECRET" -d scope=flow.admin -d grant_type=client_credentials "$PA_TOKEN_URL"
is "unknown scope: invalid_scope" "$code:$(jv "$T/t7.body" 'd["error"]')" 400:invalid_scope
req t8 -u "$PA_CLIENT:$PA_SECRET" -H 'Content-Type: application/json' -d '{"grant_type":"client_credentials"}' "$PA_TOKEN_URL"
is "JSON token request: invalid_request" "$code:$(jv "$T/t8.body" 'd["error"]')" 400:invalid_request
req t9 -u "$PA_CLIENT:$PA_SECRET" -d grant_type=client_credentials -d grant_type=client_credentials "$PA_TOKEN_URL"
is "repeated parameter: invalid_request" "$code:$(jv "$T/t9.body" 'd["error"]')" 400:invalid_request

TOK=$(token "$PA_CUST" "$PA_CLIENT" "$PA_SECRET")
OTHER=$(token autre-client autre-pa pa-other-secret-91e0)
[ -n "$TOK" ] && [ -n "$OTHER" ] || { echo "Bail out! no token"; exit 1; }

# ---- bearer tokens on the API -----------------------------------------------------------
req a1 "$PA_FLOW_URL/v1/healthcheck"
is "no token: 401" "$code" 401
is "no token: errorCode MISSING_TOKEN (the spec's example)" "$(jv "$T/a1.body" 'd["errorCode"]')" MISSING_TOKEN
contains "no token: WWW-Authenticate Bearer" "$T/a1.hdr" 'WWW-Authenticate: Bearer realm="pa-emulator"'
req a2 -H "Authorization: Bearer abc.def.ghi" "$PA_FLOW_URL/v1/healthcheck"
contains "forged token: 401 invalid_token with the reason" "$T/a2.hdr" 'error="invalid_token", error_description="The access token is not one this server issued"'
api a3 GET /flow-service/v1/healthcheck
is "Flow healthcheck: 200" "$code" 200
api a4 GET /directory-service/v1/healthcheck
is "Directory healthcheck with scope health.read: 200" "$code" 200
TOK0=$TOK TOK=$OTHER
api a5 GET /directory-service/v1/healthcheck
is "Directory healthcheck without health.read: 403" "$code" 403
contains "403 says which scope" "$T/a5.hdr" 'error="insufficient_scope", scope="health.read"'
TOK=$TOK0
api a6 GET /flow-service/v1/nothing
is "unknown route: 404 MISSING_RESOURCE" "$code:$(jv "$T/a6.body" 'd["errorCode"]')" 404:MISSING_RESOURCE
api a7 DELETE /flow-service/v1/flows/search
is "known path, wrong method: 405" "$code" 405
api a8 GET /flow-service/v1/webhooks
is "webhooks: 501 (not emulated)" "$code" 501

# ---- POST /v1/flows: the request is checked against the OpenAPI ---------------------------
pa_invoice "$T/ok.xml" ubl V-001
post v1 "$T/ok.xml" '{"name":"ok.xml","flowSyntax":"UBL","colour":"blue"}'
is "unknown flowInfo property: 400" "$code:$(jv "$T/v1.body" 'd["errorCode"]')" 400:UNKNOWN_FIELD
contains "the message names it" "$T/v1.body" "flowInfo.colour"
post v2 "$T/ok.xml" '{"flowSyntax":"UBL"}'
is "flowInfo without name: 400 MISSING_REQUIRED_FIELD" "$code:$(jv "$T/v2.body" 'd["errorCode"]')" 400:MISSING_REQUIRED_FIELD
post v3 "$T/ok.xml" '{"name":"ok.xml","flowSyntax":"XML"}'
contains "flowSyntax outside FlowSyntax: 400, the enum listed" "$T/v3.body" "CII, UBL, Factur-X, CDAR, FRR"
post v4 "$T/ok.xml" '{"name":"ok.xml","flowSyntax":"UBL","sha256":"ABCDEF"}'
contains "sha256 not lowercase hex: pattern" "$T/v4.body" "^[a-f0-9]{64}$"
post v5 "$T/ok.xml" "{\"name\":\"ok.xml\",\"flowSyntax\":\"UBL\",\"trackingId\":\"$(printf '%065d' 0)\"}"
contains "trackingId over 64 characters (NotOnlyUuid)" "$T/v5.body" "longer than 64"
post v6 "$T/ok.xml" '{"name":"ok.xml","flowSyntax":"UBL","processingRule":"B2X"}'
is "processingRule outside ProcessingRule: 400" "$code" 400
post v7 "$T/ok.xml" '{"name":"ok.xml","flowSyntax":"UBL","trackingId":null}'
contains "null is refused" "$T/v7.body" "null is not allowed"
req v8 -H "Authorization: Bearer $TOK" -F "flowInfo=$(info ok.xml UBL);type=text/plain" -F "file=@$T/ok.xml;type=application/xml" "$PA_FLOW_URL/v1/flows"
contains "flowInfo part not application/json: 400" "$T/v8.body" "must be application/json"
post v9 "$T/ok.xml" "$(info ok.xml UBL)" text/xml
contains "file part neither application/xml nor application/pdf: 400" "$T/v9.body" "application/pdf or application/xml"
req v10 -H "Authorization: Bearer $TOK" -F "flowInfo=$(info ok.xml UBL);type=application/json" "$PA_FLOW_URL/v1/flows"
is "no file part: 400 MISSING_REQUIRED_FIELD" "$code:$(jv "$T/v10.body" 'd["errorCode"]')" 400:MISSING_REQUIRED_FIELD
req v11 -H "Authorization: Bearer $TOK" -F "flowInfo=$(info ok.xml UBL);type=application/json" -F "file=@$T/ok.xml;type=application/xml" -F "extra=1" "$PA_FLOW_URL/v1/flows"
is "an extra part: 400 UNKNOWN_FIELD" "$code:$(jv "$T/v11.body" 'd["errorCode"]')" 400:UNKNOWN_FIELD
api v12 POST /flow-service/v1/flows "$(info ok.xml UBL)"
is "JSON instead of multipart: 400" "$code:$(jv "$T/v12.body" 'd["errorCode"]')" 400:INVALID_CONTENT_TYPE
post v13 "$T/ok.xml" "$(info ok.xml UBL)" application/xml -H "Request-Id: 42"
contains "Request-Id not a UUID (format uuid): 400" "$T/v13.body" "is not a UUID"
post v14 "$T/ok.xml" "$(info ok.xml UBL)" application/xml -H "Organization-Id: 834567893"
is "Organization-Id of another client: 403" "$code:$(jv "$T/v14.body" 'd["errorCode"]')" 403:FORBIDDEN_ACCESS
head -c 1100000 /dev/zero >"$T/huge.xml"
post v15 "$T/huge.xml" "$(info huge.xml UBL)"
is "body over the limit: 413 FILE_SIZE_EXCEEDED" "$code:$(jv "$T/v15.body" 'd["errorCode"]')" 413:FILE_SIZE_EXCEEDED
pa_emu GET /_emulator/received >"$T/rec0.json"
is "no refused request was recorded as a flow" "$(jv "$T/rec0.json" 'len(d)')" 0

# ---- acknowledgements: 202 for what is taken, then Pending -> Ok | Error ----------------
pa_invoice "$T/ok.xml" ubl A-OK
sha=$(sha256sum "$T/ok.xml" | cut -d' ' -f1)
post p1 "$T/ok.xml" "{\"name\":\"ok.xml\",\"flowSyntax\":\"UBL\",\"trackingId\":\"TR-1\",\"sha256\":\"$sha\",\"flowProfile\":\"CIUS\"}" \
	application/xml -H "Request-Id: 0f8fad5b-d9cb-469f-a165-70867728950e"
is "valid UBL: 202" "$code" 202
F_OK=$fid
is "the answer echoes trackingId and the sha256" "$(jv "$T/p1.body" 'd["trackingId"] + " " + d["sha256"]')" "TR-1 $sha"
api p1m GET "/flow-service/v1/flows/$F_OK"
is "before the acknowledgement: Pending" "$(jv "$T/p1m.body" 'd["acknowledgement"]["status"]')" Pending
is "Pending: flowType Undefined" "$(jv "$T/p1m.body" 'd["flowType"]')" Undefined
is "Pending: the given flowProfile kept, processingRule Undefined" "$(jv "$T/p1m.body" 'd["flowProfile"] + " " + d["processingRule"]')" "CIUS Undefined"
is "submittedAt = updatedAt at first" "$(jv "$T/p1m.body" 'd["submittedAt"] == d["updatedAt"]')" true
# expect ACK DESCRIPTION POST-ARGS... : post a flow (flowId in $fid); its acknowledgement
# is checked against ACK ("Ok" or "Error ReasonCode") once the clock has moved (check_acks)
: >"$T/acks"
expect() {
	_a=$1 _d=$2
	shift 2
	post "$@"
	printf '%s|%s|%s\n' "$fid" "$_a" "$_d" >>"$T/acks"
}
check_acks() {
	while IFS='|' read -r _f _a _d; do is "$_d" "$(ack k "$_f")" "$_a"; done <"$T/acks"
	: >"$T/acks"
}
printf '%s|Ok|valid UBL: Ok\n' "$F_OK" >>"$T/acks"
pa_invoice "$T/cii.xml" cii A-CII
expect Ok "CII D22B: Ok" p2 "$T/cii.xml" "$(info cii.xml CII TR-2)"
F_CII=$fid
expect "Error AlreadyExistingFlow" "same trackingId: AlreadyExistingFlow" p3 "$T/ok.xml" "$(info again.xml UBL TR-1)"
F_DUP=$fid
is "a second flow with the same trackingId is taken too (202)" "$code" 202
: >"$T/empty.xml"
expect "Error EmptyFlow" "empty file: EmptyFlow" p4 "$T/empty.xml" "$(info empty.xml UBL TR-4)"
expect "Error ChecksumMismatch" "wrong sha256: ChecksumMismatch" \
	p5 "$T/ok.xml" "{\"name\":\"ok.xml\",\"flowSyntax\":\"UBL\",\"trackingId\":\"TR-5\",\"sha256\":\"$(printf '%064d' 0)\"}"
printf '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><Bogus/></Invoice>' >"$T/bad.xml"
expect "Error InvalidSchema" "XSD failure: InvalidSchema" p6 "$T/bad.xml" "$(info bad.xml UBL TR-6)"
F_XSD=$fid
printf 'not xml at all' >"$T/junk.xml"
expect "Error InvalidSchema" "not XML: InvalidSchema" p7 "$T/junk.xml" "$(info junk.xml CII TR-7)"
printf '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<x>&e;</x>\n' >"$T/xxe.xml"
expect "Error InvalidSchema" "a DTD (XXE): InvalidSchema" p8 "$T/xxe.xml" "$(info xxe.xml UBL TR-8)"
F_XXE=$fid
expect "Error FlowTypeError" "CII content declared UBL: FlowTypeError" p9 "$T/cii.xml" "$(info cii.xml UBL TR-9)"
expect "Error FlowTypeError" "UBL named .pdf: FlowTypeError" p10 "$T/ok.xml" "$(info ok.pdf UBL TR-10)"
expect "Error FlowTypeError" "UBL sent as application/pdf: FlowTypeError" p11 "$T/ok.xml" "$(info ok.xml UBL TR-11)" application/pdf
printf 'X5O!P%%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >"$T/eicar.xml"
expect "Error VirusFound" "EICAR test file: VirusFound" p12 "$T/eicar.xml" "$(info eicar.xml UBL TR-12)"
head -c 60000 /dev/zero | tr '\0' ' ' >"$T/big.xml"
expect "Error FileSizeExceeded" "file over the limit, body under it: FileSizeExceeded" p13 "$T/big.xml" "$(info big.xml UBL TR-13)"
pa_invoice "$T/other.xml" ubl A-OTHER 889012340
expect "Error OtherTechnicalError" "a seller that is not the client's: OtherTechnicalError" \
	p14 "$T/other.xml" "$(info other.xml UBL TR-14)"
F_SELLER=$fid
sed 's|urn:cen.eu:en16931:2017|urn:factur-x.eu:1p0:minimum|' "$T/ok.xml" >"$T/min.xml"
expect "Error FlowTypeError" "MINIMUM profile: FlowTypeError" p15 "$T/min.xml" "$(info min.xml UBL TR-15)"
expect "Error OtherTechnicalError" "FRR (e-reporting): OtherTechnicalError" p16 "$T/ok.xml" "$(info ok.xml FRR TR-16)"
expect "Error FlowTypeError" "Factur-X that is not a PDF: FlowTypeError" \
	p17 "$T/ok.xml" "$(info ok.xml Factur-X TR-17)" application/pdf
pa_emu GET /_emulator/received >"$T/rec1.json"
is "every flow taken is recorded before the answer" "$(jv "$T/rec1.json" 'len(d)')" 17
is "the record has the trackingId and the file's sha256" "$(jv "$T/rec1.json" 'd[0]["trackingId"] + " " + d[0]["file_sha256"]')" "TR-1 $sha"
is "the record has the Request-Id" "$(jv "$T/rec1.json" 'd[0]["requestId"]')" 0f8fad5b-d9cb-469f-a165-70867728950e
is "flows.jsonl holds the same records" "$(grep -c '"flowId"' "$PA_DIR/flows.jsonl")" 17

advance
check_acks
api k1m GET "/flow-service/v1/flows/$F_OK"
is "after Ok: computed flowType and processingRule (Directory: private buyer)" \
	"$(jv "$T/k1m.body" 'd["flowType"] + " " + d["processingRule"] + " " + d["processingRuleSource"] + " " + d["flowDirection"]')" \
	"CustomerInvoice B2B Computed Out"
is "updatedAt moved with the acknowledgement" "$(jv "$T/k1m.body" 'd["updatedAt"] > d["submittedAt"]')" true
api k3 GET "/flow-service/v1/flows/$F_DUP"
contains "AlreadyExistingFlow names the first flow" "$T/k3.body" "$F_OK"
api k8 GET "/flow-service/v1/flows/$F_XXE"
contains "the DTD is refused, never expanded" "$T/k8.body" "DOCTYPE"
lacks "nothing of /etc/passwd leaks" "$T/k8.body" "root:"
api k18 GET "/flow-service/v1/flows/$F_SELLER"
is "Error: item, level and message given" "$(jv "$T/k18.body" 'sorted(d["acknowledgement"]["details"][0])')" '["item", "level", "reasonCode", "reasonMessage"]'
post p18 "$T/ok.xml" "$(info ok.xml UBL TR-1)"
advance
is "re-sent after the first was Ok: still AlreadyExistingFlow" "$(ack k19 "$fid")" "Error AlreadyExistingFlow"

# ---- GET /v1/flows/{flowId} -------------------------------------------------------------
api g1 GET "/flow-service/v1/flows/$F_OK?docType=Original"
is "Original: the bytes sent" "$(sha256sum <"$T/g1.body" | cut -d' ' -f1)" "$sha"
contains "Original: application/octet-stream" "$T/g1.hdr" "Content-Type: application/octet-stream"
contains "Original: Content-Disposition attachment;filename=" "$T/g1.hdr" 'Content-Disposition: attachment;filename="ok.xml"'
api g2 GET "/flow-service/v1/flows/$F_OK?docType=Converted"
valid "Converted of a UBL: a CII D22B valid against the XSD" cii-d22b/CrossIndustryInvoice_100pD22B.xsd "$T/g2.body"
api g3 GET "/flow-service/v1/flows/$F_CII?docType=Converted"
valid "Converted of a CII: a UBL valid against the XSD" ubl-2.1/maindoc/UBL-Invoice-2.1.xsd "$T/g3.body"
api g4 GET "/flow-service/v1/flows/$F_OK?docType=ReadableView"
is "ReadableView: a PDF" "$(head -c 8 "$T/g4.body")" "%PDF-1.7"
contains "ReadableView: PDF/A-3 metadata" "$T/g4.body" "<pdfaid:part>3</pdfaid:part>"
api g5 GET "/flow-service/v1/flows/$F_OK?docType=Bogus"
is "docType outside the enum: 400" "$code" 400
api g6 GET "/flow-service/v1/flows/$F_OK?doctype=Original"
is "unknown query parameter: 400 UNKNOWN_FIELD" "$code:$(jv "$T/g6.body" 'd["errorCode"]')" 400:UNKNOWN_FIELD
api g7 GET "/flow-service/v1/flows/NOPE"
is "unknown flow: 404 MISSING_RESOURCE" "$code:$(jv "$T/g7.body" 'd["errorCode"]')" 404:MISSING_RESOURCE
api g8 GET "/flow-service/v1/flows/$(printf '%065d' 1)"
is "flowId over 64 characters: 400" "$code" 400
api g9 GET "/flow-service/v1/flows/$F_XSD?docType=Converted"
is "no Converted for a flow in Error: 404" "$code" 404
TOK=$OTHER
api g10 GET "/flow-service/v1/flows/$F_OK"
is "another client's flow: 404" "$code" 404
TOK=$TOK0

# ---- search and paging ------------------------------------------------------------------
api s1 POST /flow-service/v1/flows/search '{"where":{}}'
is "where without criterion: 400" "$code" 400
api s2 POST /flow-service/v1/flows/search '{"limit":10}'
is "no where: 400 MISSING_REQUIRED_FIELD" "$code:$(jv "$T/s2.body" 'd["errorCode"]')" 400:MISSING_REQUIRED_FIELD
api s3 POST /flow-service/v1/flows/search '{"where":{"flowDirection":["Out"]},"limit":101}'
contains "limit over 100 (Limit maximum): 400" "$T/s3.body" "maximum 100"
api s4 POST /flow-service/v1/flows/search '{"where":{"updatedAfter":"2026-01-01T00:00:00"}}'
contains "updatedAfter without offset: 400 (RFC 3339)" "$T/s4.body" "RFC 3339"
api s5 POST /flow-service/v1/flows/search '{"where":{"status":"Ok"}}'
is "unknown criterion: 400" "$code:$(jv "$T/s5.body" 'd["errorCode"]')" 400:UNKNOWN_FIELD
api s6 POST /flow-service/v1/flows/search '{"where":{"trackingId":"TR-1"}}'
is "search by trackingId: the original and its duplicates" "$(jv "$T/s6.body" 'len(d["results"])')" 3
is "the first is the Ok one" "$(jv "$T/s6.body" 'd["results"][0]["flowId"]')" "$F_OK"
api s7 POST /flow-service/v1/flows/search '{"where":{"flowDirection":["Out"],"ackStatus":"Error"}}'
is "ackStatus Error" "$(jv "$T/s7.body" 'len(d["results"])')" 16
is "default limit 25, echoed with the filters" "$(jv "$T/s7.body" 'str(d["limit"]) + " " + d["filters"]["ackStatus"]')" "25 Error"
: >"$T/ids"
W='{"flowDirection":["Out"]}'
body="{\"where\":$W,\"limit\":7}"
pages=0
while :; do
	pages=$((pages + 1))
	api page POST /flow-service/v1/flows/search "$body"
	jv "$T/page.body" '"\n".join(r["flowId"] for r in d["results"])' >>"$T/ids"
	cur=$(jv "$T/page.body" 'd.get("nextCursor") or ""')
	[ -n "$cur" ] && [ $pages -lt 10 ] || break
	body="{\"where\":$W,\"limit\":7,\"cursor\":\"$cur\"}"
done
is "paging: 18 flows in 3 pages of 7" "$pages $(grep -c . "$T/ids") $(sort -u "$T/ids" | grep -c .)" "3 18 18"
api s8 POST /flow-service/v1/flows/search "{\"where\":{\"ackStatus\":\"Ok\"},\"cursor\":\"$(jv "$T/s7.body" 'd.get("nextCursor","x")')x\"}"
is "forged cursor: 400 INVALID_CURSOR" "$code:$(jv "$T/s8.body" 'd["errorCode"]')" 400:INVALID_CURSOR
api s9 POST /flow-service/v1/flows/search "{\"where\":$W,\"limit\":1}"
c1=$(jv "$T/s9.body" 'd["nextCursor"]')
api s10 POST /flow-service/v1/flows/search "{\"where\":{\"flowDirection\":[\"Out\",\"In\"]},\"cursor\":\"$c1\"}"
contains "a cursor with other criteria: 400" "$T/s10.body" "other criteria"
api s11 POST /flow-service/v1/flows/search "{\"where\":{\"trackingId\":\"TR-1\"}}"
after=$(jv "$T/s11.body" 'd["results"][0]["updatedAt"]')
api s12 POST /flow-service/v1/flows/search "{\"where\":{\"trackingId\":\"TR-1\",\"updatedAfter\":\"$after\"}}"
is "updatedAfter is strict (updatedAt > updatedAfter)" "$(jv "$T/s12.body" '[r["flowId"] for r in d["results"]].count("'"$F_OK"'")')" 0
TOK=$OTHER
api s13 POST /flow-service/v1/flows/search '{"where":{"flowDirection":["Out","In"]}}'
is "another client sees none of these flows" "$(jv "$T/s13.body" 'len(d["results"])')" 0
TOK=$TOK0
req s14 -H "Authorization: Bearer $TOK" -H "Organization-Id: 552100554" -H 'Content-Type: application/json' \
	--data '{"where":{"flowDirection":["Out"]}}' "$PA_FLOW_URL/v1/flows/search"
is "Organization-Id: only that company's flows" "$(jv "$T/s14.body" 'len(d["results"])')" 0

# ---- lifecycle of the invoices sent (one status per advance) ------------------------------
lc() { # lc NUMBER FORMAT ADDRESS [RULE [ORDER]] : send an invoice, its flowId in $fid
	pa_invoice "$T/$1.xml" "$2" "$1" "" "$3" "${5:-}"
	post "lc-$1" "$T/$1.xml" "$(info "$1.xml" "$(echo "$2" | tr a-z A-Z)" "LC-$1-$2" "${4:-}")"
}
lc L-STD ubl "$PA_BUYER"
F_STD=$fid
lc REF-1 cii "$PA_BUYER"
lc L-B2G ubl "$PA_PUBLIC_BUYER" B2G
F_B2G=$fid
lc L-UNK ubl 999999999
lc L-NOLINE ubl "$PA_NOT_RECEIVING"
lc L-CLOSED ubl 867890121
lc L-EM cii "EM:achats@example.fr"
lc L-NOEP ubl ""
lc L-STD cii "$PA_BUYER"
lc L-B2GPRIV ubl "$PA_BUYER" B2G
lc L-B2BPUB ubl "$PA_PUBLIC_BUYER" B2B
lc L-PARIS ubl 217500016 B2G
lc L-PARIS2 ubl 217500016 B2G PO-77
lc L-AIFE cii 110002011_11000201100044_SERV-FIN-01 B2G
lc L-SUFFIX ubl 845678903_FACTURES
lc MUET-1 ubl "$PA_BUYER"
F_MUET=$fid
pa_invoice "$T/L-A1.xml" ubl L-A1
sed 's|<cbc:ProfileID>S1</cbc:ProfileID>|<cbc:ProfileID>A1</cbc:ProfileID>|; /#PMD#/d' "$T/L-A1.xml" >"$T/L-A1b.xml"
post lc-a1 "$T/L-A1b.xml" "$(info L-A1.xml UBL LC-A1)"
advance
advance
is "private buyer: 200 Déposée" "$(history L-STD | cut -d' ' -f1)" 200
is "unknown buyer: 213 DEST_INC" "$(history L-UNK) $(reasons L-UNK)" "213 DEST_INC"
is "buyer without a directory line: 213 REJ_ADR" "$(history L-NOLINE) $(reasons L-NOLINE)" "213 REJ_ADR"
is "buyer whose line is Disabled: 213 REJ_ADR" "$(history L-CLOSED) $(reasons L-CLOSED)" "213 REJ_ADR"
is "BT-49 with scheme EM: 213 REJ_ADR" "$(history L-EM) $(reasons L-EM)" "213 REJ_ADR"
is "no BT-49: 213 REJ_SEMAN (BR-FR-12)" "$(history L-NOEP) $(reasons L-NOEP)" "213 REJ_SEMAN"
is "BT-23 A1 (a Chorus cadre) and no PMD note: 213 REJ_SEMAN twice (BR-FR-05, BR-FR-08)" "$(history L-A1) $(reasons L-A1)" \
	"213 REJ_SEMAN REJ_SEMAN"
is "the same invoice number twice: 200, then 213 REJ_UNI" "$(history L-STD) $(reasons L-STD)" "200 213 REJ_UNI"
is "B2G to a private buyer: 213 REJ_CONT_B2G" "$(reasons L-B2GPRIV)" REJ_CONT_B2G
is "B2B to a public buyer: 213 REJ_COH" "$(reasons L-B2BPUB)" REJ_COH
is "a buyer requiring an engagement (BT-13), none: REJ_CONT_B2G" "$(reasons L-PARIS)" REJ_CONT_B2G
is "with the engagement: 200" "$(history L-PARIS2)" 200
is "public buyer with a routing code in BT-49: 200" "$(history L-AIFE)" 200
is "address with a suffix (SIREN_SUFFIX): 200" "$(history L-SUFFIX)" 200
# find_lc NAME : the flowId of the lifecycle flow of that name, through every page
find_lc() {
	_b='{"where":{"flowType":["CustomerInvoiceLC"]},"limit":20}'
	while :; do
		api lcs POST /flow-service/v1/flows/search "$_b"
		_id=$(jv "$T/lcs.body" '([r["flowId"] for r in d["results"] if r["name"] == "'"$1"'"] + [""])[0]')
		_c=$(jv "$T/lcs.body" 'd.get("nextCursor") or ""')
		[ -z "$_id" ] && [ -n "$_c" ] || break
		_b="{\"where\":{\"flowType\":[\"CustomerInvoiceLC\"]},\"limit\":20,\"cursor\":\"$_c\"}"
	done
	echo "$_id"
}
api l1 POST /flow-service/v1/flows/search '{"where":{"flowType":["CustomerInvoiceLC"]},"limit":100}'
is "lifecycle flows: CDAR, In, Ok" "$(jv "$T/l1.body" 'sorted({r["flowSyntax"] + " " + r["flowDirection"] + " " + r["acknowledgement"]["status"] for r in d["results"]})')" '["CDAR In Ok"]'
lcid=$(find_lc CDV_L-UNK_213.xml)
api l2 GET "/flow-service/v1/flows/$lcid?docType=Original"
valid "the 213 CDAR is valid against the CDAR D22B XSD" cdar-d22b/CrossDomainAcknowledgementAndResponse_100pD22B.xsd "$T/l2.body"
contains "the 213 CDAR: ProcessConditionCode 213" "$T/l2.body" "<ram:ProcessConditionCode>213</ram:ProcessConditionCode>"
contains "the 213 CDAR: reason code DEST_INC" "$T/l2.body" "<ram:ReasonCode>DEST_INC</ram:ReasonCode>"
contains "the 213 CDAR: the invoice's number (MDT-87)" "$T/l2.body" "<ram:IssuerAssignedID>L-UNK</ram:IssuerAssignedID>"
api l3 GET "/flow-service/v1/flows/$lcid?docType=Converted"
is "no Converted for a CDAR: 404" "$code" 404
advance
advance
advance
advance
advance
is "standard buyer: 200 202 203 204 205 211" "$(history L-STD | cut -d' ' -f1-6)" "200 202 203 204 205 211"
is "REF- invoice: ... 210 Refusée TX_TVA_ERR" "$(history REF-1) $(reasons REF-1)" "200 202 203 204 210 TX_TVA_ERR"
is "B2G: 200 202 203 204 205 211" "$(history L-B2G)" "200 202 203 204 205 211"
lcid=$(find_lc CDV_L-B2G_205.xml)
api l5 GET "/flow-service/v1/flows/$lcid?docType=Original"
contains "a B2G status comes from Chorus Pro (0238 9999)" "$T/l5.body" '<ram:GlobalID schemeID="0238">9999</ram:GlobalID>'
contains "a buyer status: MDT-77 23" "$T/l5.body" "<ram:TypeCode>23</ram:TypeCode>"
contains "... issuer BY" "$T/l5.body" "<ram:RoleCode>BY</ram:RoleCode>"
valid "the 205 CDAR is valid against the XSD" cdar-d22b/CrossDomainAcknowledgementAndResponse_100pD22B.xsd "$T/l5.body"
r=$(pa_emu POST /_emulator/lifecycle "{\"flowId\":\"$F_MUET\",\"status\":\"207\",\"reasonCode\":\"QTE_ERR\",\"reason\":\"Quantité\"}")
is "forced status: 207 En litige QTE_ERR now" "$(history MUET-1) $(reasons MUET-1)" "200 202 203 207 QTE_ERR"
r=$(pa_emu POST /_emulator/lifecycle "{\"flowId\":\"$F_MUET\",\"status\":\"210\"}")
case $r in *BR-FR-CDV-15*) ok "forcing 210 without a reason: refused (BR-FR-CDV-15)" ;; *) not_ok "forcing 210 without a reason: $r" ;; esac
r=$(pa_emu POST /_emulator/lifecycle "{\"flowId\":\"$F_MUET\",\"status\":\"210\",\"reasonCode\":\"QTE_ERR\"}")
case $r in *CL-09*) ok "forcing 210 with a reason of another list: refused (BR-FR-CDV-CL-09)" ;; *) not_ok "210 QTE_ERR: $r" ;; esac

# ---- statuses the client sends (CDAR) -----------------------------------------------------
# cdar FILE STATUS NUMBER SELLER ROLE ISSUER OTHER [REASON [MEN-AMOUNT]]
cdar() {
	_st="" _ch=""
	[ -n "${9:-}" ] && _ch="<ram:SpecifiedDocumentCharacteristic><ram:TypeCode>MEN</ram:TypeCode><ram:ValueAmount>${9}</ram:ValueAmount><ram:ValuePercent>20</ram:ValuePercent></ram:SpecifiedDocumentCharacteristic>"
	if [ -n "${8:-}" ] || [ -n "$_ch" ]; then
		_rc=""
		[ -n "${8:-}" ] && _rc="<ram:ReasonCode>$8</ram:ReasonCode>"
		_st="<ram:SpecifiedDocumentStatus>$_rc<ram:SequenceNumeric>1</ram:SequenceNumeric>$_ch</ram:SpecifiedDocumentStatus>"
	fi
	_other=BY
	[ "$5" = BY ] && _other=SE
	cat >"$1" <<EOX
<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossDomainAcknowledgementAndResponse xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100" xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100">
<rsm:ExchangedDocumentContext><ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>REGULATED</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn.cpro.gouv.fr:1p0:CDV:invoice</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
<rsm:ExchangedDocument><ram:ID>CDV-$3-$2</ram:ID><ram:IssueDateTime><udt:DateTimeString format="204">20260920120000</udt:DateTimeString></ram:IssueDateTime>
<ram:SenderTradeParty><ram:RoleCode>$5</ram:RoleCode></ram:SenderTradeParty>
<ram:IssuerTradeParty><ram:GlobalID schemeID="0002">$6</ram:GlobalID><ram:RoleCode>$5</ram:RoleCode></ram:IssuerTradeParty>
<ram:RecipientTradeParty><ram:GlobalID schemeID="0002">$7</ram:GlobalID><ram:RoleCode>$_other</ram:RoleCode><ram:URIUniversalCommunication><ram:URIID schemeID="0225">$7</ram:URIID></ram:URIUniversalCommunication></ram:RecipientTradeParty>
</rsm:ExchangedDocument>
<rsm:AcknowledgementDocument><ram:TypeCode>23</ram:TypeCode><ram:IssueDateTime><udt:DateTimeString format="204">20260920120000</udt:DateTimeString></ram:IssueDateTime>
<ram:ReferenceReferencedDocument><ram:IssuerAssignedID>$3</ram:IssuerAssignedID><ram:TypeCode>380</ram:TypeCode><ram:FormattedIssueDateTime><qdt:DateTimeString format="102">20260915</qdt:DateTimeString></ram:FormattedIssueDateTime><ram:ProcessConditionCode>$2</ram:ProcessConditionCode><ram:IssuerTradeParty><ram:GlobalID schemeID="0002">$4</ram:GlobalID><ram:RoleCode>SE</ram:RoleCode></ram:IssuerTradeParty>$_st</ram:ReferenceReferencedDocument>
</rsm:AcknowledgementDocument>
</rsm:CrossDomainAcknowledgementAndResponse>
EOX
}
n=0
# status ACK DESCRIPTION STATUS NUMBER SELLER ROLE ISSUER OTHER [REASON [MEN]] : build a
# CDAR (in $T/cdarN.xml), post it (flowId in $fid), its acknowledgement checked later
status() {
	n=$((n + 1))
	_ack=$1 _desc=$2
	shift 2
	cdar "$T/cdar$n.xml" "$@"
	expect "$_ack" "$_desc" "c$n" "$T/cdar$n.xml" "$(info "cdar$n.xml" CDAR "ST-$n")"
}
r=$(pa_emu POST /_emulator/incoming "{\"kind\":\"ubl\",\"to\":\"$PA_SELLER\",\"count\":2}")
pa_emu GET '/_emulator/flows?direction=In' >"$T/in.json"
N1=$(jv "$T/in.json" '[f["invoice"] for f in d if f["flowType"] == "SupplierInvoice"][0]')
N2=$(jv "$T/in.json" '[f["invoice"] for f in d if f["flowType"] == "SupplierInvoice"][1]')
B=$PA_SELLER S=$PA_SUPPLIER
status Ok "buyer 205 Approuvée on an invoice received: Ok" 205 "$N1" "$S" BY "$B" "$S"
valid "the client's 205 is valid against the CDAR XSD" cdar-d22b/CrossDomainAcknowledgementAndResponse_100pD22B.xsd "$T/cdar1.xml"
C1=$fid
status "Error InvoiceLCRuleError" "210 without a reason: InvoiceLCRuleError" 210 "$N2" "$S" BY "$B" "$S"
C2=$fid
status "Error InvoiceLCRuleError" "210 with a reason not in its list: InvoiceLCRuleError" 210 "$N2" "$S" BY "$B" "$S" QTE_ERR
C3=$fid
status "Error InvoiceLCStatusError" "212 sent by the buyer: InvoiceLCStatusError" 212 "$N2" "$S" BY "$B" "$S" "" 120.00
status "Error InvoiceLCAccessDenied" "a status on an invoice never received: InvoiceLCAccessDenied" \
	205 NO-SUCH-INVOICE "$S" BY "$B" "$S"
status Ok "210 TX_TVA_ERR: Ok" 210 "$N2" "$S" BY "$B" "$S" TX_TVA_ERR
status "Error InvoiceLCInvalidStatus" "211 after 210: InvoiceLCInvalidStatus" 211 "$N2" "$S" BY "$B" "$S"
status Ok "seller 212 Encaissée with MEN after 200: Ok" 212 L-STD "$B" SE "$B" "$PA_BUYER" "" 120.00
C8=$fid
status "Error InvoiceLCRuleError" "212 without MEN: InvoiceLCRuleError (BR-FR-CDV-14)" 212 L-SUFFIX "$B" SE "$B" 845678903
status "Error InvoiceLCAmountError" "212 above the invoice's total: InvoiceLCAmountError" \
	212 L-PARIS2 "$B" SE "$B" 217500016 "" 500.00
status "Error InvoiceLCInvalidStatus" "212 a second time: InvoiceLCInvalidStatus" 212 L-STD "$B" SE "$B" "$PA_BUYER" "" 120.00
status "Error InvoiceLCInvalidStatus" "212 on a refused invoice: InvoiceLCInvalidStatus" 212 REF-1 "$B" SE "$B" "$PA_BUYER" "" 120.00
status "Error InvoiceLCAccessDenied" "a seller's 212 on an invoice it never sent here: InvoiceLCAccessDenied" \
	212 NEVER-SENT "$B" SE "$B" "$PA_BUYER" "" 120.00
status "Error InvoiceLCAccessDenied" "a seller's 212 on another seller's invoice (MDT-129 not the issuer): InvoiceLCAccessDenied" \
	212 L-STD "$S" SE "$B" "$PA_BUYER" "" 120.00
status "Error InvoiceLCAccessDenied" "a status issued for a company not the client's: InvoiceLCAccessDenied" \
	205 "$N1" "$S" BY 834567893 "$S"
sed 's|<ram:TypeCode>23</ram:TypeCode>|<ram:TypeCode>23</ram:TypeCode><ram:Bogus/>|' "$T/cdar1.xml" >"$T/bogus.xml"
expect "Error InvalidSchema" "CDAR not valid against the XSD: InvalidSchema" c-bogus "$T/bogus.xml" "$(info bogus.xml CDAR ST-X)"
advance
check_acks
api ca1m GET "/flow-service/v1/flows/$C1"
is "the buyer's status: flowType SupplierInvoiceLC" "$(jv "$T/ca1m.body" 'd["flowType"]')" SupplierInvoiceLC
api ca2 GET "/flow-service/v1/flows/$C2"
contains "210 without a reason: the detail names BR-FR-CDV-15" "$T/ca2.body" "BR-FR-CDV-15_MDT-113"
api ca3 GET "/flow-service/v1/flows/$C3"
contains "210 QTE_ERR: the detail names BR-FR-CDV-CL-09" "$T/ca3.body" "BR-FR-CDV-CL-09_MDT-113_210"
api ca8m GET "/flow-service/v1/flows/$C8"
is "the seller's 212: flowType CustomerInvoiceLC" "$(jv "$T/ca8m.body" 'd["flowType"]')" CustomerInvoiceLC
pa_emu GET /_emulator/statuses >"$T/st.json"
is "statuses recorded: 205, 210, 212" "$(jv "$T/st.json" '" ".join(s["status"] + ":" + s["invoice"] for s in d)')" "205:$N1 210:$N2 212:L-STD"
is "with their reason codes" "$(jv "$T/st.json" 'd[1]["reasons"][0]["code"]')" TX_TVA_ERR

# ---- the receiving side ------------------------------------------------------------------
deliver() { # deliver KIND [EXTRA JSON] : flowId in $fid
	pa_emu POST /_emulator/incoming "{\"kind\":\"$1\",\"to\":\"$PA_SELLER\"${2:+,$2}}" >"$T/deliver.json"
	fid=$(jv "$T/deliver.json" 'd["flowIds"][0]')
}
get() { api "$1" GET "/flow-service/v1/flows/$2?docType=${3:-Original}"; }
deliver ubl
get r1 "$fid"
valid "incoming UBL: valid UBL 2.1" ubl-2.1/maindoc/UBL-Invoice-2.1.xsd "$T/r1.body"
contains "incoming UBL: BT-49 is the company's address (0225)" "$T/r1.body" "<cbc:EndpointID schemeID=\"0225\">$PA_SELLER</cbc:EndpointID>"
get r2 "$fid" Converted
valid "its Converted: valid CII D22B" cii-d22b/CrossIndustryInvoice_100pD22B.xsd "$T/r2.body"
get r3 "$fid" ReadableView
is "its ReadableView: a PDF" "$(head -c 5 "$T/r3.body")" "%PDF-"
api r4 GET "/flow-service/v1/flows/$fid"
is "incoming: SupplierInvoice, In, Ok" "$(jv "$T/r4.body" 'd["flowType"] + " " + d["flowDirection"] + " " + d["acknowledgement"]["status"]')" "SupplierInvoice In Ok"
deliver cii
get r5 "$fid"
valid "incoming CII: valid CII D22B" cii-d22b/CrossIndustryInvoice_100pD22B.xsd "$T/r5.body"
get r6 "$fid" Converted
valid "its Converted: valid UBL" ubl-2.1/maindoc/UBL-Invoice-2.1.xsd "$T/r6.body"
deliver facturx '"seller":"552100554"'
F_FX=$fid
get r7 "$fid"
is "incoming Factur-X: a PDF" "$(head -c 5 "$T/r7.body")" "%PDF-"
contains "... PDF/A-3 (XMP pdfaid)" "$T/r7.body" "<pdfaid:part>3</pdfaid:part>"
contains "... with the Factur-X extension schema" "$T/r7.body" "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>"
contains "... the CII as an associated file (AFRelationship Data)" "$T/r7.body" "/AFRelationship /Data"
"$EMU_PYTHON" - "$T/r7.body" "$T/r7.xml" <<'EOP'
import re, sys, zlib
data = open(sys.argv[1], "rb").read()
m = re.search(rb"/Type /EmbeddedFile[^\n]*/Length (\d+) >>\nstream\n", data)
open(sys.argv[2], "wb").write(zlib.decompress(data[m.end():m.end() + int(m.group(1))]))
EOP
valid "... whose embedded factur-x.xml is a valid CII D22B" cii-d22b/CrossIndustryInvoice_100pD22B.xsd "$T/r7.xml"
post r8 "$T/r7.body" '{"name":"fx.pdf","flowSyntax":"Factur-X","trackingId":"FX-1"}' application/pdf
F_FXOUT=$fid
deliver sample-ubl
get r9 "$fid"
valid "a tests/samples UBL adapted to the company: valid" ubl-2.1/maindoc/UBL-Invoice-2.1.xsd "$T/r9.body"
contains "... with the company's SIREN as BT-47" "$T/r9.body" "<cbc:CompanyID schemeID=\"0002\">$PA_SELLER</cbc:CompanyID>"
deliver sample-cii
get r10 "$fid"
valid "a tests/samples CII adapted: valid D22B" cii-d22b/CrossIndustryInvoice_100pD22B.xsd "$T/r10.body"
deliver xxe
get r11 "$fid"
contains "hostile incoming (XXE): delivered as is" "$T/r11.body" '<!ENTITY xxe SYSTEM "file:///etc/passwd">'
get r12 "$fid" Converted
is "... no Converted" "$code" 404
deliver billion-laughs
get r13 "$fid"
contains "hostile incoming (billion laughs)" "$T/r13.body" '<!ENTITY lol9'
deliver not-xml
get r14 "$fid"
contains "incoming that is not XML" "$T/r14.body" "pas une facture"
api r15 POST /flow-service/v1/flows/search '{"where":{"flowType":["SupplierInvoice"]},"limit":100}'
last=$(jv "$T/r15.body" 'd["results"][-1]["updatedAt"]')
first=$(jv "$T/r15.body" 'd["results"][0]["flowId"]')
deliver redeliver "\"of\":\"$first\""
api r16 POST /flow-service/v1/flows/search "{\"where\":{\"flowType\":[\"SupplierInvoice\"],\"updatedAfter\":\"$last\"}}"
is "a re-delivered flow shows again after updatedAfter, same flowId" "$(jv "$T/r16.body" '[r["flowId"] for r in d["results"]]')" "[\"$first\"]"
deliver copy "\"of\":\"$first\""
get r17 "$fid"
is "a copy: new flowId, same bytes" "$([ "$fid" != "$first" ] && sha256sum <"$T/r17.body" | cut -d' ' -f1)" \
	"$(get r18 "$first"; sha256sum <"$T/r18.body" | cut -d' ' -f1)"
TOK=$OTHER
api r19 POST /flow-service/v1/flows/search '{"where":{"flowType":["SupplierInvoice"]}}'
is "another client receives none of them" "$(jv "$T/r19.body" 'len(d["results"])')" 0
TOK=$TOK0
r=$(pa_emu POST /_emulator/incoming '{"kind":"ubl","to":"812345676"}')
case $r in *"customer's company"*) ok "delivery to a company no client has: refused" ;; *) not_ok "delivery to 812345676: $r" ;; esac
n0=$(pa_emu GET /_emulator/stats | jv /dev/stdin 'd["incoming_delivered"]')
advance 100000
is "the seed's schedule: the first delivery when the clock reaches it" \
	"$(pa_emu GET /_emulator/stats | jv /dev/stdin 'd["incoming_delivered"]')" $((n0 + 1))
is "Factur-X sent by the client: Ok" "$(ack r20 "$F_FXOUT")" Ok

# ---- Directory Service -------------------------------------------------------------------
D=/directory-service/v1
api d1 GET "$D/siren/code-insee:$PA_SELLER"
is "SIREN look-up: 200" "$code:$(jv "$T/d1.body" 'd["businessName"]')" "200:LUMIERE INFORMATIQUE SAS"
api d2 GET "$D/siren/code-insee:$PA_SELLER?fields=siren,entityType"
is "fields=siren,entityType: only those" "$(jv "$T/d2.body" 'sorted(d)')" '["entityType", "siren"]'
api d3 GET "$D/siren/code-insee:12345"
is "SIREN of 5 digits: 400 (pattern)" "$code" 400
api d4 GET "$D/siren/code-insee:999999999"
is "unknown SIREN: 404" "$code" 404
api d5 GET "$D/siret/code-insee:26330059200015?include=siren"
is "SIRET of a public entity: b2gAdditionalData and legalUnit" \
	"$(jv "$T/d5.body" 'd["legalUnit"]["entityType"] + " " + str(d["b2gAdditionalData"]["managesPaymentStatus"])')" "Public True"
api d6 GET "$D/siret/code-insee:26330059200015?fields=businessName"
is "fields outside siretField (the spec's own example has businessName): 400" "$code" 400
api d7 GET "$D/routing-code/siret:11000201100044/code:SERV-FIN-01?include=siren,siret"
is "routing code look-up: 200" "$code:$(jv "$T/d7.body" 'd["routingCodeName"]')" "200:Service financier"
api d8 GET "$D/routing-code/siret%3A11000201100044/code%3ASERV-RH-02"
is "colon written %3A: the same route" "$code:$(jv "$T/d8.body" 'd["managesLegalCommitmentCode"]')" 200:true
api d9 GET "$D/directory-line/code:$PA_SELLER"
is "directory line of a company: Enabled, WK" "$(jv "$T/d9.body" 'd["directoryLineStatus"] + " " + d["platformType"]')" "Enabled WK"
api d10 GET "$D/directory-line/code:$PA_NOT_RECEIVING"
is "company without a directory line: 404" "$code" 404
api d11 GET "$D/directory-line/code:878901230"
is "an Upcoming line read alone: Disabled (uniqueDirectoryLineStatus)" "$(jv "$T/d11.body" 'd["directoryLineStatus"]')" Disabled
api d12 GET "$D/directory-line/code:$PA_PUBLIC_BUYER?include=siren"
is "public buyer: platform DFH, Public" "$(jv "$T/d12.body" 'd["platformType"] + " " + d["legalUnit"]["entityType"]')" "DFH Public"
api d13 GET "$D/directory-line/code:845678903_FACTURES"
is "suffix line" "$(jv "$T/d13.body" 'd["addressingSuffix"]')" FACTURES
api d14 POST "$D/siren/search" '{"filters":{"entityType":{"op":"strict","value":"Public"}},"sorting":[{"field":"siren","order":"ascending"}],"limit":2}'
is "SIREN search: total, first page sorted" "$(jv "$T/d14.body" 'str(d["totalNumberOfResults"]) + " " + ",".join(r["siren"] for r in d["results"])')" "4 110002011,217500016"
api d15 POST "$D/siren/search" '{"filters":{"entityType":{"op":"strict","value":"Public"}},"sorting":[{"field":"siren","order":"ascending"}],"limit":2,"ignore":2}'
is "ignore: the next page" "$(jv "$T/d15.body" '",".join(r["siren"] for r in d["results"])')" "217500198,263300592"
api d16 POST "$D/siret/search" '{"filters":{"name":{"op":"contains","value":"durand"}},"include":["siren"]}'
is "SIRET search contains (case-insensitive)" "$(jv "$T/d16.body" 'd["totalNumberOfResults"]')" 2
api d17 POST "$D/directory-line/search" '{"filters":{"siren":{"op":"strict","value":"110002011"}},"include":["routingCode"]}'
is "directory-line search with the routing codes" "$(jv "$T/d17.body" 'sorted(r["routingCode"]["routingIdentifier"] for r in d["results"])')" '["SERV-FIN-01", "SERV-RH-02"]'
api d18 POST "$D/routing-code/search" '{"filters":{"routingIdentifier":{"op":"contains","value":"serv"}}}'
is "routing-code search" "$(jv "$T/d18.body" 'd["totalNumberOfResults"]')" 2
api d19 POST "$D/siren/search" '{"filters":{"vat":{"op":"strict","value":"x"}}}'
is "unknown filter: 400 UNKNOWN_FIELD" "$code:$(jv "$T/d19.body" 'd["errorCode"]')" 400:UNKNOWN_FIELD
api d20 POST "$D/siren/search" '{"filters":{"entityType":{"op":"contains","value":"Public"}}}'
is "an operator the filter does not allow: 400" "$code" 400
pa_emu POST /_emulator/directory '{"addressingIdentifier":"812345676","status":"Disabled"}' >/dev/null
api d21 GET "$D/directory-line/code:$PA_BUYER"
is "admin: a line switched off" "$(jv "$T/d21.body" 'd["directoryLineStatus"]')" Disabled
lc L-OFF ubl "$PA_BUYER"
advance
advance
is "an invoice to it: 213 REJ_ADR" "$(reasons L-OFF)" REJ_ADR
pa_emu POST /_emulator/directory '{"addressingIdentifier":"812345676","status":null}' >/dev/null

# ---- faults ------------------------------------------------------------------------------
fault() { pa_emu POST /_emulator/faults "$1" >"$T/fault.json"; }
fault '{"status": {"code": 503, "count": 1, "route": "/flow-service/"}}'
api f1 GET /flow-service/v1/healthcheck
api f2 GET /flow-service/v1/healthcheck
is "status 503 once, then served" "$(jv "$T/f1.body" 'd["errorCode"]') $code" "RESOURCE_ERROR 200"
pa_invoice "$T/f.xml" ubl FAULT-1
n0=$(pa_emu GET /_emulator/received | jv /dev/stdin 'len(d)')
fault '{"lose_response": {"count": 1, "route": "/flow-service/v1/flows"}}'
post f3 "$T/f.xml" "$(info f.xml UBL FT-1)"
case $rc in 52 | 56) ok "lose_response: no answer (curl $rc)" ;; *) not_ok "lose_response: curl exit $rc, HTTP $code" ;; esac
pa_emu GET /_emulator/received >"$T/rec2.json"
is "... but the flow was recorded, answered false" "$(jv "$T/rec2.json" 'str(len(d)) + " " + d[-1]["trackingId"] + " " + str(d[-1]["answered"])')" "$((n0 + 1)) FT-1 False"
api f4 POST /flow-service/v1/flows/search '{"where":{"trackingId":"FT-1"}}'
is "... and a search by trackingId finds it" "$(jv "$T/f4.body" 'len(d["results"])')" 1
fault '{"status": {"code": 502, "process": true, "count": 1, "route": "/flow-service/v1/flows"}}'
post f5 "$T/f.xml" "$(info f.xml UBL FT-2)"
is "status with process: 502 after recording" "$code $(pa_emu GET /_emulator/received | jv /dev/stdin 'd[-1]["trackingId"]')" "502 FT-2"
fault '{"reset": {"count": 1}}'
api f6 GET /flow-service/v1/healthcheck
is "reset: connection reset (curl 56)" "$rc" 56
fault '{"rate_limit": {"retry_after": 7, "count": 1}}'
api f7 GET /flow-service/v1/healthcheck
is "rate_limit: 429" "$code:$(jv "$T/f7.body" 'd["errorCode"]')" 429:TOO_MANY_REQUESTS
contains "... with Retry-After" "$T/f7.hdr" "Retry-After: 7"
fault '{"slow_ms": {"ms": 300, "count": 1}}'
api f8 GET /flow-service/v1/healthcheck
is "slow_ms: answered" "$code $(pa_emu GET /_emulator/faults | jv /dev/stdin 'd["slow_ms"]["applied"]')" "200 1"
fault '{"paging": {"count": 1}}'
api f9 POST /flow-service/v1/flows/search '{"where":{"flowDirection":["Out"]},"limit":5}'
c=$(jv "$T/f9.body" 'd["nextCursor"]')
is "paging fault: the first page is served" "$code" 200
api f10 POST /flow-service/v1/flows/search "{\"where\":{\"flowDirection\":[\"Out\"]},\"limit\":5,\"cursor\":\"$c\"}"
is "... the second fails 503" "$code" 503
api f11 POST /flow-service/v1/flows/search "{\"where\":{\"flowDirection\":[\"Out\"]},\"limit\":5,\"cursor\":\"$c\"}"
is "... and served when asked again" "$code" 200
fault '{"truncate_download": {"count": 1}}'
get f12 "$F_OK"
case $rc:$(($(wc -c <"$T/f12.body") < $(wc -c <"$T/ok.xml"))) in
18:1 | 56:1) ok "truncate_download: a partial body (curl $rc)" ;;
*) not_ok "truncate_download: curl exit $rc, $(wc -c <"$T/f12.body") bytes" ;;
esac
get f13 "$F_OK"
is "... then whole" "$(sha256sum <"$T/f13.body" | cut -d' ' -f1)" "$sha"
fault '{"visibility_lag": {"ms": 3600000}}'
post f14 "$T/f.xml" "$(info f.xml UBL FT-3)"
api f15 POST /flow-service/v1/flows/search '{"where":{"trackingId":"FT-3"}}'
is "visibility_lag: a new flow is not yet in search results" "$(jv "$T/f15.body" 'len(d["results"])')" 0
fault '{}'
api f16 POST /flow-service/v1/flows/search '{"where":{"trackingId":"FT-3"}}'
is "... then it is" "$(jv "$T/f16.body" 'len(d["results"])')" 1
fault '{"expire_tokens": true}'
api f17 GET /flow-service/v1/healthcheck
is "expire_tokens: 401 EXPIRED_TOKEN" "$code:$(jv "$T/f17.body" 'd["errorCode"]')" 401:EXPIRED_TOKEN
contains "... WWW-Authenticate says why" "$T/f17.hdr" 'error_description="The access token expired"'
TOK=$(token "$PA_CUST" "$PA_CLIENT" "$PA_SECRET")
fault '{"revoke_tokens": true}'
api f18 GET /flow-service/v1/healthcheck
contains "revoke_tokens: 401, revoked" "$T/f18.hdr" 'error_description="The access token was revoked"'
TOK=$(token "$PA_CUST" "$PA_CLIENT" "$PA_SECRET")
fault '{"random": {"seed": 1, "probabilities": {"status": 1.0}, "count": 2, "status_codes": [500]}}'
api f19 GET /flow-service/v1/healthcheck
c1=$code
api f20 GET /flow-service/v1/healthcheck
c2=$code
api f21 GET /flow-service/v1/healthcheck
is "random: two faults drawn, then none" "$c1 $c2 $code" "500 500 200"
r=$(pa_emu POST /_emulator/faults '{"statuz": {}}')
case $r in *"unknown fault statuz"*) ok "an unknown fault: refused with the list" ;; *) not_ok "unknown fault: $r" ;; esac
fault '{}'

# ---- the emulator's own conformance -------------------------------------------------------
pa_emu GET /_emulator/stats >"$T/stats.json"
is "every JSON answer conformed to the OpenAPI response schemas" "$(jv "$T/stats.json" 'd["response_schema_violations"]')" 0
grep "does not conform" "$PA_DIR/log" | head -5 | sed 's/^/#   | /'
is "every CDAR it wrote passed its own XSD and BR-FR-CDV checks" "$(jv "$T/stats.json" 'd["emitted_cdar_violations"]')" 0
grep "written by the emulator breaks" "$PA_DIR/log" | head -5 | sed 's/^/#   | /'
lacks "no internal error logged" "$PA_DIR/log" "internal error"
printf '{"companies": [{"siren": "123456789"}]}' >"$T/bad-seed.json"
"$EMU_PYTHON" "$top_srcdir/tests/emulator/pa-emulator" --state "$T/bad" --data "$T/bad-seed.json" 2>"$T/bad.err"
is "a bad seed: exit 1" "$?" 1
contains "... with the reason" "$T/bad.err" "valid Luhn key"
no_secrets "no secret in the emulator's log" "$PA_DIR/log"
done_testing
