#!/bin/sh
# Every kind of bad configuration gets one line naming the file, the line or section,
# the key and the fix, and exit code 3; a good one is printed with secrets masked.
. "$top_srcdir/tests/lib.sh"

mkdir "$T/spool"
printf 'the-client-secret-42\n' | write_private "$T/client_secret"
printf 'the-tech-password-42\n' | write_private "$T/tech_password"

good() {
	cat <<EOC
[spool]
dir = $T/spool

[chorus]
client_id = my-piste-app
client_secret_file = $T/client_secret
tech_login = TECH_1_demo@cpro.fr
tech_password_file = $T/tech_password
EOC
}

# bad NAME EXPECTED-LINE-FRAGMENT : run check-config on $T/NAME.ini
bad() {
	run_gw "$1" -c "$T/$1.ini" check-config
	is "$1: exit code 3" "$rc" 3
	contains "$1: message" "$T/$1.err" "$2"
	# one line per problem, each prefixed
	if grep -qv '^chorusgw: ' "$T/$1.err"; then not_ok "$1: only chorusgw: lines"; else ok "$1: only chorusgw: lines"; fi
}

good | write_private "$T/ok.ini"
run_gw init -c "$T/ok.ini" check-config --init
is "check-config --init makes the spool" "$rc" 0
run_gw ok -c "$T/ok.ini" check-config
is "good config: exit 0" "$rc" 0
contains "good config: effective config printed" "$T/ok.out" "dir = $T/spool"
contains "good config: defaults marked" "$T/ok.out" "settle = 5s  ; default"
contains "good config: secret masked with its origin" "$T/ok.out" "client_secret = ********  ; file"
lacks "good config: client secret not shown" "$T/ok.out" "the-client-secret-42"
lacks "good config: tech password not shown" "$T/ok.out" "the-tech-password-42"
contains "good config: qualification URL by default" "$T/ok.out" "api_url = https://sandbox-api.piste.gouv.fr"

{ good; printf 'colour = blue\n'; } | write_private "$T/unknown.ini"
bad unknown "$T/unknown.ini:9: [chorus] colour: unknown key; see chorusgw.ini(5)"

sed 's/^dir = .*/&\nsettle = soon/' "$T/ok.ini" | write_private "$T/type.ini"
bad type "$T/type.ini:3: [spool] settle: \"soon\" is not valid; write a duration such as 250ms"

sed 's/^dir = .*/&\nrescan = 0s/' "$T/ok.ini" | write_private "$T/range.ini"
bad range "$T/range.ini:3: [spool] rescan: 0s is out of range; use 1s to 1d"

sed 's/^dir = .*/&\njson_receipts = maybe/' "$T/ok.ini" | write_private "$T/bool.ini"
bad bool "$T/bool.ini:3: [spool] json_receipts: \"maybe\" is not yes/no; write yes or no"

sed '/^client_id/d' "$T/ok.ini" | write_private "$T/missing.ini"
bad missing "$T/missing.ini: [chorus] client_id: missing; add it under [chorus]"

sed "s|^client_secret_file = .*|client_secret_file = $T/nope|" "$T/ok.ini" | write_private "$T/nosecret.ini"
bad nosecret "[chorus] client_secret_file: cannot read secret file $T/nope: No such file or directory"

chmod 644 "$T/tech_password"
cp "$T/ok.ini" "$T/secretmode.ini"
bad secretmode "[chorus] tech_password: secret file $T/tech_password is readable by group or others (mode 0644); run chmod 600 $T/tech_password"
chmod 600 "$T/tech_password"

sed 's|^client_id.*|&\napi_url = http://chorus.example.org/|' "$T/ok.ini" | write_private "$T/http.ini"
bad http "$T/http.ini:6: [chorus] api_url: plain http:// to chorus.example.org would send the credentials in clear; use https://"

sed 's|^client_id.*|&\napi_url = http://127.0.0.1:9999|' "$T/ok.ini" | write_private "$T/loop.ini"
run_gw loop -c "$T/loop.ini" check-config
is "http:// to loopback accepted" "$rc" 0

sed 's|^client_secret_file = .*|client_secret = inline-secret-99|' "$T/ok.ini" >"$T/inline.ini"
chmod 640 "$T/inline.ini"
bad inline "$T/inline.ini:6: [chorus] client_secret: the file holds this secret but is readable by group or others (mode 0640); run chmod 600 $T/inline.ini"
lacks "inline: secret not echoed in the error" "$T/inline.err" "inline-secret-99"
chmod 600 "$T/inline.ini"
run_gw inline2 -c "$T/inline.ini" check-config
is "inline secret in a private file: accepted" "$rc" 0
lacks "inline secret: masked in output" "$T/inline2.out" "inline-secret-99"

