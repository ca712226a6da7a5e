<?xml version="1.0" encoding="UTF-8"?>
<!--
  erp-to-cii.xsl: chorusgw ERP invoice export (urn:chorusgw:erp:1, see
  erp-invoice.xsd and chorusgw-erp(5)) to UN/CEFACT Cross Industry Invoice
  D16B (rsm:CrossIndustryInvoice) for Chorus Pro.

  type invoice / credit-note / corrective / prepayment -> TypeCode 380 / 381 /
  384 / 386. A credit note keeps the same root and its amounts as given
  (positive).

  XSLT 1.0 with two EXSLT functions, exsl:node-set and set:distinct (libxslt,
  xsltproc, Saxon 6, Xalan), used once, to find the VAT groups in linear time.
  Self-contained on purpose: copy it to start your own mapping.

  Parameters, all strings; an empty string means the default:
    siret_scheme           ISO 6523 ICD written as schemeID of the SIRET, in
                           ram:GlobalID (seller BT-29, buyer BT-46, payee
                           BT-60) and in ram:SpecifiedLegalOrganization/ram:ID
                           (BT-30, BT-47, BT-61), where Chorus Pro reads it.
                           Default 0009. Chorus Pro's native code "1" fails
                           the EN 16931 code list rules BR-CL-10/11.
    supplier_iban          IBAN to be paid (BT-84) when the export has no iban
                           (neither supplier/iban nor payee/iban): the "RIB
                           transmis" configured per supplier establishment.
                           Default none.
    supplier_bic           BIC (BT-86) going with supplier_iban. Default none.
    supplier_iban_name     account holder (BT-85) going with supplier_iban.
                           Default none.
    default_cadre          cadre de facturation (BT-23, BusinessProcess
                           context parameter) when the export has no cadre.
                           Default A1.
    default_payment_means  payment means code (BT-81) of an invoice whose
                           export has no payment-means. Default 30 (credit
                           transfer). Never applied to credit notes.
    customization_id       Guideline context parameter (BT-24). Default
                           urn:cen.eu:en16931:2017.
    route                  chorus (Chorus Pro direct: CII D16B) or pa (a
                           Plateforme Agréée: CII D22B, XP Z12-012). On pa,
                           BT-23 is the reform's billing mode instead of the
                           cadre (see bt23 below), BT-30, BT-47 and BT-61 the
                           SIREN (scheme 0002) instead of the SIRET, and
                           several preceding invoices may be referenced.
                           Default chorus.

  Placement for Chorus Pro (HACKING.md): cadre in
  ExchangedDocumentContext/BusinessProcessSpecifiedDocumentContextParameter/
  ram:ID, SIRET in SpecifiedLegalOrganization/ram:ID[@schemeID] (and in
  ram:GlobalID[@schemeID]), service code in ApplicableHeaderTradeAgreement/
  ram:BuyerReference, engagement in BuyerOrderReferencedDocument/
  ram:IssuerAssignedID, contract in ContractReferencedDocument/
  ram:IssuerAssignedID, IBAN in SpecifiedTradeSettlementPaymentMeans/
  PayeePartyCreditorFinancialAccount/ram:IBANID.

  Amounts are written with 2 decimals and, as EN 16931 wants for CII, without
  currencyID except on TaxTotalAmount. Quantities up to 4 decimals, prices 2 to
  6, rates without trailing zeros. The VAT breakdown is copied from the export,
  or computed (in integer cents) when the export has none. Totals are copied,
  never corrected. Attachments are referenced (BT-122, BT-123, TypeCode 916);
  the content (BT-125) is added later by chorusgw.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:e="urn:chorusgw:erp:1"
    xmlns:exsl="http://exslt.org/common"
    xmlns:set="http://exslt.org/sets"
    xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
    xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
    exclude-result-prefixes="e exsl set">

  <xsl:output method="xml" encoding="UTF-8" indent="yes"/>
  <xsl:strip-space elements="*"/>

  <xsl:param name="siret_scheme" select="'0009'"/>
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
    </xsl:choose>
  </xsl:variable>

  <!-- BT-8 in CII (UNTDID 2475). -->
  <xsl:variable name="vat-due-code">
    <xsl:choose>
      <xsl:when test="normalize-space($inv/e:vat-due-on) = 'invoice'">5</xsl:when>
      <xsl:when test="normalize-space($inv/e:vat-due-on) = 'delivery'">29</xsl:when>
      <xsl:when test="normalize-space($inv/e:vat-due-on) = 'payment'">72</xsl:when>
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
      <xsl:message terminate="yes">erp-to-cii: the root element must be {urn:chorusgw:erp:1}invoice</xsl:message>
    </xsl:if>
    <xsl:if test="not($doc-type = 'invoice' or $doc-type = 'credit-note' or $doc-type = 'corrective' or $doc-type = 'prepayment')">
      <xsl:message terminate="yes">erp-to-cii: unknown type "<xsl:value-of select="$doc-type"/>" (expected invoice, credit-note, corrective or prepayment)</xsl:message>
    </xsl:if>
    <xsl:if test="$route != 'pa' and count(e:invoice/e:preceding-invoice) &gt; 1">
      <xsl:message terminate="yes">erp-to-cii: CII D16B (Chorus Pro) carries one preceding invoice, this export has <xsl:value-of select="count(e:invoice/e:preceding-invoice)"/>; send it in UBL, or through a Plateforme Agréée (CII D22B)</xsl:message>
    </xsl:if>
    <xsl:call-template name="supplier-identifier-type">
      <xsl:with-param name="me" select="'erp-to-cii'"/>
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
    <rsm:CrossIndustryInvoice
        xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
        xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
        xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
        xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100">
      <rsm:ExchangedDocumentContext>
        <xsl:if test="string($bt23) != ''">
          <ram:BusinessProcessSpecifiedDocumentContextParameter>
            <ram:ID><xsl:value-of select="$bt23"/></ram:ID>
          </ram:BusinessProcessSpecifiedDocumentContextParameter>
        </xsl:if>
        <ram:GuidelineSpecifiedDocumentContextParameter>
          <ram:ID><xsl:value-of select="$p-customization"/></ram:ID>
        </ram:GuidelineSpecifiedDocumentContextParameter>
      </rsm:ExchangedDocumentContext>
      <rsm:ExchangedDocument>
        <ram:ID><xsl:value-of select="normalize-space(e:number)"/></ram:ID>
        <ram:TypeCode>
          <xsl:choose>
            <xsl:when test="$is-cn">381</xsl:when>
            <xsl:when test="$doc-type = 'corrective'">384</xsl:when>
            <xsl:when test="$doc-type = 'prepayment'">386</xsl:when>
            <xsl:otherwise>380</xsl:otherwise>
          </xsl:choose>
        </ram:TypeCode>
        <ram:IssueDateTime>
          <xsl:call-template name="udt-date"><xsl:with-param name="d" select="e:issue-date"/></xsl:call-template>
        </ram:IssueDateTime>
        <xsl:for-each select="e:note">
          <ram:IncludedNote>
            <ram:Content><xsl:value-of select="."/></ram:Content>
            <xsl:if test="@subject">
              <ram:SubjectCode><xsl:value-of select="normalize-space(@subject)"/></ram:SubjectCode>
            </xsl:if>
          </ram:IncludedNote>
        </xsl:for-each>
        <xsl:if test="e:engagement and e:purchase-order">
          <ram:IncludedNote>
            <ram:Content><xsl:value-of select="concat('Bon de commande : ', normalize-space(e:purchase-order))"/></ram:Content>
            <ram:SubjectCode>PUR</ram:SubjectCode>
          </ram:IncludedNote>
        </xsl:if>
      </rsm:ExchangedDocument>
      <rsm:SupplyChainTradeTransaction>
        <xsl:apply-templates select="e:line"/>
        <xsl:call-template name="header-agreement"/>
        <xsl:call-template name="header-delivery"/>
        <xsl:call-template name="header-settlement"/>
      </rsm:SupplyChainTradeTransaction>
    </rsm:CrossIndustryInvoice>
  </xsl:template>

  <!-- ============================================================== -->
  <!-- Header: agreement, delivery, settlement                        -->
  <!-- ============================================================== -->

  <xsl:template name="header-agreement">
    <ram:ApplicableHeaderTradeAgreement>
      <xsl:if test="e:buyer/e:service-code">
        <ram:BuyerReference><xsl:value-of select="normalize-space(e:buyer/e:service-code)"/></ram:BuyerReference>
      </xsl:if>
      <xsl:apply-templates select="e:supplier"/>
      <xsl:apply-templates select="e:buyer"/>
      <xsl:apply-templates select="e:tax-representative"/>
      <xsl:if test="e:engagement or e:purchase-order">
        <ram:BuyerOrderReferencedDocument>
          <ram:IssuerAssignedID><xsl:value-of select="normalize-space((e:engagement | e:purchase-order)[1])"/></ram:IssuerAssignedID>
        </ram:BuyerOrderReferencedDocument>
      </xsl:if>
      <xsl:if test="e:contract">
        <ram:ContractReferencedDocument>
          <ram:IssuerAssignedID><xsl:value-of select="normalize-space(e:contract)"/></ram:IssuerAssignedID>
        </ram:ContractReferencedDocument>
      </xsl:if>
      <xsl:for-each select="e:attachment">
        <ram:AdditionalReferencedDocument>
          <!-- the reference the ERP gave, else the file name -->
          <ram:IssuerAssignedID>
            <xsl:choose>
              <xsl:when test="normalize-space(e:id)"><xsl:value-of select="normalize-space(e:id)"/></xsl:when>
              <xsl:otherwise><xsl:value-of select="normalize-space(e:file)"/></xsl:otherwise>
            </xsl:choose>
          </ram:IssuerAssignedID>
          <ram:TypeCode>916</ram:TypeCode>
          <xsl:if test="e:description">
            <ram:Name><xsl:value-of select="normalize-space(e:description)"/></ram:Name>
          </xsl:if>
        </ram:AdditionalReferencedDocument>
      </xsl:for-each>
      <xsl:for-each select="e:lot">
        <ram:AdditionalReferencedDocument>
          <ram:IssuerAssignedID><xsl:value-of select="normalize-space(.)"/></ram:IssuerAssignedID>
          <ram:TypeCode>50</ram:TypeCode>
        </ram:AdditionalReferencedDocument>
      </xsl:for-each>
      <xsl:for-each select="e:invoiced-object">
        <ram:AdditionalReferencedDocument>
          <ram:IssuerAssignedID><xsl:value-of select="normalize-space(.)"/></ram:IssuerAssignedID>
          <ram:TypeCode>130</ram:TypeCode>
          <xsl:if test="@scheme">
            <ram:ReferenceTypeCode><xsl:value-of select="normalize-space(@scheme)"/></ram:ReferenceTypeCode>
          </xsl:if>
        </ram:AdditionalReferencedDocument>
      </xsl:for-each>
      <xsl:for-each select="e:project">
        <!-- CII needs a name; EN 16931 carries none (BT-11 is an identifier) -->
        <ram:SpecifiedProcuringProject>
          <ram:ID><xsl:value-of select="normalize-space(.)"/></ram:ID>
          <ram:Name>Project reference</ram:Name>
        </ram:SpecifiedProcuringProject>
      </xsl:for-each>
    </ram:ApplicableHeaderTradeAgreement>
  </xsl:template>

  <xsl:template name="header-delivery">
    <ram:ApplicableHeaderTradeDelivery>
      <xsl:for-each select="e:delivery">
        <xsl:if test="e:name or e:address">
          <ram:ShipToTradeParty>
            <xsl:if test="e:name">
              <ram:Name><xsl:value-of select="normalize-space(e:name)"/></ram:Name>
            </xsl:if>
            <xsl:apply-templates select="e:address"/>
          </ram:ShipToTradeParty>
        </xsl:if>
        <xsl:if test="e:date">
          <ram:ActualDeliverySupplyChainEvent>
            <ram:OccurrenceDateTime>
              <xsl:call-template name="udt-date"><xsl:with-param name="d" select="e:date"/></xsl:call-template>
            </ram:OccurrenceDateTime>
          </ram:ActualDeliverySupplyChainEvent>
        </xsl:if>
      </xsl:for-each>
      <xsl:for-each select="e:despatch-advice">
        <ram:DespatchAdviceReferencedDocument>
          <ram:IssuerAssignedID><xsl:value-of select="normalize-space(.)"/></ram:IssuerAssignedID>
        </ram:DespatchAdviceReferencedDocument>
      </xsl:for-each>
      <xsl:for-each select="e:receiving-advice">
        <ram:ReceivingAdviceReferencedDocument>
          <ram:IssuerAssignedID><xsl:value-of select="normalize-space(.)"/></ram:IssuerAssignedID>
        </ram:ReceivingAdviceReferencedDocument>
      </xsl:for-each>
    </ram:ApplicableHeaderTradeDelivery>
  </xsl:template>

  <xsl:template name="header-settlement">
    <ram:ApplicableHeaderTradeSettlement>
      <xsl:for-each select="e:direct-debit/e:creditor-id">
        <ram:CreditorReferenceID><xsl:value-of select="normalize-space(.)"/></ram:CreditorReferenceID>
      </xsl:for-each>
      <xsl:if test="string($means-code) != '' and e:payment-reference">
        <ram:PaymentReference><xsl:value-of select="normalize-space(e:payment-reference)"/></ram:PaymentReference>
      </xsl:if>
      <xsl:if test="e:totals/e:vat-total-accounting">
        <ram:TaxCurrencyCode><xsl:value-of select="normalize-space(e:totals/e:vat-total-accounting/@currency)"/></ram:TaxCurrencyCode>
      </xsl:if>
      <ram:InvoiceCurrencyCode><xsl:value-of select="$currency"/></ram:InvoiceCurrencyCode>
      <xsl:apply-templates select="e:payee"/>
      <xsl:if test="string($means-code) != ''">
        <ram:SpecifiedTradeSettlementPaymentMeans>
          <ram:TypeCode><xsl:value-of select="$means-code"/></ram:TypeCode>
          <xsl:for-each select="e:card">
            <ram:ApplicableTradeSettlementFinancialCard>
              <ram:ID><xsl:value-of select="normalize-space(e:pan)"/></ram:ID>
              <xsl:if test="e:holder">
                <ram:CardholderName><xsl:value-of select="normalize-space(e:holder)"/></ram:CardholderName>
              </xsl:if>
            </ram:ApplicableTradeSettlementFinancialCard>
          </xsl:for-each>
          <xsl:for-each select="e:direct-debit/e:debited-account">
            <ram:PayerPartyDebtorFinancialAccount>
              <ram:IBANID><xsl:value-of select="normalize-space(.)"/></ram:IBANID>
            </ram:PayerPartyDebtorFinancialAccount>
          </xsl:for-each>
          <xsl:if test="string($acct-iban) != '' and contains(' 30 31 42 58 ', concat(' ', $means-code, ' '))">
            <ram:PayeePartyCreditorFinancialAccount>
              <ram:IBANID><xsl:value-of select="$acct-iban"/></ram:IBANID>
              <xsl:if test="string($acct-name) != ''">
                <ram:AccountName><xsl:value-of select="$acct-name"/></ram:AccountName>
              </xsl:if>
            </ram:PayeePartyCreditorFinancialAccount>
            <xsl:if test="string($acct-bic) != ''">
              <ram:PayeeSpecifiedCreditorFinancialInstitution>
                <ram:BICID><xsl:value-of select="$acct-bic"/></ram:BICID>
              </ram:PayeeSpecifiedCreditorFinancialInstitution>
            </xsl:if>
          </xsl:if>
        </ram:SpecifiedTradeSettlementPaymentMeans>
      </xsl:if>
      <xsl:call-template name="vat-breakdown"/>
      <xsl:if test="e:period">
        <ram:BillingSpecifiedPeriod>
          <xsl:call-template name="period-dates"><xsl:with-param name="period" select="e:period"/></xsl:call-template>
        </ram:BillingSpecifiedPeriod>
      </xsl:if>
      <xsl:for-each select="e:allowance | e:charge">
        <ram:SpecifiedTradeAllowanceCharge>
          <xsl:call-template name="allowance-charge-body"/>
          <ram:CategoryTradeTax>
            <xsl:call-template name="trade-tax-category">
              <xsl:with-param name="category" select="normalize-space(e:vat-category)"/>
              <xsl:with-param name="rate" select="e:vat-rate"/>
            </xsl:call-template>
          </ram:CategoryTradeTax>
        </ram:SpecifiedTradeAllowanceCharge>
      </xsl:for-each>
      <xsl:if test="e:payment-terms or e:due-date or e:direct-debit">
        <ram:SpecifiedTradePaymentTerms>
          <xsl:if test="e:payment-terms">
            <ram:Description><xsl:value-of select="e:payment-terms"/></ram:Description>
          </xsl:if>
          <xsl:if test="e:due-date">
            <ram:DueDateDateTime>
              <xsl:call-template name="udt-date"><xsl:with-param name="d" select="e:due-date"/></xsl:call-template>
            </ram:DueDateDateTime>
          </xsl:if>
          <xsl:for-each select="e:direct-debit/e:mandate">
            <ram:DirectDebitMandateID><xsl:value-of select="normalize-space(.)"/></ram:DirectDebitMandateID>
          </xsl:for-each>
        </ram:SpecifiedTradePaymentTerms>
      </xsl:if>
      <xsl:apply-templates select="e:totals"/>
      <xsl:for-each select="e:preceding-invoice">
        <ram:InvoiceReferencedDocument>
          <ram:IssuerAssignedID><xsl:value-of select="normalize-space(e:number)"/></ram:IssuerAssignedID>
          <xsl:if test="e:issue-date">
            <ram:FormattedIssueDateTime>
              <qdt:DateTimeString format="102"><xsl:value-of select="translate(normalize-space(e:issue-date), '-', '')"/></qdt:DateTimeString>
            </ram:FormattedIssueDateTime>
          </xsl:if>
        </ram:InvoiceReferencedDocument>
      </xsl:for-each>
      <xsl:for-each select="e:accounting-reference">
        <ram:ReceivableSpecifiedTradeAccountingAccount>
          <ram:ID><xsl:value-of select="normalize-space(.)"/></ram:ID>
        </ram:ReceivableSpecifiedTradeAccountingAccount>
      </xsl:for-each>
    </ram:ApplicableHeaderTradeSettlement>
  </xsl:template>

  <!-- ============================================================== -->
  <!-- Parties                                                        -->
  <!-- ============================================================== -->

  <xsl:template match="e:supplier">
    <ram:SellerTradeParty>
      <xsl:call-template name="trade-party"/>
    </ram:SellerTradeParty>
  </xsl:template>

  <xsl:template match="e:buyer">
    <ram:BuyerTradeParty>
      <xsl:call-template name="trade-party"/>
    </ram:BuyerTradeParty>
  </xsl:template>

  <!-- A party's legal registration identifier (BT-30, BT-47, BT-61): the SIRET,
       where Chorus Pro reads it; on a Plateforme Agréée's route the SIREN, scheme
       0002, as the reform wants it (BR-FR-09, BR-FR-10, BR-FR-11). -->
  <xsl:template name="legal-id">
    <xsl:choose>
      <xsl:when test="e:identifier">
        <xsl:call-template name="identifier">
          <xsl:with-param name="name" select="'ram:ID'"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:when test="$route = 'pa'">
        <ram:ID schemeID="0002"><xsl:value-of select="substring(normalize-space(e:siret), 1, 9)"/></ram:ID>
      </xsl:when>
      <xsl:otherwise>
        <ram:ID schemeID="{$p-siret-scheme}"><xsl:value-of select="normalize-space(e:siret)"/></ram:ID>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- TradePartyType content, CII order: GlobalID, Name, Description,
       SpecifiedLegalOrganization, DefinedTradeContact, PostalTradeAddress,
       SpecifiedTaxRegistration. -->
  <xsl:template name="trade-party">
    <xsl:choose>
      <!-- BT-29 without a scheme is ram:ID, with one ram:GlobalID -->
      <xsl:when test="e:identifier">
        <xsl:variable name="s"><xsl:call-template name="identifier-scheme"/></xsl:variable>
        <xsl:call-template name="identifier">
          <xsl:with-param name="name">
            <xsl:choose>
              <xsl:when test="$s = ''">ram:ID</xsl:when>
              <xsl:otherwise>ram:GlobalID</xsl:otherwise>
            </xsl:choose>
          </xsl:with-param>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <ram:GlobalID schemeID="{$p-siret-scheme}"><xsl:value-of select="normalize-space(e:siret)"/></ram:GlobalID>
      </xsl:otherwise>
    </xsl:choose>
    <ram:Name><xsl:value-of select="normalize-space(e:name)"/></ram:Name>
    <xsl:if test="e:legal-form">
      <ram:Description><xsl:value-of select="normalize-space(e:legal-form)"/></ram:Description>
    </xsl:if>
    <ram:SpecifiedLegalOrganization>
      <xsl:call-template name="legal-id"/>
      <xsl:if test="e:trade-name">
        <ram:TradingBusinessName><xsl:value-of select="normalize-space(e:trade-name)"/></ram:TradingBusinessName>
      </xsl:if>
    </ram:SpecifiedLegalOrganization>
    <xsl:apply-templates select="e:contact"/>
    <xsl:apply-templates select="e:address"/>
    <xsl:for-each select="e:electronic-address">
      <ram:URIUniversalCommunication>
        <ram:URIID schemeID="{normalize-space(@scheme)}"><xsl:value-of select="normalize-space(.)"/></ram:URIID>
      </ram:URIUniversalCommunication>
    </xsl:for-each>
    <xsl:if test="e:vat-id">
      <ram:SpecifiedTaxRegistration>
        <ram:ID schemeID="VA"><xsl:value-of select="normalize-space(e:vat-id)"/></ram:ID>
      </ram:SpecifiedTaxRegistration>
    </xsl:if>
    <xsl:if test="e:tax-registration-id">
      <ram:SpecifiedTaxRegistration>
        <ram:ID schemeID="FC"><xsl:value-of select="normalize-space(e:tax-registration-id)"/></ram:ID>
      </ram:SpecifiedTaxRegistration>
    </xsl:if>
  </xsl:template>

  <xsl:template match="e:tax-representative">
    <ram:SellerTaxRepresentativeTradeParty>
      <ram:Name><xsl:value-of select="normalize-space(e:name)"/></ram:Name>
      <xsl:apply-templates select="e:address"/>
      <ram:SpecifiedTaxRegistration>
        <ram:ID schemeID="VA"><xsl:value-of select="normalize-space(e:vat-id)"/></ram:ID>
      </ram:SpecifiedTaxRegistration>
    </ram:SellerTaxRepresentativeTradeParty>
  </xsl:template>

  <xsl:template match="e:payee">
    <ram:PayeeTradeParty>
      <xsl:if test="e:siret">
        <ram:GlobalID schemeID="{$p-siret-scheme}"><xsl:value-of select="normalize-space(e:siret)"/></ram:GlobalID>
      </xsl:if>
      <ram:Name><xsl:value-of select="normalize-space(e:name)"/></ram:Name>
      <xsl:if test="e:siret">
        <ram:SpecifiedLegalOrganization>
          <xsl:call-template name="legal-id"/>
        </ram:SpecifiedLegalOrganization>
      </xsl:if>
    </ram:PayeeTradeParty>
  </xsl:template>

  <xsl:template match="e:address">
    <ram:PostalTradeAddress>
      <xsl:if test="e:postcode">
        <ram:PostcodeCode><xsl:value-of select="normalize-space(e:postcode)"/></ram:PostcodeCode>
      </xsl:if>
      <xsl:if test="e:line1">
        <ram:LineOne><xsl:value-of select="normalize-space(e:line1)"/></ram:LineOne>
      </xsl:if>
      <xsl:if test="e:line2">
        <ram:LineTwo><xsl:value-of select="normalize-space(e:line2)"/></ram:LineTwo>
      </xsl:if>
      <xsl:if test="e:line3">
        <ram:LineThree><xsl:value-of select="normalize-space(e:line3)"/></ram:LineThree>
      </xsl:if>
      <xsl:if test="e:city">
        <ram:CityName><xsl:value-of select="normalize-space(e:city)"/></ram:CityName>
      </xsl:if>
      <ram:CountryID><xsl:value-of select="normalize-space(e:country)"/></ram:CountryID>
      <xsl:if test="e:subdivision">
        <ram:CountrySubDivisionName><xsl:value-of select="normalize-space(e:subdivision)"/></ram:CountrySubDivisionName>
      </xsl:if>
    </ram:PostalTradeAddress>
  </xsl:template>

  <xsl:template match="e:contact">
    <ram:DefinedTradeContact>
      <xsl:if test="e:name">
        <ram:PersonName><xsl:value-of select="normalize-space(e:name)"/></ram:PersonName>
      </xsl:if>
      <xsl:if test="e:phone">
        <ram:TelephoneUniversalCommunication>
          <ram:CompleteNumber><xsl:value-of select="normalize-space(e:phone)"/></ram:CompleteNumber>
        </ram:TelephoneUniversalCommunication>
      </xsl:if>
      <xsl:if test="e:email">
        <ram:EmailURIUniversalCommunication>
          <ram:URIID><xsl:value-of select="normalize-space(e:email)"/></ram:URIID>
        </ram:EmailURIUniversalCommunication>
      </xsl:if>
    </ram:DefinedTradeContact>
  </xsl:template>

  <!-- ============================================================== -->
  <!-- VAT                                                            -->
  <!-- ============================================================== -->

  <!-- TypeCode, CategoryCode, RateApplicablePercent (never for O). -->
  <xsl:template name="trade-tax-category">
    <xsl:param name="category"/>
    <xsl:param name="rate"/>
    <ram:TypeCode>VAT</ram:TypeCode>
    <ram:CategoryCode><xsl:value-of select="$category"/></ram:CategoryCode>
    <xsl:if test="$category != 'O' and string($rate) != ''">
      <ram:RateApplicablePercent><xsl:value-of select="format-number(number($rate), '0.##')"/></ram:RateApplicablePercent>
    </xsl:if>
  </xsl:template>

  <!-- One header ram:ApplicableTradeTax (BG-23), CII order. -->
  <xsl:template name="trade-tax">
    <xsl:param name="category"/>
    <xsl:param name="rate"/>
    <xsl:param name="taxable"/>
    <xsl:param name="tax"/>
    <xsl:variable name="exempt" select="$category != 'S' and $category != 'Z'"/>
    <xsl:variable name="ex" select="$inv/e:vat-exemption[normalize-space(e:vat-category) = $category]"/>
    <xsl:variable name="code">
      <xsl:if test="$exempt">
        <xsl:choose>
          <xsl:when test="$ex"><xsl:value-of select="normalize-space($ex/e:code)"/></xsl:when>
          <xsl:otherwise><xsl:call-template name="default-exemption-code"><xsl:with-param name="category" select="$category"/></xsl:call-template></xsl:otherwise>
        </xsl:choose>
      </xsl:if>
    </xsl:variable>
    <xsl:variable name="text">
      <xsl:if test="$exempt">
        <xsl:choose>
          <xsl:when test="$ex"><xsl:value-of select="normalize-space($ex/e:reason)"/></xsl:when>
          <xsl:otherwise><xsl:call-template name="default-exemption-text"><xsl:with-param name="category" select="$category"/></xsl:call-template></xsl:otherwise>
        </xsl:choose>
      </xsl:if>
    </xsl:variable>
    <ram:ApplicableTradeTax>
      <ram:CalculatedAmount><xsl:value-of select="$tax"/></ram:CalculatedAmount>
      <ram:TypeCode>VAT</ram:TypeCode>
      <xsl:if test="string($text) != ''">
        <ram:ExemptionReason><xsl:value-of select="$text"/></ram:ExemptionReason>
      </xsl:if>
      <ram:BasisAmount><xsl:value-of select="$taxable"/></ram:BasisAmount>
      <ram:CategoryCode><xsl:value-of select="$category"/></ram:CategoryCode>
      <xsl:if test="string($code) != ''">
        <ram:ExemptionReasonCode><xsl:value-of select="$code"/></ram:ExemptionReasonCode>
      </xsl:if>
      <xsl:if test="$inv/e:vat-point-date">
        <!-- a date, not a date-time: udt:DateString -->
        <ram:TaxPointDate>
          <udt:DateString format="102"><xsl:value-of select="translate(normalize-space($inv/e:vat-point-date), '-', '')"/></udt:DateString>
        </ram:TaxPointDate>
      </xsl:if>
      <xsl:if test="string($vat-due-code) != ''">
        <ram:DueDateTypeCode><xsl:value-of select="$vat-due-code"/></ram:DueDateTypeCode>
      </xsl:if>
      <xsl:if test="$category != 'O' and string($rate) != ''">
        <ram:RateApplicablePercent><xsl:value-of select="format-number(number($rate), '0.##')"/></ram:RateApplicablePercent>
      </xsl:if>
    </ram:ApplicableTradeTax>
  </xsl:template>

  <!-- BG-23: as given by the export, else computed per (category, rate)
       in order of first appearance. -->
  <xsl:template name="vat-breakdown">
    <xsl:choose>
      <xsl:when test="e:vat-breakdown">
        <xsl:for-each select="e:vat-breakdown">
          <xsl:call-template name="trade-tax">
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
          <xsl:call-template name="trade-tax">
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
    <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
      <ram:LineTotalAmount>
        <xsl:choose>
          <xsl:when test="e:line-total">
            <xsl:call-template name="amount"><xsl:with-param name="v" select="e:line-total"/></xsl:call-template>
          </xsl:when>
          <xsl:otherwise>
            <xsl:call-template name="sum-amount"><xsl:with-param name="nodes" select="$doc/e:line/e:net-amount"/></xsl:call-template>
          </xsl:otherwise>
        </xsl:choose>
      </ram:LineTotalAmount>
      <xsl:choose>
        <xsl:when test="e:charge-total">
          <ram:ChargeTotalAmount>
            <xsl:call-template name="amount"><xsl:with-param name="v" select="e:charge-total"/></xsl:call-template>
          </ram:ChargeTotalAmount>
        </xsl:when>
        <xsl:when test="$doc/e:charge">
          <ram:ChargeTotalAmount>
            <xsl:call-template name="sum-amount"><xsl:with-param name="nodes" select="$doc/e:charge/e:amount"/></xsl:call-template>
          </ram:ChargeTotalAmount>
        </xsl:when>
      </xsl:choose>
      <xsl:choose>
        <xsl:when test="e:allowance-total">
          <ram:AllowanceTotalAmount>
            <xsl:call-template name="amount"><xsl:with-param name="v" select="e:allowance-total"/></xsl:call-template>
          </ram:AllowanceTotalAmount>
        </xsl:when>
        <xsl:when test="$doc/e:allowance">
          <ram:AllowanceTotalAmount>
            <xsl:call-template name="sum-amount"><xsl:with-param name="nodes" select="$doc/e:allowance/e:amount"/></xsl:call-template>
          </ram:AllowanceTotalAmount>
        </xsl:when>
      </xsl:choose>
      <ram:TaxBasisTotalAmount>
        <xsl:call-template name="amount"><xsl:with-param name="v" select="e:total-without-vat"/></xsl:call-template>
      </ram:TaxBasisTotalAmount>
      <ram:TaxTotalAmount currencyID="{$currency}">
        <xsl:call-template name="amount"><xsl:with-param name="v" select="e:vat-total"/></xsl:call-template>
      </ram:TaxTotalAmount>
      <xsl:for-each select="e:vat-total-accounting">
        <ram:TaxTotalAmount currencyID="{normalize-space(@currency)}">
          <xsl:call-template name="amount"><xsl:with-param name="v" select="."/></xsl:call-template>
        </ram:TaxTotalAmount>
      </xsl:for-each>
      <xsl:if test="e:rounding">
        <ram:RoundingAmount>
          <xsl:call-template name="amount"><xsl:with-param name="v" select="e:rounding"/></xsl:call-template>
        </ram:RoundingAmount>
      </xsl:if>
      <ram:GrandTotalAmount>
        <xsl:call-template name="amount"><xsl:with-param name="v" select="e:total-with-vat"/></xsl:call-template>
      </ram:GrandTotalAmount>
      <xsl:if test="e:prepaid">
        <ram:TotalPrepaidAmount>
          <xsl:call-template name="amount"><xsl:with-param name="v" select="e:prepaid"/></xsl:call-template>
        </ram:TotalPrepaidAmount>
      </xsl:if>
      <ram:DuePayableAmount>
        <xsl:call-template name="amount"><xsl:with-param name="v" select="e:payable"/></xsl:call-template>
      </ram:DuePayableAmount>
    </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </xsl:template>

  <!-- ============================================================== -->
  <!-- Lines                                                          -->
  <!-- ============================================================== -->

  <xsl:template match="e:line">
    <xsl:variable name="unit" select="normalize-space(e:unit)"/>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument>
        <ram:LineID><xsl:value-of select="normalize-space(e:id)"/></ram:LineID>
        <xsl:if test="e:note">
          <ram:IncludedNote>
            <ram:Content><xsl:value-of select="e:note"/></ram:Content>
          </ram:IncludedNote>
        </xsl:if>
      </ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct>
        <xsl:for-each select="e:standard-item-id">
          <ram:GlobalID schemeID="{normalize-space(@scheme)}"><xsl:value-of select="normalize-space(.)"/></ram:GlobalID>
        </xsl:for-each>
        <xsl:if test="e:seller-item-id">
          <ram:SellerAssignedID><xsl:value-of select="normalize-space(e:seller-item-id)"/></ram:SellerAssignedID>
        </xsl:if>
        <ram:Name><xsl:value-of select="normalize-space(e:name)"/></ram:Name>
        <xsl:if test="e:description">
          <ram:Description><xsl:value-of select="e:description"/></ram:Description>
        </xsl:if>
        <xsl:for-each select="e:classification">
          <ram:DesignatedProductClassification>
            <ram:ClassCode listID="{normalize-space(@scheme)}">
              <xsl:if test="@version">
                <xsl:attribute name="listVersionID"><xsl:value-of select="normalize-space(@version)"/></xsl:attribute>
              </xsl:if>
              <xsl:value-of select="normalize-space(.)"/>
            </ram:ClassCode>
          </ram:DesignatedProductClassification>
        </xsl:for-each>
      </ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <xsl:if test="e:order-line">
          <ram:BuyerOrderReferencedDocument>
            <ram:LineID><xsl:value-of select="normalize-space(e:order-line)"/></ram:LineID>
          </ram:BuyerOrderReferencedDocument>
        </xsl:if>
        <xsl:if test="e:gross-price">
          <ram:GrossPriceProductTradePrice>
            <ram:ChargeAmount>
              <xsl:call-template name="price"><xsl:with-param name="v" select="e:gross-price"/></xsl:call-template>
            </ram:ChargeAmount>
            <xsl:call-template name="basis-quantity"><xsl:with-param name="unit" select="$unit"/></xsl:call-template>
            <ram:AppliedTradeAllowanceCharge>
              <ram:ChargeIndicator><udt:Indicator>false</udt:Indicator></ram:ChargeIndicator>
              <ram:ActualAmount>
                <xsl:call-template name="price"><xsl:with-param name="v" select="number(e:gross-price) - number(e:price)"/></xsl:call-template>
              </ram:ActualAmount>
            </ram:AppliedTradeAllowanceCharge>
          </ram:GrossPriceProductTradePrice>
        </xsl:if>
        <ram:NetPriceProductTradePrice>
          <ram:ChargeAmount>
            <xsl:call-template name="price"><xsl:with-param name="v" select="e:price"/></xsl:call-template>
          </ram:ChargeAmount>
          <xsl:call-template name="basis-quantity"><xsl:with-param name="unit" select="$unit"/></xsl:call-template>
        </ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery>
        <ram:BilledQuantity unitCode="{$unit}">
          <xsl:call-template name="quantity"><xsl:with-param name="v" select="e:quantity"/></xsl:call-template>
        </ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax>
          <xsl:call-template name="trade-tax-category">
            <xsl:with-param name="category" select="normalize-space(e:vat-category)"/>
            <xsl:with-param name="rate" select="e:vat-rate"/>
          </xsl:call-template>
        </ram:ApplicableTradeTax>
        <xsl:if test="e:period">
          <ram:BillingSpecifiedPeriod>
            <xsl:call-template name="period-dates"><xsl:with-param name="period" select="e:period"/></xsl:call-template>
          </ram:BillingSpecifiedPeriod>
        </xsl:if>
        <xsl:for-each select="e:allowance | e:charge">
          <ram:SpecifiedTradeAllowanceCharge>
            <xsl:call-template name="allowance-charge-body"/>
          </ram:SpecifiedTradeAllowanceCharge>
        </xsl:for-each>
        <ram:SpecifiedTradeSettlementLineMonetarySummation>
          <ram:LineTotalAmount>
            <xsl:call-template name="amount"><xsl:with-param name="v" select="e:net-amount"/></xsl:call-template>
          </ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
  </xsl:template>

  <xsl:template name="basis-quantity">
    <xsl:param name="unit"/>
    <xsl:if test="e:price-base-quantity">
      <ram:BasisQuantity unitCode="{$unit}">
        <xsl:call-template name="quantity"><xsl:with-param name="v" select="e:price-base-quantity"/></xsl:call-template>
      </ram:BasisQuantity>
    </xsl:if>
  </xsl:template>

  <!-- Shared body of line and document allowances/charges, CII order. -->
  <xsl:template name="allowance-charge-body">
    <ram:ChargeIndicator>
      <udt:Indicator><xsl:value-of select="boolean(self::e:charge)"/></udt:Indicator>
    </ram:ChargeIndicator>
    <xsl:if test="e:percent">
      <ram:CalculationPercent><xsl:value-of select="format-number(number(e:percent), '0.##')"/></ram:CalculationPercent>
    </xsl:if>
    <xsl:if test="e:base-amount">
      <ram:BasisAmount>
        <xsl:call-template name="amount"><xsl:with-param name="v" select="e:base-amount"/></xsl:call-template>
      </ram:BasisAmount>
    </xsl:if>
    <ram:ActualAmount>
      <xsl:call-template name="amount"><xsl:with-param name="v" select="e:amount"/></xsl:call-template>
    </ram:ActualAmount>
    <xsl:if test="e:reason-code">
      <ram:ReasonCode><xsl:value-of select="normalize-space(e:reason-code)"/></ram:ReasonCode>
    </xsl:if>
    <xsl:if test="e:reason">
      <ram:Reason><xsl:value-of select="normalize-space(e:reason)"/></ram:Reason>
    </xsl:if>
  </xsl:template>

  <xsl:template name="period-dates">
    <xsl:param name="period"/>
    <xsl:if test="$period/e:start">
      <ram:StartDateTime>
        <xsl:call-template name="udt-date"><xsl:with-param name="d" select="$period/e:start"/></xsl:call-template>
      </ram:StartDateTime>
    </xsl:if>
    <xsl:if test="$period/e:end">
      <ram:EndDateTime>
        <xsl:call-template name="udt-date"><xsl:with-param name="d" select="$period/e:end"/></xsl:call-template>
      </ram:EndDateTime>
    </xsl:if>
  </xsl:template>

  <!-- YYYY-MM-DD as udt:DateTimeString format 102 (YYYYMMDD). -->
  <xsl:template name="udt-date">
    <xsl:param name="d"/>
    <udt:DateTimeString format="102"><xsl:value-of select="translate(normalize-space($d), '-', '')"/></udt:DateTimeString>
  </xsl:template>

  <!-- ============================================================== -->
  <!-- Helpers (identical in erp-to-ubl.xsl)                          -->
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
