<?xml version="1.0" encoding="UTF-8"?>
<!--
  tests/cen/split.xsl - writes each <test> of a CEN unit test set (the VEFA
  validator's testSet format) as its own document: the invoice inside the test,
  copied as it is, to DIR/ubl/PREFIX-N.xml or DIR/cii/PREFIX-N.xml by its root's
  namespace, so that Saxon and chorusgw see the same files.
  Parameters: dir (output folder), prefix (file name stem).
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:v="http://difi.no/xsd/vefa/validator/1.0"
    xmlns:exsl="http://exslt.org/common" extension-element-prefixes="exsl">
  <xsl:param name="dir"/>
  <xsl:param name="prefix"/>
  <xsl:template match="/">
    <xsl:for-each select="v:testSet/v:test">
      <xsl:variable name="doc" select="*[namespace-uri() != 'http://difi.no/xsd/vefa/validator/1.0']"/>
      <xsl:variable name="syntax">
        <xsl:choose>
          <xsl:when test="starts-with(namespace-uri($doc), 'urn:un:unece')">cii</xsl:when>
          <xsl:otherwise>ubl</xsl:otherwise>
        </xsl:choose>
      </xsl:variable>
      <exsl:document href="{$dir}/{$syntax}/{$prefix}-{position()}.xml" method="xml" encoding="UTF-8">
        <xsl:copy-of select="$doc"/>
      </exsl:document>
    </xsl:for-each>
  </xsl:template>
</xsl:stylesheet>
