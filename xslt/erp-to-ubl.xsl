<?xml version="1.0" encoding="UTF-8"?>
<!--
  erp-to-ubl.xsl: chorusgw ERP invoice export (urn:chorusgw:erp:1, see
  erp-invoice.xsd and chorusgw-erp(5)) to OASIS UBL 2.1 for Chorus Pro.

  type invoice / corrective / prepayment -> Invoice, InvoiceTypeCode 380 / 384 / 386
  type credit-note                       -> CreditNote, CreditNoteTypeCode 381,
                                            CreditNoteLine, CreditedQuantity,
                                            amounts as given (positive)

  XSLT 1.0 with two EXSLT functions, exsl:node-set and set:distinct (libxslt,
  xsltproc, Saxon 6, Xalan), used once, to find the VAT groups in linear time.
  Self-contained on purpose: copy it to start your own mapping.

  Parameters, all strings; an empty string means the default:
    siret_scheme           ISO 6523 ICD written as schemeID of the SIRET
                           (supplier BT-29, buyer BT-46, payee BT-60).
                           Default 0009. Chorus Pro's native code "1" fails
                           the EN 16931 code list rules BR-CL-10/11.
    siren_scheme           schemeID of the SIREN (first 9 digits of the SIRET)
                           in PartyLegalEntity/CompanyID (BT-30, BT-47, BT-61).
                           Default 0002.
    supplier_iban          IBAN to be paid (BT-84) when the export has no iban
                           (neither supplier/iban nor payee/iban): the "RIB
                           transmis" configured per supplier establishment.
                           Default none.
    supplier_bic           BIC (BT-86) going with supplier_iban. Default none.
    supplier_iban_name     account holder (BT-85) going with supplier_iban.
                           Default none.
    default_cadre          cadre de facturation (BT-23, ProfileID) when the
                           export has no cadre. Default A1.
    default_payment_means  payment means code (BT-81) of an invoice whose
                           export has no payment-means. Default 30 (credit
                           transfer). Never applied to credit notes (one
                           without payment-means but with a due date gets
                           code 1, "instrument not defined", to carry BT-9).
    customization_id       CustomizationID (BT-24). Default
                           urn:cen.eu:en16931:2017.
    route                  chorus (Chorus Pro direct) or pa (a Plateforme
                           Agréée, XP Z12-013). On pa, BT-23 (ProfileID) is the
                           reform's billing mode instead of the cadre (see
                           bt23 below). Default chorus.

  Placement for Chorus Pro (HACKING.md): cadre in cbc:ProfileID, SIRET in
  PartyIdentification/cbc:ID[@schemeID] (a supplier without SIRET: its
  identifier there, see identifier-scheme), SIREN in PartyLegalEntity/
  cbc:CompanyID[@schemeID], service code in cbc:BuyerReference, engagement in
  cac:OrderReference/cbc:ID, contract in cac:ContractDocumentReference/cbc:ID,
  IBAN in cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID.

  Amounts are written with 2 decimals, quantities with up to 4, prices with
  2 to 6, rates without trailing zeros. The VAT breakdown is copied from the
  export, or computed (in integer cents) when the export has none. Totals are
  copied, never corrected. Attachments are referenced (BT-122, BT-123); the
  content (BT-125) is added later by chorusgw.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:e="urn:chorusgw:erp:1"
    xmlns:exsl="http://exslt.org/common"
    xmlns:set="http://exslt.org/sets"
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
    exclude-result-prefixes="e exsl set">

  <xsl:output method="xml" encoding="UTF-8" indent="yes"/>
  <xsl:strip-space elements="*"/>

  <xsl:param name="siret_scheme" select="'0009'"/>
  <xsl:param name="siren_scheme" select="'0002'"/>
  <xsl:param name="supplier_iban" select="''"/>
  <xsl:param name="supplier_bic" select="''"/>
  <xsl:param name="supplier_iban_name" select="''"/>
  <xsl:param name="default_cadre" select="'A1'"/>
  <xsl:param name="default_payment_means" select="'30'"/>
  <xsl:param name="customization_id" select="'urn:cen.eu:en16931:2017'"/>
  <xsl:param name="route" select="'chorus'"/>

  <!-- Effective parameter values: empty means default. -->
  <xsl:variable name="p-siret-scheme">
    <xsl:call-template name="or-default">
      <xsl:with-param name="value" select="$siret_scheme"/>
      <xsl:with-param name="default" select="'0009'"/>
    </xsl:call-template>
  </xsl:variable>
  <xsl:variable name="p-siren-scheme">
    <xsl:call-template name="or-default">
      <xsl:with-param name="value" select="$siren_scheme"/>
      <xsl:with-param name="default" select="'0002'"/>
    </xsl:call-template>
  </xsl:variable>
  <xsl:variable name="p-cadre">
    <xsl:call-template name="or-default">
      <xsl:with-param name="value" select="$default_cadre"/>
      <xsl:with-param name="default" select="'A1'"/>
    </xsl:call-template>
  </xsl:variable>
  <xsl:variable name="p-payment-means">
    <xsl:call-template name="or-default">
      <xsl:with-param name="value" select="$default_payment_means"/>
      <xsl:with-param name="default" select="'30'"/>
    </xsl:call-template>
  </xsl:variable>
  <xsl:variable name="p-customization">
    <xsl:call-template name="or-default">
      <xsl:with-param name="value" select="$customization_id"/>
      <xsl:with-param name="default" select="'urn:cen.eu:en16931:2017'"/>
    </xsl:call-template>
  </xsl:variable>

  <!-- Document facts used everywhere. -->
  <xsl:variable name="inv" select="/e:invoice"/>
  <xsl:variable name="doc-type">
    <xsl:call-template name="or-default">
      <xsl:with-param name="value" select="$inv/e:type"/>
      <xsl:with-param name="default" select="'invoice'"/>
    </xsl:call-template>
  </xsl:variable>
  <xsl:variable name="is-cn" select="$doc-type = 'credit-note'"/>

  <!-- BT-23. Chorus Pro direct: the cadre de facturation (A1...). A Plateforme
       Agréée (route pa): the reform's billing mode (BR-FR-08): billing-mode when
       the export gives it, else the letter of the operation (goods B, services S,
       mixed M) and the number of the cadre's case (A1 or no cadre: 1, deposit of
       an invoice; A2: 2, already paid); empty when it cannot be told, so that the
       pre-flight says what to add rather than the platform. -->
  <xsl:variable name="cadre">
    <xsl:call-template name="or-default">
      <xsl:with-param name="value" select="$inv/e:cadre"/>
      <xsl:with-param name="default" select="$p-cadre"/>
    </xsl:call-template>
  </xsl:variable>
  <xsl:variable name="bt23">
    <xsl:variable name="operation" select="normalize-space($inv/e:operation)"/>
    <xsl:choose>
      <xsl:when test="$route != 'pa'"><xsl:value-of select="$cadre"/></xsl:when>
      <xsl:when test="$inv/e:billing-mode"><xsl:value-of select="normalize-space($inv/e:billing-mode)"/></xsl:when>
      <xsl:when test="$operation and ($cadre = 'A1' or $cadre = 'A2')">
        <xsl:value-of select="concat(translate(substring($operation, 1, 1), 'gsm', 'BSM'), substring($cadre, 2))"/>
      </xsl:when>
    </xsl:choose>
  </xsl:variable>
  <xsl:variable name="line-element">
    <xsl:choose>
      <xsl:when test="$is-cn">cac:CreditNoteLine</xsl:when>
      <xsl:otherwise>cac:InvoiceLine</xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <xsl:variable name="quantity-element">
    <xsl:choose>
      <xsl:when test="$is-cn">cbc:CreditedQuantity</xsl:when>
      <xsl:otherwise>cbc:InvoicedQuantity</xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <xsl:variable name="currency">
    <xsl:call-template name="or-default">
      <xsl:with-param name="value" select="$inv/e:currency"/>
      <xsl:with-param name="default" select="'EUR'"/>
    </xsl:call-template>
  </xsl:variable>

  <!-- Account to be paid: payee's, else supplier's, else configured. The
       IBAN, BIC and holder name always come from the same source. -->
  <xsl:variable name="acct-src" select="($inv/e:payee[e:iban] | $inv/e:supplier[e:iban][not($inv/e:payee/e:iban)])[1]"/>
  <xsl:variable name="acct-iban">
    <xsl:choose>
      <xsl:when test="$acct-src"><xsl:value-of select="normalize-space($acct-src/e:iban)"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="normalize-space($supplier_iban)"/></xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <xsl:variable name="acct-bic">
    <xsl:choose>
      <xsl:when test="$acct-src"><xsl:value-of select="normalize-space($acct-src/e:bic)"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="normalize-space($supplier_bic)"/></xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <xsl:variable name="acct-name">
    <xsl:choose>
      <xsl:when test="$acct-src"><xsl:value-of select="normalize-space($acct-src/e:account-name)"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="normalize-space($supplier_iban_name)"/></xsl:otherwise>
    </xsl:choose>
  </xsl:variable>

  <!-- Payment means: the export's code; else, on invoices only, the default. -->
  <xsl:variable name="means-code">
    <xsl:choose>
      <xsl:when test="$inv/e:payment-means"><xsl:value-of select="normalize-space($inv/e:payment-means)"/></xsl:when>
      <xsl:when test="$inv/e:direct-debit">49</xsl:when>
      <xsl:when test="$inv/e:card">48</xsl:when>
      <xsl:when test="not($is-cn)"><xsl:value-of select="$p-payment-means"/></xsl:when>
      <!-- a UBL CreditNote carries its due date (BT-9) only in the payment
           means: keep it with code 1, "instrument not defined" -->
      <xsl:when test="$inv/e:due-date">1</xsl:when>
    </xsl:choose>
  </xsl:variable>

  <!-- VAT groups for the computed breakdown: lines and document level
       allowances/charges by (category, rate); O has no rate. -->
  <xsl:key name="vat-group"
           match="e:invoice/e:line | e:invoice/e:allowance | e:invoice/e:charge"
           use="concat(normalize-space(e:vat-category), '|', number(e:vat-rate[normalize-space(../e:vat-category) != 'O']))"/>

  <!-- ============================================================== -->

  <xsl:template match="/">
    <xsl:if test="not(e:invoice)">
      <xsl:message terminate="yes">erp-to-ubl: the root element must be {urn:chorusgw:erp:1}invoice</xsl:message>
    </xsl:if>
    <xsl:if test="not($doc-type = 'invoice' or $doc-type = 'credit-note' or $doc-type = 'corrective' or $doc-type = 'prepayment')">
      <xsl:message terminate="yes">erp-to-ubl: unknown type "<xsl:value-of select="$doc-type"/>" (expected invoice, credit-note, corrective or prepayment)</xsl:message>
    </xsl:if>
    <xsl:call-template name="supplier-identifier-type">
      <xsl:with-param name="me" select="'erp-to-ubl'"/>
    </xsl:call-template>
    <xsl:apply-templates select="e:invoice"/>
  </xsl:template>

  <!-- A supplier without a SIRET: Chorus Pro's identifier types 2 and 3 only; the
       others refused by name (chorusgw-erp(5)). -->
  <xsl:template name="supplier-identifier-type">
    <xsl:param name="me"/>
    <xsl:variable name="t" select="string(e:invoice/e:supplier/e:identifier/@type)"/>
    <xsl:if test="$t != '' and $t != '2' and $t != '3'">
      <xsl:message terminate="yes"><xsl:value-of select="$me"/>: the supplier's identifier type <xsl:value-of select="$t"/> (<xsl:choose>
          <xsl:when test="$t = '1'">SIRET: write it in supplier/siret</xsl:when>
          <xsl:when test="$t = '4'">RIDET, New Caledonia</xsl:when>
          <xsl:when test="$t = '5'">numéro Tahiti, French Polynesia</xsl:when>
          <xsl:when test="$t = '6'">AUTRE</xsl:when>
          <xsl:otherwise>PARTICULIER, a private person</xsl:otherwise>
        </xsl:choose>) is not supported: chorusgw sends for suppliers with a SIRET (1) or identified as UE_HORS_FRANCE (2) or HORS_UE (3)</xsl:message>
    </xsl:if>
    <!-- the declared type is not in the output (only its ICD scheme is, or none), so
         the pre-flight would judge the type by the country: a mismatch is said here,
         where both are known. France: the pre-flight's rule SUPPLIER-ID says it. -->
    <xsl:variable name="c" select="normalize-space(e:invoice/e:supplier/e:address/e:country)"/>
    <xsl:variable name="eu" select="$c != '' and contains(' AT BE BG CY CZ DE DK EE ES FI GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK ', concat(' ', $c, ' '))"/>
    <xsl:if test="($t = '3' and $eu) or ($t = '2' and not($eu) and $c != 'FR')">
      <xsl:message terminate="yes"><xsl:value-of select="$me"/>: supplier/identifier/@type is <xsl:value-of select="$t"/> (<xsl:choose>
          <xsl:when test="$t = '3'">HORS_UE, a supplier established outside the EU</xsl:when>
          <xsl:otherwise>UE_HORS_FRANCE, a supplier established in another member state of the EU</xsl:otherwise>
        </xsl:choose>) but supplier/address/country is <xsl:value-of select="$c"/>, <xsl:choose>
          <xsl:when test="$t = '3'">a member state of the EU: write type="2" (UE_HORS_FRANCE) and its intra-community VAT number as the identifier</xsl:when>
          <xsl:otherwise>outside the EU: write type="3" (HORS_UE)</xsl:otherwise>
        </xsl:choose></xsl:message>
    </xsl:if>
  </xsl:template>

  <!-- The scheme written with a supplier's identifier without SIRET: its type under
       Chorus Pro's own numbering (siret_scheme 1), else its ISO 6523 scheme if any. -->
  <xsl:template name="identifier-scheme">
    <xsl:choose>
      <xsl:when test="$p-siret-scheme = '1'"><xsl:value-of select="e:identifier/@type"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="normalize-space(e:identifier/@scheme)"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- The supplier's identifier without SIRET as element `name`, with its scheme. -->
  <xsl:template name="identifier">
    <xsl:param name="name"/>
    <xsl:variable name="s"><xsl:call-template name="identifier-scheme"/></xsl:variable>
    <xsl:element name="{$name}">
      <xsl:if test="$s != ''">
        <xsl:attribute name="schemeID"><xsl:value-of select="$s"/></xsl:attribute>
      </xsl:if>
      <xsl:value-of select="normalize-space(e:identifier)"/>
    </xsl:element>
  </xsl:template>

  <xsl:template match="e:invoice">
    <xsl:choose>
      <xsl:when test="$is-cn">
        <CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
            xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
            xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
          <xsl:call-template name="document"/>
        </CreditNote>
      </xsl:when>
      <xsl:otherwise>
        <Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
            xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
            xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
          <xsl:call-template name="document"/>
        </Invoice>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- The body, in the order of the UBL 2.1 Invoice / CreditNote sequences. -->
  <xsl:template name="document">
    <cbc:CustomizationID><xsl:value-of select="$p-customization"/></cbc:CustomizationID>
    <xsl:if test="string($bt23) != ''">
      <cbc:ProfileID><xsl:value-of select="$bt23"/></cbc:ProfileID>
    </xsl:if>
    <cbc:ID><xsl:value-of select="normalize-space(e:number)"/></cbc:ID>
    <cbc:IssueDate><xsl:value-of select="normalize-space(e:issue-date)"/></cbc:IssueDate>
    <xsl:choose>
      <xsl:when test="$is-cn">
        <cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>
      </xsl:when>
      <xsl:otherwise>
        <xsl:if test="e:due-date">
          <cbc:DueDate><xsl:value-of select="normalize-space(e:due-date)"/></cbc:DueDate>
        </xsl:if>
        <cbc:InvoiceTypeCode>
          <xsl:choose>
            <xsl:when test="$doc-type = 'corrective'">384</xsl:when>
            <xsl:when test="$doc-type = 'prepayment'">386</xsl:when>
            <xsl:otherwise>380</xsl:otherwise>
          </xsl:choose>
        </cbc:InvoiceTypeCode>
      </xsl:otherwise>
    </xsl:choose>
    <xsl:for-each select="e:note">
      <cbc:Note>
        <xsl:if test="@subject">
          <xsl:value-of select="concat('#', normalize-space(@subject), '#')"/>
        </xsl:if>
        <xsl:value-of select="."/>
      </cbc:Note>
    </xsl:for-each>
    <xsl:if test="e:engagement and e:purchase-order">
      <cbc:Note><xsl:value-of select="concat('#PUR#Bon de commande : ', normalize-space(e:purchase-order))"/></cbc:Note>
    </xsl:if>
    <xsl:if test="e:vat-point-date">
      <cbc:TaxPointDate><xsl:value-of select="normalize-space(e:vat-point-date)"/></cbc:TaxPointDate>
    </xsl:if>
    <cbc:DocumentCurrencyCode><xsl:value-of select="$currency"/></cbc:DocumentCurrencyCode>
    <xsl:if test="e:totals/e:vat-total-accounting">
      <cbc:TaxCurrencyCode><xsl:value-of select="normalize-space(e:totals/e:vat-total-accounting/@currency)"/></cbc:TaxCurrencyCode>
    </xsl:if>
    <xsl:if test="e:accounting-reference">
      <cbc:AccountingCost><xsl:value-of select="normalize-space(e:accounting-reference)"/></cbc:AccountingCost>
    </xsl:if>
    <xsl:if test="e:buyer/e:service-code">
      <cbc:BuyerReference><xsl:value-of select="normalize-space(e:buyer/e:service-code)"/></cbc:BuyerReference>
    </xsl:if>
    <xsl:if test="e:period or e:vat-due-on">
      <cac:InvoicePeriod>
        <xsl:call-template name="period-dates">
          <xsl:with-param name="period" select="e:period"/>
        </xsl:call-template>
        <xsl:if test="e:vat-due-on">
          <cbc:DescriptionCode>
            <xsl:choose>
              <xsl:when test="normalize-space(e:vat-due-on) = 'invoice'">3</xsl:when>
              <xsl:when test="normalize-space(e:vat-due-on) = 'delivery'">35</xsl:when>
              <xsl:when test="normalize-space(e:vat-due-on) = 'payment'">432</xsl:when>
            </xsl:choose>
          </cbc:DescriptionCode>
        </xsl:if>
      </cac:InvoicePeriod>
    </xsl:if>
    <xsl:if test="e:engagement or e:purchase-order">
      <cac:OrderReference>
        <cbc:ID><xsl:value-of select="normalize-space((e:engagement | e:purchase-order)[1])"/></cbc:ID>
      </cac:OrderReference>
    </xsl:if>
    <xsl:for-each select="e:preceding-invoice">
      <cac:BillingReference>
        <cac:InvoiceDocumentReference>
          <cbc:ID><xsl:value-of select="normalize-space(e:number)"/></cbc:ID>
          <xsl:if test="e:issue-date">
            <cbc:IssueDate><xsl:value-of select="normalize-space(e:issue-date)"/></cbc:IssueDate>
          </xsl:if>
        </cac:InvoiceDocumentReference>
      </cac:BillingReference>
    </xsl:for-each>
    <xsl:if test="e:despatch-advice">
      <cac:DespatchDocumentReference>
        <cbc:ID><xsl:value-of select="normalize-space(e:despatch-advice)"/></cbc:ID>
      </cac:DespatchDocumentReference>
    </xsl:if>
    <xsl:if test="e:receiving-advice">
      <cac:ReceiptDocumentReference>
        <cbc:ID><xsl:value-of select="normalize-space(e:receiving-advice)"/></cbc:ID>
      </cac:ReceiptDocumentReference>
    </xsl:if>
    <!-- UBL 2.1 puts OriginatorDocumentReference before the contract in an
         Invoice, after the supporting documents in a CreditNote -->
    <xsl:if test="not($is-cn)">
      <xsl:call-template name="lot"/>
    </xsl:if>
    <xsl:if test="e:contract">
      <cac:ContractDocumentReference>
        <cbc:ID><xsl:value-of select="normalize-space(e:contract)"/></cbc:ID>
      </cac:ContractDocumentReference>
    </xsl:if>
    <xsl:for-each select="e:attachment">
      <cac:AdditionalDocumentReference>
        <cbc:ID>
          <!-- the reference the ERP gave, else the file name (a union would take
               whichever comes first in the document: always the file) -->
          <xsl:choose>
            <xsl:when test="normalize-space(e:id)"><xsl:value-of select="normalize-space(e:id)"/></xsl:when>
            <xsl:otherwise><xsl:value-of select="normalize-space(e:file)"/></xsl:otherwise>
          </xsl:choose>
        </cbc:ID>
        <xsl:if test="e:description">
          <cbc:DocumentDescription><xsl:value-of select="normalize-space(e:description)"/></cbc:DocumentDescription>
        </xsl:if>
      </cac:AdditionalDocumentReference>
    </xsl:for-each>
    <xsl:for-each select="e:invoiced-object">
      <cac:AdditionalDocumentReference>
        <cbc:ID>
          <xsl:if test="@scheme">
            <xsl:attribute name="schemeID"><xsl:value-of select="normalize-space(@scheme)"/></xsl:attribute>
          </xsl:if>
          <xsl:value-of select="normalize-space(.)"/>
        </cbc:ID>
        <cbc:DocumentTypeCode>130</cbc:DocumentTypeCode>
      </cac:AdditionalDocumentReference>
    </xsl:for-each>
    <xsl:choose>
      <xsl:when test="$is-cn">
        <!-- a UBL CreditNote has no ProjectReference: EN 16931 puts BT-11 in
             a supporting-document reference of type 50 -->
        <xsl:for-each select="e:project">
          <cac:AdditionalDocumentReference>
            <cbc:ID><xsl:value-of select="normalize-space(.)"/></cbc:ID>
            <cbc:DocumentTypeCode>50</cbc:DocumentTypeCode>
          </cac:AdditionalDocumentReference>
        </xsl:for-each>
        <xsl:call-template name="lot"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:for-each select="e:project">
          <cac:ProjectReference>
            <cbc:ID><xsl:value-of select="normalize-space(.)"/></cbc:ID>
          </cac:ProjectReference>
        </xsl:for-each>
      </xsl:otherwise>
    </xsl:choose>
    <xsl:apply-templates select="e:supplier"/>
    <xsl:apply-templates select="e:buyer"/>
    <xsl:apply-templates select="e:payee"/>
    <xsl:apply-templates select="e:tax-representative"/>
    <xsl:apply-templates select="e:delivery"/>
    <xsl:call-template name="payment-means"/>
    <xsl:if test="e:payment-terms">
      <cac:PaymentTerms>
        <cbc:Note><xsl:value-of select="e:payment-terms"/></cbc:Note>
      </cac:PaymentTerms>
    </xsl:if>
    <xsl:for-each select="e:allowance | e:charge">
      <cac:AllowanceCharge>
        <xsl:call-template name="allowance-charge-body"/>
        <xsl:call-template name="tax-category">
          <xsl:with-param name="element" select="'TaxCategory'"/>
          <xsl:with-param name="category" select="normalize-space(e:vat-category)"/>
          <xsl:with-param name="rate" select="e:vat-rate"/>
        </xsl:call-template>
      </cac:AllowanceCharge>
    </xsl:for-each>
    <cac:TaxTotal>
      <cbc:TaxAmount currencyID="{$currency}">
        <xsl:call-template name="amount"><xsl:with-param name="v" select="e:totals/e:vat-total"/></xsl:call-template>
      </cbc:TaxAmount>
      <xsl:call-template name="vat-breakdown"/>
    </cac:TaxTotal>
    <!-- BT-111: a second TaxTotal, in BT-6, without breakdown -->
    <xsl:for-each select="e:totals/e:vat-total-accounting">
      <cac:TaxTotal>
        <cbc:TaxAmount currencyID="{normalize-space(@currency)}">
          <xsl:call-template name="amount"><xsl:with-param name="v" select="."/></xsl:call-template>
        </cbc:TaxAmount>
      </cac:TaxTotal>
    </xsl:for-each>
    <xsl:apply-templates select="e:totals"/>
    <xsl:apply-templates select="e:line"/>
  </xsl:template>

  <!-- ============================================================== -->
  <!-- Parties                                                        -->
  <!-- ============================================================== -->

  <!-- BT-17, tender or lot reference -->
  <xsl:template name="lot">
    <xsl:for-each select="e:lot">
      <cac:OriginatorDocumentReference>
        <cbc:ID><xsl:value-of select="normalize-space(.)"/></cbc:ID>
      </cac:OriginatorDocumentReference>
    </xsl:for-each>
  </xsl:template>

  <xsl:template match="e:supplier">
    <cac:AccountingSupplierParty>
      <cac:Party>
        <xsl:call-template name="party-common"/>
        <xsl:if test="e:vat-id">
          <cac:PartyTaxScheme>
            <cbc:CompanyID><xsl:value-of select="normalize-space(e:vat-id)"/></cbc:CompanyID>
            <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
          </cac:PartyTaxScheme>
        </xsl:if>
        <!-- BT-32: any tax scheme but VAT -->
        <xsl:if test="e:tax-registration-id">
          <cac:PartyTaxScheme>
            <cbc:CompanyID><xsl:value-of select="normalize-space(e:tax-registration-id)"/></cbc:CompanyID>
            <cac:TaxScheme><cbc:ID>TAX</cbc:ID></cac:TaxScheme>
          </cac:PartyTaxScheme>
        </xsl:if>
        <cac:PartyLegalEntity>
          <cbc:RegistrationName><xsl:value-of select="normalize-space(e:name)"/></cbc:RegistrationName>
          <xsl:if test="e:siret">
            <cbc:CompanyID schemeID="{$p-siren-scheme}"><xsl:value-of select="substring(normalize-space(e:siret), 1, 9)"/></cbc:CompanyID>
          </xsl:if>
          <xsl:if test="e:legal-form">
            <cbc:CompanyLegalForm><xsl:value-of select="normalize-space(e:legal-form)"/></cbc:CompanyLegalForm>
          </xsl:if>
        </cac:PartyLegalEntity>
        <xsl:apply-templates select="e:contact"/>
      </cac:Party>
    </cac:AccountingSupplierParty>
  </xsl:template>

  <xsl:template match="e:buyer">
    <cac:AccountingCustomerParty>
      <cac:Party>
        <xsl:call-template name="party-common"/>
        <xsl:if test="e:vat-id">
          <cac:PartyTaxScheme>
            <cbc:CompanyID><xsl:value-of select="normalize-space(e:vat-id)"/></cbc:CompanyID>
            <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
          </cac:PartyTaxScheme>
        </xsl:if>
        <cac:PartyLegalEntity>
          <cbc:RegistrationName><xsl:value-of select="normalize-space(e:name)"/></cbc:RegistrationName>
          <cbc:CompanyID schemeID="{$p-siren-scheme}"><xsl:value-of select="substring(normalize-space(e:siret), 1, 9)"/></cbc:CompanyID>
        </cac:PartyLegalEntity>
        <xsl:apply-templates select="e:contact"/>
      </cac:Party>
    </cac:AccountingCustomerParty>
  </xsl:template>

  <!-- EndpointID (electronic address), PartyIdentification (SIRET), PartyName
       (trading name), PostalAddress. -->
  <xsl:template name="party-common">
    <xsl:for-each select="e:electronic-address">
      <cbc:EndpointID schemeID="{normalize-space(@scheme)}"><xsl:value-of select="normalize-space(.)"/></cbc:EndpointID>
    </xsl:for-each>
    <cac:PartyIdentification>
      <xsl:choose>
        <xsl:when test="e:identifier">
          <xsl:call-template name="identifier">
            <xsl:with-param name="name" select="'cbc:ID'"/>
          </xsl:call-template>
        </xsl:when>
        <xsl:otherwise>
          <cbc:ID schemeID="{$p-siret-scheme}"><xsl:value-of select="normalize-space(e:siret)"/></cbc:ID>
        </xsl:otherwise>
      </xsl:choose>
    </cac:PartyIdentification>
    <xsl:if test="self::e:supplier and not($inv/e:payee)">
      <xsl:call-template name="sepa-creditor"/>
    </xsl:if>
    <xsl:if test="e:trade-name">
      <cac:PartyName>
        <cbc:Name><xsl:value-of select="normalize-space(e:trade-name)"/></cbc:Name>
      </cac:PartyName>
    </xsl:if>
    <cac:PostalAddress>
      <xsl:apply-templates select="e:address"/>
    </cac:PostalAddress>
  </xsl:template>

  <xsl:template match="e:payee">
    <cac:PayeeParty>
      <xsl:if test="e:siret">
        <cac:PartyIdentification>
          <cbc:ID schemeID="{$p-siret-scheme}"><xsl:value-of select="normalize-space(e:siret)"/></cbc:ID>
        </cac:PartyIdentification>
      </xsl:if>
      <xsl:call-template name="sepa-creditor"/>
      <cac:PartyName>
        <cbc:Name><xsl:value-of select="normalize-space(e:name)"/></cbc:Name>
      </cac:PartyName>
      <xsl:if test="e:siret">
        <cac:PartyLegalEntity>
          <cbc:CompanyID schemeID="{$p-siren-scheme}"><xsl:value-of select="substring(normalize-space(e:siret), 1, 9)"/></cbc:CompanyID>
        </cac:PartyLegalEntity>
      </xsl:if>
    </cac:PayeeParty>
  </xsl:template>

  <!-- BT-90, the SEPA creditor identifier: the payee's identifier, the seller's
       when there is no payee -->
  <xsl:template name="sepa-creditor">
    <xsl:for-each select="$inv/e:direct-debit/e:creditor-id">
      <cac:PartyIdentification>
        <cbc:ID schemeID="SEPA"><xsl:value-of select="normalize-space(.)"/></cbc:ID>
      </cac:PartyIdentification>
    </xsl:for-each>
  </xsl:template>

  <xsl:template match="e:tax-representative">
    <cac:TaxRepresentativeParty>
      <cac:PartyName>
        <cbc:Name><xsl:value-of select="normalize-space(e:name)"/></cbc:Name>
      </cac:PartyName>
      <cac:PostalAddress>
        <xsl:apply-templates select="e:address"/>
      </cac:PostalAddress>
      <cac:PartyTaxScheme>
        <cbc:CompanyID><xsl:value-of select="normalize-space(e:vat-id)"/></cbc:CompanyID>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:PartyTaxScheme>
    </cac:TaxRepresentativeParty>
  </xsl:template>

  <xsl:template match="e:delivery">
    <cac:Delivery>
      <xsl:if test="e:date">
        <cbc:ActualDeliveryDate><xsl:value-of select="normalize-space(e:date)"/></cbc:ActualDeliveryDate>
      </xsl:if>
      <xsl:if test="e:address">
        <cac:DeliveryLocation>
          <cac:Address>
            <xsl:apply-templates select="e:address"/>
          </cac:Address>
        </cac:DeliveryLocation>
      </xsl:if>
      <xsl:if test="e:name">
        <cac:DeliveryParty>
          <cac:PartyName>
            <cbc:Name><xsl:value-of select="normalize-space(e:name)"/></cbc:Name>
          </cac:PartyName>
        </cac:DeliveryParty>
      </xsl:if>
    </cac:Delivery>
  </xsl:template>

  <!-- Content of an AddressType, in UBL order. -->
  <xsl:template match="e:address">
    <xsl:if test="e:line1">
      <cbc:StreetName><xsl:value-of select="normalize-space(e:line1)"/></cbc:StreetName>
    </xsl:if>
    <xsl:if test="e:line2">
      <cbc:AdditionalStreetName><xsl:value-of select="normalize-space(e:line2)"/></cbc:AdditionalStreetName>
    </xsl:if>
    <xsl:if test="e:city">
      <cbc:CityName><xsl:value-of select="normalize-space(e:city)"/></cbc:CityName>
    </xsl:if>
    <xsl:if test="e:postcode">
      <cbc:PostalZone><xsl:value-of select="normalize-space(e:postcode)"/></cbc:PostalZone>
    </xsl:if>
    <xsl:if test="e:subdivision">
      <cbc:CountrySubentity><xsl:value-of select="normalize-space(e:subdivision)"/></cbc:CountrySubentity>
    </xsl:if>
    <xsl:if test="e:line3">
      <cac:AddressLine>
        <cbc:Line><xsl:value-of select="normalize-space(e:line3)"/></cbc:Line>
      </cac:AddressLine>
    </xsl:if>
    <cac:Country>
      <cbc:IdentificationCode><xsl:value-of select="normalize-space(e:country)"/></cbc:IdentificationCode>
    </cac:Country>
  </xsl:template>

  <xsl:template match="e:contact">
    <cac:Contact>
      <xsl:if test="e:name">
        <cbc:Name><xsl:value-of select="normalize-space(e:name)"/></cbc:Name>
      </xsl:if>
      <xsl:if test="e:phone">
        <cbc:Telephone><xsl:value-of select="normalize-space(e:phone)"/></cbc:Telephone>
      </xsl:if>
      <xsl:if test="e:email">
        <cbc:ElectronicMail><xsl:value-of select="normalize-space(e:email)"/></cbc:ElectronicMail>
      </xsl:if>
    </cac:Contact>
  </xsl:template>

  <!-- ============================================================== -->
  <!-- Payment                                                        -->
  <!-- ============================================================== -->

  <xsl:template name="payment-means">
    <xsl:if test="string($means-code) != ''">
      <cac:PaymentMeans>
        <cbc:PaymentMeansCode><xsl:value-of select="$means-code"/></cbc:PaymentMeansCode>
        <xsl:if test="$is-cn and e:due-date">
          <cbc:PaymentDueDate><xsl:value-of select="normalize-space(e:due-date)"/></cbc:PaymentDueDate>
        </xsl:if>
        <xsl:if test="e:payment-reference">
          <cbc:PaymentID><xsl:value-of select="normalize-space(e:payment-reference)"/></cbc:PaymentID>
        </xsl:if>
        <xsl:for-each select="e:card">
          <cac:CardAccount>
            <cbc:PrimaryAccountNumberID><xsl:value-of select="normalize-space(e:pan)"/></cbc:PrimaryAccountNumberID>
            <!-- required by UBL, no EN 16931 term: not applicable -->
            <cbc:NetworkID>NA</cbc:NetworkID>
            <xsl:if test="e:holder">
              <cbc:HolderName><xsl:value-of select="normalize-space(e:holder)"/></cbc:HolderName>
            </xsl:if>
          </cac:CardAccount>
        </xsl:for-each>
        <xsl:if test="string($acct-iban) != '' and contains(' 30 31 42 58 ', concat(' ', $means-code, ' '))">
          <cac:PayeeFinancialAccount>
            <cbc:ID><xsl:value-of select="$acct-iban"/></cbc:ID>
            <xsl:if test="string($acct-name) != ''">
              <cbc:Name><xsl:value-of select="$acct-name"/></cbc:Name>
            </xsl:if>
            <xsl:if test="string($acct-bic) != ''">
              <cac:FinancialInstitutionBranch>
                <cbc:ID><xsl:value-of select="$acct-bic"/></cbc:ID>
              </cac:FinancialInstitutionBranch>
            </xsl:if>
          </cac:PayeeFinancialAccount>
        </xsl:if>
        <xsl:for-each select="e:direct-debit">
          <cac:PaymentMandate>
            <cbc:ID><xsl:value-of select="normalize-space(e:mandate)"/></cbc:ID>
            <xsl:if test="e:debited-account">
              <cac:PayerFinancialAccount>
                <cbc:ID><xsl:value-of select="normalize-space(e:debited-account)"/></cbc:ID>
              </cac:PayerFinancialAccount>
            </xsl:if>
          </cac:PaymentMandate>
        </xsl:for-each>
      </cac:PaymentMeans>
    </xsl:if>
  </xsl:template>

  <!-- ============================================================== -->
  <!-- VAT                                                            -->
  <!-- ============================================================== -->

  <!-- cac:TaxCategory / cac:ClassifiedTaxCategory. O never has a rate;
       with-exemption adds BT-121 / BT-120 (VAT breakdown only). -->
  <xsl:template name="tax-category">
    <xsl:param name="element"/>
    <xsl:param name="category"/>
    <xsl:param name="rate"/>
    <xsl:param name="with-exemption" select="false()"/>
    <xsl:element name="cac:{$element}">
      <cbc:ID><xsl:value-of select="$category"/></cbc:ID>
      <xsl:if test="$category != 'O' and string($rate) != ''">
        <cbc:Percent><xsl:value-of select="format-number(number($rate), '0.##')"/></cbc:Percent>
      </xsl:if>
      <xsl:if test="$with-exemption">
        <xsl:variable name="ex" select="$inv/e:vat-exemption[normalize-space(e:vat-category) = $category]"/>
        <xsl:variable name="code">
          <xsl:choose>
            <xsl:when test="$ex"><xsl:value-of select="normalize-space($ex/e:code)"/></xsl:when>
            <xsl:otherwise><xsl:call-template name="default-exemption-code"><xsl:with-param name="category" select="$category"/></xsl:call-template></xsl:otherwise>
          </xsl:choose>
        </xsl:variable>
        <xsl:variable name="text">
          <xsl:choose>
            <xsl:when test="$ex"><xsl:value-of select="normalize-space($ex/e:reason)"/></xsl:when>
            <xsl:otherwise><xsl:call-template name="default-exemption-text"><xsl:with-param name="category" select="$category"/></xsl:call-template></xsl:otherwise>
          </xsl:choose>
        </xsl:variable>
        <xsl:if test="string($code) != ''">
          <cbc:TaxExemptionReasonCode><xsl:value-of select="$code"/></cbc:TaxExemptionReasonCode>
        </xsl:if>
        <xsl:if test="string($text) != ''">
          <cbc:TaxExemptionReason><xsl:value-of select="$text"/></cbc:TaxExemptionReason>
        </xsl:if>
      </xsl:if>
      <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
    </xsl:element>
  </xsl:template>

  <xsl:template name="tax-subtotal">
    <xsl:param name="category"/>
    <xsl:param name="rate"/>
    <xsl:param name="taxable"/>
    <xsl:param name="tax"/>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="{$currency}"><xsl:value-of select="$taxable"/></cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="{$currency}"><xsl:value-of select="$tax"/></cbc:TaxAmount>
      <xsl:call-template name="tax-category">
        <xsl:with-param name="element" select="'TaxCategory'"/>
        <xsl:with-param name="category" select="$category"/>
        <xsl:with-param name="rate" select="$rate"/>
        <xsl:with-param name="with-exemption" select="$category != 'S' and $category != 'Z'"/>
      </xsl:call-template>
    </cac:TaxSubtotal>
  </xsl:template>

  <!-- BG-23: as given by the export, else computed per (category, rate)
       in order of first appearance. -->
  <xsl:template name="vat-breakdown">
    <xsl:choose>
      <xsl:when test="e:vat-breakdown">
        <xsl:for-each select="e:vat-breakdown">
          <xsl:call-template name="tax-subtotal">
            <xsl:with-param name="category" select="normalize-space(e:vat-category)"/>
            <xsl:with-param name="rate" select="e:vat-rate"/>
            <xsl:with-param name="taxable">
              <xsl:call-template name="amount"><xsl:with-param name="v" select="e:taxable-amount"/></xsl:call-template>
            </xsl:with-param>
            <xsl:with-param name="tax">
              <xsl:call-template name="amount"><xsl:with-param name="v" select="e:tax-amount"/></xsl:call-template>
            </xsl:with-param>
          </xsl:call-template>
        </xsl:for-each>
      </xsl:when>
      <xsl:otherwise>
        <!-- The groups in order of first appearance, found in one pass: each
             line's key, then set:distinct (a hash). The Muenchian test,
             key(...)[1] for every line, copies the line's whole group each
             time: a 20 000-line invoice took 7 s and 350 MB. -->
        <xsl:variable name="group-keys">
          <xsl:for-each select="e:line | e:allowance | e:charge">
            <k><xsl:value-of select="concat(normalize-space(e:vat-category), '|', number(e:vat-rate[normalize-space(../e:vat-category) != 'O']))"/></k>
          </xsl:for-each>
        </xsl:variable>
        <xsl:variable name="invoice" select="."/>
        <xsl:for-each select="set:distinct(exsl:node-set($group-keys)/k)">
        <xsl:variable name="group" select="string(.)"/>
        <!-- key() looks in the context node's document: back to the invoice -->
        <xsl:for-each select="$invoice">
        <xsl:for-each select="key('vat-group', $group)[1]">
          <xsl:variable name="category" select="normalize-space(e:vat-category)"/>
          <xsl:variable name="members" select="key('vat-group', concat($category, '|', number(e:vat-rate[$category != 'O'])))"/>
          <xsl:variable name="lines-c">
            <xsl:call-template name="sum-cents"><xsl:with-param name="nodes" select="$members[self::e:line]/e:net-amount"/></xsl:call-template>
          </xsl:variable>
          <xsl:variable name="charges-c">
            <xsl:call-template name="sum-cents"><xsl:with-param name="nodes" select="$members[self::e:charge]/e:amount"/></xsl:call-template>
          </xsl:variable>
          <xsl:variable name="allowances-c">
            <xsl:call-template name="sum-cents"><xsl:with-param name="nodes" select="$members[self::e:allowance]/e:amount"/></xsl:call-template>
          </xsl:variable>
          <xsl:variable name="taxable-c" select="number($lines-c) + number($charges-c) - number($allowances-c)"/>
          <xsl:variable name="tax-c">
            <xsl:call-template name="vat-cents">
              <xsl:with-param name="base" select="$taxable-c"/>
              <xsl:with-param name="category" select="$category"/>
              <xsl:with-param name="rate" select="e:vat-rate"/>
            </xsl:call-template>
          </xsl:variable>
          <xsl:call-template name="tax-subtotal">
            <xsl:with-param name="category" select="$category"/>
            <xsl:with-param name="rate" select="e:vat-rate"/>
            <xsl:with-param name="taxable">
              <xsl:call-template name="cents"><xsl:with-param name="c" select="$taxable-c"/></xsl:call-template>
            </xsl:with-param>
            <xsl:with-param name="tax">
              <xsl:call-template name="cents"><xsl:with-param name="c" select="$tax-c"/></xsl:call-template>
            </xsl:with-param>
          </xsl:call-template>
        </xsl:for-each>
        </xsl:for-each>
        </xsl:for-each>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- ============================================================== -->
  <!-- Totals                                                         -->
  <!-- ============================================================== -->

  <xsl:template match="e:totals">
    <xsl:variable name="doc" select=".."/>
    <cac:LegalMonetaryTotal>
      <cbc:LineExtensionAmount currencyID="{$currency}">
        <xsl:choose>
          <xsl:when test="e:line-total">
            <xsl:call-template name="amount"><xsl:with-param name="v" select="e:line-total"/></xsl:call-template>
          </xsl:when>
          <xsl:otherwise>
            <xsl:call-template name="sum-amount"><xsl:with-param name="nodes" select="$doc/e:line/e:net-amount"/></xsl:call-template>
          </xsl:otherwise>
        </xsl:choose>
      </cbc:LineExtensionAmount>
      <cbc:TaxExclusiveAmount currencyID="{$currency}">
        <xsl:call-template name="amount"><xsl:with-param name="v" select="e:total-without-vat"/></xsl:call-template>
      </cbc:TaxExclusiveAmount>
      <cbc:TaxInclusiveAmount currencyID="{$currency}">
        <xsl:call-template name="amount"><xsl:with-param name="v" select="e:total-with-vat"/></xsl:call-template>
      </cbc:TaxInclusiveAmount>
      <xsl:choose>
        <xsl:when test="e:allowance-total">
          <cbc:AllowanceTotalAmount currencyID="{$currency}">
            <xsl:call-template name="amount"><xsl:with-param name="v" select="e:allowance-total"/></xsl:call-template>
          </cbc:AllowanceTotalAmount>
        </xsl:when>
        <xsl:when test="$doc/e:allowance">
          <cbc:AllowanceTotalAmount currencyID="{$currency}">
            <xsl:call-template name="sum-amount"><xsl:with-param name="nodes" select="$doc/e:allowance/e:amount"/></xsl:call-template>
          </cbc:AllowanceTotalAmount>
        </xsl:when>
      </xsl:choose>
      <xsl:choose>
        <xsl:when test="e:charge-total">
          <cbc:ChargeTotalAmount currencyID="{$currency}">
            <xsl:call-template name="amount"><xsl:with-param name="v" select="e:charge-total"/></xsl:call-template>
          </cbc:ChargeTotalAmount>
        </xsl:when>
        <xsl:when test="$doc/e:charge">
          <cbc:ChargeTotalAmount currencyID="{$currency}">
            <xsl:call-template name="sum-amount"><xsl:with-param name="nodes" select="$doc/e:charge/e:amount"/></xsl:call-template>
          </cbc:ChargeTotalAmount>
        </xsl:when>
      </xsl:choose>
      <xsl:if test="e:prepaid">
        <cbc:PrepaidAmount currencyID="{$currency}">
          <xsl:call-template name="amount"><xsl:with-param name="v" select="e:prepaid"/></xsl:call-template>
        </cbc:PrepaidAmount>
      </xsl:if>
      <xsl:if test="e:rounding">
        <cbc:PayableRoundingAmount currencyID="{$currency}">
          <xsl:call-template name="amount"><xsl:with-param name="v" select="e:rounding"/></xsl:call-template>
        </cbc:PayableRoundingAmount>
      </xsl:if>
      <cbc:PayableAmount currencyID="{$currency}">
        <xsl:call-template name="amount"><xsl:with-param name="v" select="e:payable"/></xsl:call-template>
      </cbc:PayableAmount>
    </cac:LegalMonetaryTotal>
  </xsl:template>

  <!-- ============================================================== -->
  <!-- Lines                                                          -->
  <!-- ============================================================== -->

  <xsl:template match="e:line">
    <xsl:variable name="unit" select="normalize-space(e:unit)"/>
    <xsl:element name="{$line-element}">
      <cbc:ID><xsl:value-of select="normalize-space(e:id)"/></cbc:ID>
      <xsl:if test="e:note">
        <cbc:Note><xsl:value-of select="e:note"/></cbc:Note>
      </xsl:if>
      <xsl:element name="{$quantity-element}">
        <xsl:attribute name="unitCode"><xsl:value-of select="$unit"/></xsl:attribute>
        <xsl:call-template name="quantity"><xsl:with-param name="v" select="e:quantity"/></xsl:call-template>
      </xsl:element>
      <cbc:LineExtensionAmount currencyID="{$currency}">
        <xsl:call-template name="amount"><xsl:with-param name="v" select="e:net-amount"/></xsl:call-template>
      </cbc:LineExtensionAmount>
      <xsl:if test="e:period">
        <cac:InvoicePeriod>
          <xsl:call-template name="period-dates">
            <xsl:with-param name="period" select="e:period"/>
          </xsl:call-template>
        </cac:InvoicePeriod>
      </xsl:if>
      <xsl:if test="e:order-line">
        <cac:OrderLineReference>
          <cbc:LineID><xsl:value-of select="normalize-space(e:order-line)"/></cbc:LineID>
        </cac:OrderLineReference>
      </xsl:if>
      <xsl:for-each select="e:allowance | e:charge">
        <cac:AllowanceCharge>
          <xsl:call-template name="allowance-charge-body"/>
        </cac:AllowanceCharge>
      </xsl:for-each>
      <cac:Item>
        <xsl:if test="e:description">
          <cbc:Description><xsl:value-of select="e:description"/></cbc:Description>
        </xsl:if>
        <cbc:Name><xsl:value-of select="normalize-space(e:name)"/></cbc:Name>
        <xsl:if test="e:seller-item-id">
          <cac:SellersItemIdentification>
            <cbc:ID><xsl:value-of select="normalize-space(e:seller-item-id)"/></cbc:ID>
          </cac:SellersItemIdentification>
        </xsl:if>
        <xsl:for-each select="e:standard-item-id">
          <cac:StandardItemIdentification>
            <cbc:ID schemeID="{normalize-space(@scheme)}"><xsl:value-of select="normalize-space(.)"/></cbc:ID>
          </cac:StandardItemIdentification>
        </xsl:for-each>
        <xsl:for-each select="e:classification">
          <cac:CommodityClassification>
            <cbc:ItemClassificationCode listID="{normalize-space(@scheme)}">
              <xsl:if test="@version">
                <xsl:attribute name="listVersionID"><xsl:value-of select="normalize-space(@version)"/></xsl:attribute>
              </xsl:if>
              <xsl:value-of select="normalize-space(.)"/>
            </cbc:ItemClassificationCode>
          </cac:CommodityClassification>
        </xsl:for-each>
        <xsl:call-template name="tax-category">
          <xsl:with-param name="element" select="'ClassifiedTaxCategory'"/>
          <xsl:with-param name="category" select="normalize-space(e:vat-category)"/>
          <xsl:with-param name="rate" select="e:vat-rate"/>
        </xsl:call-template>
      </cac:Item>
      <cac:Price>
        <cbc:PriceAmount currencyID="{$currency}">
          <xsl:call-template name="price"><xsl:with-param name="v" select="e:price"/></xsl:call-template>
        </cbc:PriceAmount>
        <xsl:if test="e:price-base-quantity">
          <cbc:BaseQuantity unitCode="{$unit}">
            <xsl:call-template name="quantity"><xsl:with-param name="v" select="e:price-base-quantity"/></xsl:call-template>
          </cbc:BaseQuantity>
        </xsl:if>
        <xsl:if test="e:gross-price">
          <cac:AllowanceCharge>
            <cbc:ChargeIndicator>false</cbc:ChargeIndicator>
            <cbc:Amount currencyID="{$currency}">
              <xsl:call-template name="price"><xsl:with-param name="v" select="number(e:gross-price) - number(e:price)"/></xsl:call-template>
            </cbc:Amount>
            <cbc:BaseAmount currencyID="{$currency}">
              <xsl:call-template name="price"><xsl:with-param name="v" select="e:gross-price"/></xsl:call-template>
            </cbc:BaseAmount>
          </cac:AllowanceCharge>
        </xsl:if>
      </cac:Price>
    </xsl:element>
  </xsl:template>

  <!-- Shared body of line and document allowances/charges, UBL order. -->
  <xsl:template name="allowance-charge-body">
    <cbc:ChargeIndicator><xsl:value-of select="boolean(self::e:charge)"/></cbc:ChargeIndicator>
    <xsl:if test="e:reason-code">
      <cbc:AllowanceChargeReasonCode><xsl:value-of select="normalize-space(e:reason-code)"/></cbc:AllowanceChargeReasonCode>
    </xsl:if>
    <xsl:if test="e:reason">
      <cbc:AllowanceChargeReason><xsl:value-of select="normalize-space(e:reason)"/></cbc:AllowanceChargeReason>
    </xsl:if>
    <xsl:if test="e:percent">
      <cbc:MultiplierFactorNumeric><xsl:value-of select="format-number(number(e:percent), '0.##')"/></cbc:MultiplierFactorNumeric>
    </xsl:if>
    <cbc:Amount currencyID="{$currency}">
      <xsl:call-template name="amount"><xsl:with-param name="v" select="e:amount"/></xsl:call-template>
    </cbc:Amount>
    <xsl:if test="e:base-amount">
      <cbc:BaseAmount currencyID="{$currency}">
        <xsl:call-template name="amount"><xsl:with-param name="v" select="e:base-amount"/></xsl:call-template>
      </cbc:BaseAmount>
    </xsl:if>
  </xsl:template>

  <xsl:template name="period-dates">
    <xsl:param name="period"/>
    <xsl:if test="$period/e:start">
      <cbc:StartDate><xsl:value-of select="normalize-space($period/e:start)"/></cbc:StartDate>
    </xsl:if>
    <xsl:if test="$period/e:end">
      <cbc:EndDate><xsl:value-of select="normalize-space($period/e:end)"/></cbc:EndDate>
    </xsl:if>
  </xsl:template>

  <!-- ============================================================== -->
  <!-- Helpers (identical in erp-to-cii.xsl)                          -->
  <!-- ============================================================== -->

  <!-- $value, trimmed, or $default when that is empty. -->
  <xsl:template name="or-default">
    <xsl:param name="value"/>
    <xsl:param name="default"/>
    <xsl:choose>
      <xsl:when test="normalize-space($value) != ''"><xsl:value-of select="normalize-space($value)"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="$default"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- An amount from the export, written with exactly 2 decimals. -->
  <xsl:template name="amount">
    <xsl:param name="v"/>
    <xsl:call-template name="cents">
      <xsl:with-param name="c" select="round(number($v) * 100)"/>
    </xsl:call-template>
  </xsl:template>

  <!-- An integer number of cents, written as an amount. (-0 becomes 0.) -->
  <xsl:template name="cents">
    <xsl:param name="c"/>
    <xsl:value-of select="format-number(number($c) div 100 + 0, '0.00')"/>
  </xsl:template>

  <!-- Sum of amounts, in cents, written as an amount. -->
  <xsl:template name="sum-amount">
    <xsl:param name="nodes"/>
    <xsl:variable name="c">
      <xsl:call-template name="sum-cents"><xsl:with-param name="nodes" select="$nodes"/></xsl:call-template>
    </xsl:variable>
    <xsl:call-template name="cents"><xsl:with-param name="c" select="$c"/></xsl:call-template>
  </xsl:template>

  <!-- Sum of round(amount * 100) over $nodes: exact integer arithmetic in
       doubles, split in halves so the recursion depth stays log2(n).
       Written with format-number: libxslt prints large numbers with an
       exponent that number() cannot read back. -->
  <xsl:template name="sum-cents">
    <xsl:param name="nodes"/>
    <xsl:variable name="n" select="count($nodes)"/>
    <xsl:choose>
      <xsl:when test="$n = 0">0</xsl:when>
      <xsl:when test="$n = 1"><xsl:value-of select="format-number(round(number($nodes) * 100), '0')"/></xsl:when>
      <xsl:otherwise>
        <xsl:variable name="half" select="floor($n div 2)"/>
        <xsl:variable name="a">
          <xsl:call-template name="sum-cents"><xsl:with-param name="nodes" select="$nodes[position() &lt;= $half]"/></xsl:call-template>
        </xsl:variable>
        <xsl:variable name="b">
          <xsl:call-template name="sum-cents"><xsl:with-param name="nodes" select="$nodes[position() &gt; $half]"/></xsl:call-template>
        </xsl:variable>
        <xsl:value-of select="format-number(number($a) + number($b), '0')"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- VAT in cents of $base cents at $rate percent: 0 unless category S;
       rounded half away from zero, in integers (rate in hundredths). -->
  <xsl:template name="vat-cents">
    <xsl:param name="base"/>
    <xsl:param name="category"/>
    <xsl:param name="rate"/>
    <xsl:choose>
      <xsl:when test="$category != 'S'">0</xsl:when>
      <xsl:otherwise>
        <xsl:variable name="sign" select="1 - 2 * (number($base) &lt; 0)"/>
        <xsl:variable name="r" select="round(number($rate) * 100)"/>
        <xsl:value-of select="format-number($sign * floor((number($base) * $sign * $r + 5000) div 10000), '0')"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- Quantities: up to 4 decimals, no trailing zeros. -->
  <xsl:template name="quantity">
    <xsl:param name="v"/>
    <xsl:value-of select="format-number(number($v), '0.####')"/>
  </xsl:template>

  <!-- Unit prices: 2 to 6 decimals. -->
  <xsl:template name="price">
    <xsl:param name="v"/>
    <xsl:value-of select="format-number(number($v), '0.00####')"/>
  </xsl:template>

  <xsl:template name="default-exemption-code">
    <xsl:param name="category"/>
    <xsl:choose>
      <xsl:when test="$category = 'AE'">VATEX-EU-AE</xsl:when>
      <xsl:when test="$category = 'K'">VATEX-EU-IC</xsl:when>
      <xsl:when test="$category = 'G'">VATEX-EU-G</xsl:when>
      <xsl:when test="$category = 'O'">VATEX-EU-O</xsl:when>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="default-exemption-text">
    <xsl:param name="category"/>
    <xsl:choose>
      <xsl:when test="$category = 'AE'">Autoliquidation</xsl:when>
      <xsl:when test="$category = 'K'">Livraison intracommunautaire exonérée, article 262 ter I du CGI</xsl:when>
      <xsl:when test="$category = 'G'">Exportation exonérée, article 262 I du CGI</xsl:when>
      <xsl:when test="$category = 'O'">Non soumis à la TVA</xsl:when>
    </xsl:choose>
  </xsl:template>

</xsl:stylesheet>
