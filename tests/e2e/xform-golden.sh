#!/bin/sh
# `chorusgw transform` on every ERP export (xslt/examples, tests/xslt/input) in both
# syntaxes gives exactly the golden files xsltproc gives (tests/xslt/golden), and each
# output validates against its XSD (xmllint, independently of chorusgw). `chorusgw
# validate` then says every example can be sent, with its attachments embedded from
# [transform] attachment_dir, and the embedded output still validates.
. "$top_srcdir/tests/lib.sh"

xsd_of() { # FILE -> the schema for its root
	case $(head -c 400 "$1") in
	*"<CreditNote "*) echo "$top_srcdir/schemas/ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd" ;;
	*"<Invoice "*) echo "$top_srcdir/schemas/ubl-2.1/maindoc/UBL-Invoice-2.1.xsd" ;;
	*) echo "$top_srcdir/schemas/cii-d16b/uncefact/data/standard/CrossIndustryInvoice_100pD16B.xsd" ;;
	esac
}
have_xmllint=1
command -v xmllint >/dev/null 2>&1 || have_xmllint=0

# the files invoice-engagement.xml attaches
mkdir "$T/att"
printf '%%PDF-1.4\n%% attestation\n' >"$T/att/attestation-service-fait-2025-02.pdf"
printf 'date;commande;montant\n2025-02-03;C-1;120.00\n' >"$T/att/releve-commandes-2025-02.csv"

