#!/bin/sh
# Hostile input to `chorusgw transform` and `validate`: XXE to a local file, external
# DTDs, billion laughs, 10 000-deep nesting, a 200 MB file, invalid UTF-8, not XML at
# all, and [map.NAME] stylesheets that try to read or write files or the network.
# Each is refused with a one-line reason (exit 4), quickly, without a crash, and
# without reading anything outside the document: the secret file's content never
# appears in any output, and no file appears where a stylesheet tried to write.
. "$top_srcdir/tests/lib.sh"

secret=$T/secret
echo "TOPSECRET-7f3a91" >"$secret"
mkdir "$T/out"
write_private "$T/c.ini" <<EOF
[transform]
stylesheet_dir = $top_srcdir/xslt
schema_dir = $top_srcdir/schemas
EOF

# refused NAME FILE REASON : validate and transform both exit 4 with REASON, and the
# secret appears nowhere
refused() {
	_name=$1 _file=$2 _reason=$3
	run_gw "$_name.v" -c "$T/c.ini" validate "$_file"
	is "$_name: validate refuses (4)" "$rc" 4
	contains "$_name: validate says why" "$T/$_name.v.out" "$_reason"
	run_gw "$_name.t" -c "$T/c.ini" transform "$_file"
	is "$_name: transform refuses (4)" "$rc" 4
	contains "$_name: transform says why" "$T/$_name.t.err" "$_reason"
	if [ -s "$T/$_name.t.out" ]; then not_ok "$_name: transform prints nothing on stdout"; fi
	if cat "$T/$_name".* | grep -q TOPSECRET; then
		not_ok "$_name: the secret file leaked into the output"
	else
		ok "$_name: nothing outside the document was read"
	fi
}

cat >"$T/xxe.xml" <<EOF
<?xml version="1.0"?>
<!DOCTYPE invoice [<!ENTITY xxe SYSTEM "file://$secret">]>
<invoice xmlns="urn:chorusgw:erp:1"><number>&xxe;</number></invoice>
EOF
refused xxe "$T/xxe.xml" "the document has a DOCTYPE declaration"

cat >"$T/xxe-param.xml" <<EOF
<?xml version="1.0"?>
<!DOCTYPE invoice [<!ENTITY % p SYSTEM "file://$secret"> %p;]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>
EOF
refused xxe-param "$T/xxe-param.xml" "DOCTYPE"

cat >"$T/dtd.xml" <<EOF
<?xml version="1.0"?>
<!DOCTYPE Invoice SYSTEM "file://$secret">
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>
EOF
refused external-dtd "$T/dtd.xml" "DOCTYPE"

cat >"$T/net.xml" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE Invoice SYSTEM "http://127.0.0.1:9/evil.dtd">
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>
EOF
refused network-dtd "$T/net.xml" "DOCTYPE"

# XInclude is never processed: the element is just an unknown element of the export
cat >"$T/xinclude.xml" <<EOF
<?xml version="1.0"?>
<invoice xmlns="urn:chorusgw:erp:1" xmlns:xi="http://www.w3.org/2001/XInclude">
<xi:include href="file://$secret" parse="text"/></invoice>
EOF
refused xinclude "$T/xinclude.xml" "XInclude}include': This element is not expected"

cat >"$T/lol.xml" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>
EOF
refused billion-laughs "$T/lol.xml" "DOCTYPE"

awk 'BEGIN { for (i = 0; i < 10000; i++) printf "<a>"; for (i = 0; i < 10000; i++) printf "</a>"; print "" }' >"$T/deep.xml"
refused deep "$T/deep.xml" "elements nested more than 256 deep ([transform] max_depth)"
# even at the largest max_depth the parser holds; the document is then unknown
cp "$T/c.ini" "$T/deep.ini"
printf 'max_depth = 10000\n' >>"$T/deep.ini"
run_gw deep10k -c "$T/deep.ini" validate "$T/deep.xml"
is "10 000 deep with max_depth = 10000: parsed, then refused as unknown (4)" "$rc" 4
contains "10 000 deep: unknown root" "$T/deep10k.out" "the root element a is not an invoice"
awk 'BEGIN { for (i = 0; i < 10001; i++) printf "<a>"; for (i = 0; i < 10001; i++) printf "</a>"; print "" }' >"$T/deep1.xml"
run_gw deep10k1 -c "$T/deep.ini" validate "$T/deep1.xml"
contains "10 001 deep with max_depth = 10000: refused" "$T/deep10k1.out" "nested more than 10000 deep"

