/* Unit tests of conf.c: defaults, every value type, per-supplier and map sections,
 * secrets from files and from $CREDENTIALS_DIRECTORY. The command-line view of the
 * same errors (message + exit code) is tests/e2e/config-errors.sh. */
#include "config.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "fileio.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/chorusgw-conf-XXXXXX";

static char *
write_conf(const char *name, const char *text, mode_t mode)
{
	char *p = xasprintf("%s/%s", dir, name);
	unlink(p);
	if (write_file_atomic(NULL, p, text, strlen(text), mode, 0, NULL) == -1)
		abort();
	return p;
}

static struct conf *
load(const char *text, unsigned flags, char **why)
{
	char *p = write_conf("c.ini", text, 0600);
	struct conf *c;
	free(*why);
	*why = NULL;
	c = conf_load(p, flags, why);
	free(p);
	return c;
}

int
main(void)
{
	struct conf *c;
	char *why = NULL, *p;

	if (mkdtemp(dir) == NULL)
		return 1;
	unsetenv("CREDENTIALS_DIRECTORY");

	c = load("[spool]\ndir = /var/spool/chorusgw\n", CONF_NEED_SPOOL, &why);
	ok(c != NULL, "minimal spool config loads: %s", why ? why : "");
	if (c) {
		is_int(c->settle_ms, 5000, "settle default 5s");
		is_int(c->rescan_ms, 30000, "rescan default 30s");
		is_int(c->max_size, 10 * 1024 * 1024, "max_size default 10M");
		is_int(c->mode, MODE_QUALIFICATION, "mode default qualification");
		is_str(c->token_url, PISTE_TOKEN_URL_QUALIF, "qualification token URL");
		is_str(c->api_url, PISTE_API_URL_QUALIF, "qualification API URL");
		is_str(c->siret_scheme, "0009", "siret_scheme default");
		is_int(c->file_mode, 0640, "file_mode default");
		ok(c->ignore_list && c->ignore_list[0] == NULL, "empty ignore list");
		conf_free(c);
	}

	c = load("[chorus]\nmode = production\n", 0, &why);
	ok(c && strcmp(c->token_url, PISTE_TOKEN_URL_PROD) == 0 &&
	       strcmp(c->api_url, PISTE_API_URL_PROD) == 0,
	   "production URLs");
	conf_free(c);

	c = load("[chorus]\napi_url = http://127.0.0.1:8443/\ntoken_url = http://[::1]:9/t\n", 0,
	         &why);
	ok(c && strcmp(c->api_url, "http://127.0.0.1:8443") == 0,
	   "http to loopback accepted, trailing slash dropped");
	conf_free(c);

	c = load("[chorus]\napi_url = http://api.example.org\n", 0, &why);
	ok(c == NULL && contains(why, "[chorus] api_url") &&
	       contains(why, "only accepted for loopback"),
	   "http to a remote host refused: %s", why);

	c = load("[spool]\nsettle = 2h\nsettle2 = 1\n[nope]\nx = 1\n", 0, &why);
	ok(c == NULL && contains(why, "c.ini:2: [spool] settle: 2h is out of range"),
	   "out of range with line number");
	ok(contains(why, "c.ini:3: [spool] settle2: unknown key"), "unknown key with line");
	ok(contains(why, "c.ini:4: [nope]: unknown section"), "unknown section with line");

	c = load("[spool]\nignore = *.bak, ~*  ,,*.old\nscan_batch = 10\n"
	         "json_receipts = yes\nfile_mode = 0600\n",
	         0, &why);
	ok(c && c->ignore_list[0] && strcmp(c->ignore_list[0], "*.bak") == 0 &&
	       strcmp(c->ignore_list[1], "~*") == 0 && strcmp(c->ignore_list[2], "*.old") == 0 &&
	       c->ignore_list[3] == NULL,
	   "ignore list split and trimmed");
	ok(c && c->json_receipts == 1 && c->scan_batch == 10 && c->file_mode == 0600,
	   "bool, int, octal");
	conf_free(c);

	c = load("[supplier.73282932000074]\niban = FR76 3000 6000 0112 3456 7890 189\n"
	         "bic = AGRIFRPP\ncadre = A2\nsyntax = cii\n",
	         0, &why);
	ok(c && c->nsuppliers == 1, "supplier section: %s", why ? why : "");
	if (c && c->nsuppliers == 1) {
		const struct conf_supplier *s = conf_supplier(c, "73282932000074");
		ok(s && strcmp(s->iban, "FR7630006000011234567890189") == 0,
		   "IBAN compacted and upper-cased");
		ok(s && s->syntax == SYNTAX_CII && strcmp(s->cadre, "A2") == 0, "syntax and cadre");
		ok(conf_supplier(c, "55210055400013") == NULL, "other SIRET not found");
	}
	conf_free(c);

	c = load("[supplier.73282932000075]\niban = x\n", 0, &why);
	ok(c == NULL && contains(why, "not a valid SIRET"), "bad SIRET section");
	c = load("[supplier.73282932000074]\niban = FR7630006000011234567890188\n", 0, &why);
	ok(c == NULL && contains(why, "not a valid IBAN"), "bad IBAN check digits");
	c = load("[supplier.73282932000074]\ncadre = A26\n", 0, &why);
	ok(c == NULL && contains(why, "A1 to A25"), "bad cadre");

	/* [supplier.ID]: a supplier without a SIRET, named by its identifier in Chorus Pro */
	c = load("[supplier.de129273398]\niban_name = Rheinland\n"
	         "[supplier.EL094259216]\niban_name = Athina\n"
	         "[supplier.ATU13585627]\niban_name = Wien\n"
	         "[supplier.CHE-109.322.551]\niban_name = Alpina\n"
	         "[supplier.12-3456789/A_1]\niban_name = Boston\n",
	         0, &why);
	ok(c && c->nsuppliers == 5, "type 2 (DE, EL, ATU) and type 3 names load: %s",
	   why ? why : "");
	if (c && c->nsuppliers == 5) {
		const struct conf_supplier *s = conf_supplier(c, "DE129273398");
		ok(s && strcmp(s->id, "DE129273398") == 0 && s->siret == NULL,
		   "a VAT number of another member state: kept in upper case, no SIRET");
		ok(conf_supplier(c, "de129273398") == s && conf_supplier(c, "De129273398") == s,
		   "matched whatever the case");
		ok(conf_supplier(c, "DE129273399") == NULL, "another VAT number: not found");
		s = conf_supplier(c, "che-109.322.551");
		ok(s && strcmp(s->id, "CHE-109.322.551") == 0 &&
		       strcmp(s->iban_name, "Alpina") == 0,
		   "a type 3 identifier with - and .: its section");
		ok(conf_supplier(c, "12-3456789/a_1") != NULL, "a type 3 identifier with / and _");
		ok(conf_supplier(c, "EL094259216") && conf_supplier(c, "atu13585627"),
		   "Greece's EL and Austria's ATU prefixes");
	}
	conf_free(c);
	/* each refused name says what is wrong and what to write instead */
	c = load("[supplier.12345678901234]\niban_name = X\n", 0, &why);
	ok(c == NULL &&
	       contains(why, "\"12345678901234\" is not a valid SIRET (14 digits, Luhn "
	                     "check)") &&
	       contains(why, "name the section [supplier.<SIRET of the establishment>]"),
	   "14 digits failing Luhn: not a valid SIRET, name it by the SIRET: %s", why);
	c = load("[spool]\nsettle = 1s\n[supplier.fr44732829320]\niban_name = X\n", 0, &why);
	ok(c == NULL && contains(why, "c.ini:3: [supplier.fr44732829320]") &&
	       contains(why, "\"FR44732829320\" is a French VAT number: a supplier established "
	                     "in France is identified by its SIRET") &&
	       contains(why, "name the section [supplier.<SIRET of the establishment>]"),
	   "a French VAT number: refused with its line, name it by the SIRET: %s", why);
	c = load("[supplier.DE1]\niban_name = X\n", 0, &why);
	ok(c == NULL &&
	       contains(why, "\"DE1\" is not an intra-community VAT number (DE, then 2 "
	                     "to 13 letters or digits)") &&
	       contains(why, "type 2 (UE_HORS_FRANCE)"),
	   "another member state's prefix, too short: not a VAT number: %s", why);
	c = load("[supplier.BE0123.456.789]\niban_name = X\n", 0, &why);
	ok(c == NULL && contains(why, "\"BE0123.456.789\" is not an intra-community VAT number "
	                              "(BE, then 2 to 13 letters or digits)"),
	   "another member state's prefix with dots: not a VAT number: %s", why);
	c = load("[supplier.DE1234567890123456]\niban_name = X\n", 0, &why);
	ok(c == NULL && contains(why, "is not an intra-community VAT number (DE, then 2 to 13"),
	   "another member state's prefix, too long: not a VAT number: %s", why);
	{
		static const char *const bad[] = {"CHE 109", "DE#129273398",
		                                  "CH\xc3\x89"
		                                  "109",
		                                  ""};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char *text = xasprintf("[supplier.%s]\niban_name = X\n", bad[i]);
			c = load(text, 0, &why);
			ok(c == NULL &&
			       contains(
			           why,
			           "is neither a SIRET nor the identifier of a supplier without "
			           "a SIRET (letters, digits, - . _ /)") &&
			       contains(why,
			                "name the section [supplier.<SIRET of the establishment>] "
			                "or [supplier.<identifier>]"),
			   "[supplier.%s]: characters no identifier has: %s", bad[i], why);
			free(text);
		}
	}
	{
		char name[82];
		memset(name, 'A', 81);
		name[81] = '\0';
		p = xasprintf("[supplier.%s]\niban_name = X\n", name);
		c = load(p, 0, &why);
		ok(c == NULL && contains(why, "is neither a SIRET nor the identifier"),
		   "an identifier of 81 characters: refused");
		free(p);
	}

	c = load("[map.acme]\nroot = {urn:acme}Facture\nstylesheet = acme.xsl\n", 0, &why);
	ok(c && c->nmaps == 1 && strcmp(c->maps[0].root, "{urn:acme}Facture") == 0 &&
	       c->maps[0].syntax == SYNTAX_UBL,
	   "map section with default syntax");
	conf_free(c);
	c = load("[map.acme]\nroot = Facture\n", 0, &why);
	ok(c == NULL && contains(why, "[map.acme] stylesheet: missing"), "map needs a stylesheet");

	/* secrets */
	p = write_conf("secret", "s3cr3t-value\n", 0600);
	{
		char *text = xasprintf("[chorus]\nclient_id = id\nclient_secret_file = %s\n"
		                       "tech_login = TECH_1_x@cpro.fr\ntech_password = pw-inline\n",
		                       p);
		c = load(text, CONF_NEED_CHORUS, &why);
		ok(c && strcmp(c->client_secret, "s3cr3t-value") == 0,
		   "secret read from file, newline stripped: %s", why ? why : "");
		ok(c && strcmp(c->client_secret_origin, "file") == 0, "origin file");
		conf_free(c);
		free(text);
	}
	chmod(p, 0640);
	{
		char *text = xasprintf("[chorus]\nclient_secret_file = %s\n", p);
		c = load(text, 0, &why);
		ok(c == NULL && contains(why, "readable by group or others") &&
		       contains(why, "chmod 600"),
		   "group-readable secret file refused");
		free(text);
	}
	free(p);

	p = write_conf("g.ini", "[chorus]\ntech_password = pw\n", 0644);
	free(why);
	why = NULL;
	c = conf_load(p, 0, &why);
	ok(c == NULL && contains(why, "readable by group or others (mode 0644)"),
	   "config holding a secret with mode 0644 refused");
	free(p);

	p = write_conf("g2.ini", "[spool]\ndir = /srv/spool\n", 0644);
	free(why);
	why = NULL;
	c = conf_load(p, 0, &why);
	ok(c != NULL, "config without secrets may be world-readable");
	conf_free(c);
	free(p);

	{
		char *cred = xasprintf("%s/creds", dir);
		char *f;
		mkdir(cred, 0700);
		f = xasprintf("%s/client_secret", cred);
		write_file_atomic(NULL, f, "from-creds", 10, 0644, 0, NULL);
		setenv("CREDENTIALS_DIRECTORY", cred, 1);
		c = load("[chorus]\nclient_id = x\n", 0, &why);
		ok(c && c->client_secret && strcmp(c->client_secret, "from-creds") == 0 &&
		       strcmp(c->client_secret_origin, "systemd credential") == 0,
		   "secret from $CREDENTIALS_DIRECTORY");
		conf_free(c);
		unsetenv("CREDENTIALS_DIRECTORY");
		unlink(f);
		rmdir(cred);
		free(f);
		free(cred);
	}

	c = load("[chorus]\nclient_id = x\n", CONF_NEED_ALL, &why);
	ok(c == NULL && contains(why, "[spool] dir: missing") &&
	       contains(why, "[chorus] client_secret: missing") &&
	       contains(why, "[chorus] tech_login: missing"),
	   "every missing required key reported");

	c = load("dir = /x\n", 0, &why);
	ok(c == NULL && contains(why, "key outside any section"), "key outside a section");
	c = load("[spool]\ndir = /a\ndir = /b\n", 0, &why);
	ok(c == NULL && contains(why, "set twice (first on line 2)"), "duplicate key");
	c = load("[spool]\njunk\n", 0, &why);
	ok(c == NULL && contains(why, "c.ini:2: line is neither"), "garbage line");

	free(why);
	p = xasprintf("%s/c.ini", dir);
	unlink(p);
	free(p);
	p = xasprintf("%s/secret", dir);
	unlink(p);
	free(p);
	p = xasprintf("%s/g.ini", dir);
	unlink(p);
	free(p);
	p = xasprintf("%s/g2.ini", dir);
	unlink(p);
	free(p);
	rmdir(dir);
	return done_testing();
}