sed 's|^client_secret_file = .*|&\nclient_secret = both|' "$T/ok.ini" | write_private "$T/both.ini"
bad both "[chorus] client_secret: set both inline and as client_secret_file; keep only client_secret_file"

{ good; printf '[supplier.12345678901234]\niban = FR7630006000011234567890189\n'; } | write_private "$T/siret.ini"
bad siret "[supplier.12345678901234]: \"12345678901234\" is not a valid SIRET"

{ good; printf '[supplier.73282932000074]\niban = FR7630006000011234567890188\n'; } | write_private "$T/iban.ini"
bad iban "$T/iban.ini:10: [supplier.73282932000074] iban: \"FR7630006000011234567890188\" is not a valid IBAN"

{ good; printf '[chorus]\nmode = prod\n'; } | write_private "$T/enum.ini"
bad enum "[chorus] mode: \"prod\" is not one of: qualification, production"

printf '[spool\ndir=/x\n' | write_private "$T/syntax.ini"
bad syntax "$T/syntax.ini:1: section header without ']'"

# ---- [pa] ----
printf 'the-pa-secret-42\n' | write_private "$T/pa_secret"
pa_good() {
	good
	cat <<EOC

[pa]
url = https://api.flow.pa.example/flow-service
directory_url = https://api.directory.pa.example/directory-service
token_url = https://auth.pa.example/auth-service/acme/token
client_id = acme-pa
client_secret_file = $T/pa_secret
EOC
}
pa_good | write_private "$T/pa.ini"
run_gw pa -c "$T/pa.ini" check-config
is "[pa]: a good section, exit 0" "$rc" 0
contains "[pa]: printed" "$T/pa.out" "url = https://api.flow.pa.example/flow-service"
contains "[pa]: its secret masked with its origin" "$T/pa.out" "client_secret = ********  ; file"
lacks "[pa]: secret not shown" "$T/pa.out" "the-pa-secret-42"
pa_good | sed '/^directory_url/d' | write_private "$T/pamissing.ini"
bad pamissing "[pa] directory_url: missing; talking to the PA needs it"
pa_good | sed '/^client_secret_file/d' | write_private "$T/panosecret.ini"
bad panosecret "[pa] client_secret: missing; set client_secret_file"
pa_good | sed 's|^url = .*|url = http://api.flow.pa.example/flow-service|' | write_private "$T/pahttp.ini"
bad pahttp "[pa] url: plain http:// to api.flow.pa.example would send the credentials in clear"
chmod 644 "$T/pa_secret"
cp "$T/pa.ini" "$T/pamode.ini"
bad pamode "[pa] client_secret: secret file $T/pa_secret is readable by group or others"
chmod 600 "$T/pa_secret"
{ pa_good; printf 'flavour = vanilla\n'; } | write_private "$T/pakey.ini"
bad pakey "[pa] flavour: unknown key"
mkdir "$T/pacreds"
printf 'cred-pa-secret-77' >"$T/pacreds/pa_client_secret"
sed '/^client_secret_file = .*pa_secret/d' "$T/pa.ini" | write_private "$T/pacred.ini"
CREDENTIALS_DIRECTORY="$T/pacreds" "$CHORUSGW" -c "$T/pacred.ini" check-config >"$T/pacred.out" 2>"$T/pacred.err"
is "[pa]: the systemd credential pa_client_secret: accepted" "$?" 0
lacks "[pa]: credential not shown" "$T/pacred.out" "cred-pa-secret-77"

# systemd credentials replace the *_file keys
mkdir "$T/creds"
printf 'cred-secret-77' >"$T/creds/client_secret"
printf 'cred-password-77' >"$T/creds/tech_password"
sed '/_file = /d' "$T/ok.ini" | write_private "$T/creds.ini"
CREDENTIALS_DIRECTORY="$T/creds" "$CHORUSGW" -c "$T/creds.ini" check-config >"$T/creds.out" 2>"$T/creds.err"
is "credentials directory: accepted" "$?" 0
contains "credentials directory: origin shown" "$T/creds.out" "client_secret = ********  ; systemd credential"
lacks "credentials directory: secret not shown" "$T/creds.out" "cred-secret-77"
done_testing