# 200 MB, written as a stream; refused from its size, without being read
{
	echo '<?xml version="1.0"?><invoice xmlns="urn:chorusgw:erp:1"><note>'
	yes 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' |
		head -c 209715200
	echo '</note></invoice>'
} >"$T/big.xml"
refused big "$T/big.xml" "larger than the limit of 10485760 bytes"
rm -f "$T/big.xml"

printf '<?xml version="1.0"?>\n<invoice xmlns="urn:chorusgw:erp:1"><number>F\303\050</number></invoice>\n' >"$T/utf8.xml"
refused bad-utf8 "$T/utf8.xml" "invalid UTF-8 at line 2"
printf '<?xml version="1.0" encoding="UTF-8"?>\n<a>\300\257</a>\n' >"$T/overlong.xml"
refused overlong-utf8 "$T/overlong.xml" "invalid UTF-8"
printf '<a>caf\351</a>\n' >"$T/latin1.xml"
refused undeclared-latin1 "$T/latin1.xml" "invalid UTF-8 at line 1 (byte 7)"

printf '%%PDF-1.7\n%%\342\343\317\323\n1 0 obj\n' >"$T/pdf.xml"
refused pdf "$T/pdf.xml" "not XML: it does not start with '<'"
: >"$T/empty.xml"
refused empty "$T/empty.xml" "empty file"
head -c 4096 /dev/urandom >"$T/random.xml" 2>/dev/null || printf '\001\002\003' >"$T/random.xml"
run_gw random -c "$T/c.ini" validate "$T/random.xml"
is "random bytes: refused (4)" "$rc" 4
printf '<invoice xmlns="urn:chorusgw:erp:1"><number>1</number>' >"$T/truncated.xml"
refused truncated "$T/truncated.xml" "not well-formed XML: line 1"

# [map.NAME] stylesheets that try to escape
echo '<x/>' >"$T/input.xml"
map() { # NAME XSL-BODY [VERSION] : a config whose map sends <x/> through the stylesheet
	cat >"$T/$1.xsl" <<EOF
<xsl:stylesheet version="${3:-1.0}" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:exsl="http://exslt.org/common" extension-element-prefixes="exsl"
  xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">
  <xsl:template match="/">$2</xsl:template>
</xsl:stylesheet>
EOF
	write_private "$T/$1.ini" <<EOF
[transform]
stylesheet_dir = $top_srcdir/xslt
schema_dir = $top_srcdir/schemas
[map.$1]
root = x
stylesheet = $T/$1.xsl
EOF
}
escape() { # NAME REASON
	run_gw "$1" -c "$T/$1.ini" transform "$T/input.xml"
	is "map $1: refused (4)" "$rc" 4
	contains "map $1: says why" "$T/$1.err" "$2"
	if grep -q TOPSECRET "$T/$1.out" "$T/$1.err"; then not_ok "map $1: the secret leaked"
	else ok "map $1: the secret was not read"; fi
}
map read "<Invoice><xsl:value-of select=\"document('file://$secret')\"/></Invoice>"
escape read "tried reading the file $secret, which is refused"
map readrel "<Invoice><xsl:value-of select=\"document('secret')\"/></Invoice>"
escape readrel "tried reading the file"
map net "<Invoice><xsl:copy-of select=\"document('http://127.0.0.1:9/x.xml')\"/></Invoice>"
escape net "tried reading from the network http://127.0.0.1:9/x.xml"
map exsl "<exsl:document href=\"$T/out/exsl.txt\" method=\"text\">pwned</exsl:document><Invoice/>"
escape exsl "tried writing the file $T/out/exsl.txt"
map xsldoc "<xsl:document href=\"$T/out/xsldoc.txt\" method=\"text\">pwned</xsl:document><Invoice/>" 1.1
escape xsldoc "tried writing the file $T/out/xsldoc.txt"
map mkdir "<exsl:document href=\"$T/out/newdir/f.txt\" method=\"text\">pwned</exsl:document><Invoice/>"
escape mkdir "which is refused"
# XSLT 2.0's xsl:result-document: libxslt is XSLT 1.0 (and 1.1), so a 2.0 stylesheet
# is refused as it is compiled: a configuration error (3), and nothing is written
map resdoc "<xsl:result-document href=\"$T/out/resdoc.txt\">pwned</xsl:result-document><Invoice/>" 2.0
run_gw resdoc -c "$T/resdoc.ini" validate "$T/input.xml"
is "map xsl:result-document (XSLT 2.0): a configuration error (3)" "$rc" 3
contains "map xsl:result-document: says why" "$T/resdoc.out" "only 1.1 features are supported"
n=$(find "$T/out" -type f -o -type d -newer "$T/secret" | grep -vc "^$T/out\$")
is "no stylesheet wrote or created anything" "$n" 0
done_testing