for input in "$top_srcdir"/xslt/examples/*.xml "$top_srcdir"/xslt/examples/pa/*.xml "$top_srcdir"/tests/xslt/input/*.xml; do
	name=$(basename "$input" .xml)
	# a config per export: its .params become its supplier's [supplier.SIRET] section
	supplier=""
	params=${input%.xml}.params
	if [ -f "$params" ]; then
		siret=$(grep -o '<siret>[0-9]*' "$input" | head -1 | tr -dc 0-9) # the supplier's
		supplier="[supplier.$siret]"
		while IFS='=' read -r k v; do
			case $k in
			supplier_iban) supplier="$supplier
iban = $v" ;;
			supplier_bic) supplier="$supplier
bic = $v" ;;
			supplier_iban_name) supplier="$supplier
iban_name = $v" ;;
			default_cadre) supplier="$supplier
cadre = $v" ;;
			esac
		done <"$params"
	fi
	for syntax in ubl cii; do
		conf=$T/$name.$syntax.ini
		write_private "$conf" <<EOF
[transform]
stylesheet_dir = $top_srcdir/xslt
schema_dir = $top_srcdir/schemas
[chorus]
syntax = $syntax
$supplier
EOF
		out=$T/$name.$syntax.xml
		run_gw "t-$name.$syntax" -c "$conf" transform "$input"
		cp "$T/t-$name.$syntax.out" "$out"
		is "$name: transform to $syntax exits 0" "$rc" 0
		if cmp -s "$out" "$top_srcdir/tests/xslt/golden/$name.$syntax.xml"; then
			ok "$name: $syntax output is byte for byte the golden file"
		else
			not_ok "$name: $syntax output is byte for byte the golden file"
			diff -u "$top_srcdir/tests/xslt/golden/$name.$syntax.xml" "$out" | head -20 |
				sed 's/^/#   /'
		fi
		if [ $have_xmllint = 1 ]; then
			check "$name: $syntax output validates (xmllint)" \
				xmllint --nonet --noout --schema "$(xsd_of "$out")" "$out" 2>"$T/xmllint.err"
		fi

		# validate, with the attachments at hand
		echo "attachment_dir = $T/att" >"$T/att.ini"
		sed "/^\[transform\]/r $T/att.ini" "$conf" >"$conf.att"
		chmod 600 "$conf.att"
		run_gw "v-$name.$syntax" -c "$conf.att" validate "$input"
		if [ "$name" = reverse-charge ]; then
			# a subcontractor's invoice (cadre A9): its validator cannot be placed yet
			is "$name: validate ($syntax): cadre A9 cannot be sent" "$rc" 4
			contains "$name: validate ($syntax): for that alone" "$T/v-$name.$syntax.out" \
				"cannot be sent to Chorus Pro: 1 error, 0 warnings"
			contains "$name: validate ($syntax): rule CADRE-PARTY" "$T/v-$name.$syntax.out" \
				'"A9": cadre A9 (a subcontractor'"'"'s invoice) needs its validator'
			continue
		fi
		is "$name: validate ($syntax) says it can be sent" "$rc" 0
		[ "$rc" = 0 ] || sed 's/^/#   /' "$T/v-$name.$syntax.out" | head -10
		contains "$name: validate ($syntax) prints the verdict" "$T/v-$name.$syntax.out" \
			"can be sent to Chorus Pro"
	done
done

# the embedded attachments keep the document valid
for syntax in ubl cii; do
	conf=$T/invoice-engagement.$syntax.ini.att
	run_gw "emb-$syntax" -c "$conf" transform "$top_srcdir/xslt/examples/invoice-engagement.xml"
	is "attachments embedded ($syntax): exit 0" "$rc" 0
	if [ "$syntax" = ubl ]; then
		contains "UBL: EmbeddedDocumentBinaryObject with type and name" "$T/emb-$syntax.out" \
			'<cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="attestation-service-fait-2025-02.pdf">JVBERi0xLjQKJSBhdHRlc3RhdGlvbgo=</cbc:EmbeddedDocumentBinaryObject>'
	else
		contains "CII: AttachmentBinaryObject with type and name" "$T/emb-$syntax.out" \
			'<ram:AttachmentBinaryObject mimeCode="text/csv" filename="releve-commandes-2025-02.csv">'
	fi
	if [ $have_xmllint = 1 ]; then
		cp "$T/emb-$syntax.out" "$T/emb-$syntax.xml"
		check "attachments embedded ($syntax): still valid (xmllint)" \
			xmllint --nonet --noout --schema "$(xsd_of "$T/emb-$syntax.xml")" "$T/emb-$syntax.xml" 2>/dev/null
	fi
done

# issue #13: lengths count characters, not bytes. An attachment named with 49 accented
# characters (94 bytes) and a supplier name of 99 (198 bytes) pass the schema and the
# pre-flight without a warning; one character more is refused (attachment) or warned
# (name).
e99=$(printf '\303\251%.0s' $(seq 99))
e45=$(printf '\303\251%.0s' $(seq 45))
cp "$T/att/attestation-service-fait-2025-02.pdf" "$T/att/$e45.pdf"
cp "$T/att/attestation-service-fait-2025-02.pdf" "$T/att/${e45}ab.pdf"
sed -e "s|<file>attestation-service-fait-2025-02.pdf|<file>$e45.pdf|" \
	-e "s|<name>Maison Berthier Traiteur SARL|<name>$e99|" \
	"$top_srcdir/xslt/examples/invoice-engagement.xml" >"$T/long.xml"
for syntax in ubl cii; do
	run_gw "long-$syntax" -c "$T/invoice-engagement.$syntax.ini.att" validate "$T/long.xml"
	is "49 accented characters in a file name, 99 in a name ($syntax): can be sent" "$rc" 0
	# CII-SR-475/476: the CEN artefacts warn on any CII with two supporting documents
	grep -v '(rule CII-SR-47[56])' "$T/long-$syntax.out" >"$T/long-$syntax.rest"
	lacks "no warning about the 99 characters ($syntax)" "$T/long-$syntax.rest" "warning:"
done
sed "s|<file>$e45.pdf|<file>${e45}ab.pdf|" "$T/long.xml" >"$T/longer.xml"
run_gw longer -c "$T/invoice-engagement.ubl.ini.att" validate "$T/longer.xml"
is "51 characters in a file name: refused" "$rc" 4
sed "s|<name>$e99|<name>${e99}x|" "$T/long.xml" >"$T/longer-name.xml"
run_gw longer-name -c "$T/invoice-engagement.ubl.ini.att" validate "$T/longer-name.xml"
is "100 characters in a name: refused by the schema (99 is its limit)" "$rc" 4

# without the attachments at hand, the pre-flight refuses the references
run_gw noatt -c "$T/invoice-engagement.ubl.ini" validate "$top_srcdir/xslt/examples/invoice-engagement.xml"
is "attachments without content: cannot be sent" "$rc" 4
contains "attachments without content: says why" "$T/noatt.out" \
	"a supporting document without its content; Chorus Pro refuses it (rule ATTACHMENT)"
rm "$T/att/releve-commandes-2025-02.csv"
run_gw missing -c "$T/invoice-engagement.ubl.ini.att" validate "$top_srcdir/xslt/examples/invoice-engagement.xml"
is "attachment file missing: cannot be sent" "$rc" 4
contains "attachment file missing: names it" "$T/missing.out" \
	"attachment releve-commandes-2025-02.csv cannot be embedded from [transform] attachment_dir"
ln -s /etc/hostname "$T/att/releve-commandes-2025-02.csv"
run_gw symlink -c "$T/invoice-engagement.ubl.ini.att" transform "$top_srcdir/xslt/examples/invoice-engagement.xml"
is "attachment as a symbolic link: refused" "$rc" 4

# no configuration file: not an error, the installed paths apply (here, in the build
# tree, nothing is installed: the stylesheet is what is missing, a set-up error)
run_gw noconf -c "$T/none.ini" transform "$top_srcdir/xslt/examples/invoice-simple.xml"
lacks "no configuration file: not required" "$T/noconf.err" "cannot read the configuration"
contains "no configuration file: the installed stylesheet is looked for" "$T/noconf.err" \
	"/xslt/erp-to-ubl.xsl"
is "a missing stylesheet is a set-up error: 3" "$rc" 3
done_testing
