/**
 * Turns the invoice PDF (PDF/A-3b from LibreOffice, see pdfa-export.ts) into a Factur-X PDF: the CII XML
 * attached as `factur-x.xml` (an associated file of the document), XMP metadata that declares PDF/A-3B and
 * the Factur-X EN 16931 level (with the PDF/A extension schema that describes the fx: properties), an
 * Info dictionary that agrees with the XMP, and an sRGB output intent when the PDF has none.
 */
import { randomBytes } from 'node:crypto';
import { AFRelationship, PDFArray, PDFDocument, PDFHexString, PDFName, PDFRef, PDFString } from 'pdf-lib';
import { create } from 'xmlbuilder2';
import { srgbIccProfile } from './srgb-icc';

export const FACTURX_FILE_NAME = 'factur-x.xml';
const FX_NS = 'urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#';
const PRODUCER = 'Vigie';

export interface FacturXMeta {
  number: string;
  issueDate: string;
  sellerName: string;
  /** The document title, e.g. "Facture F-2026-0042". */
  title: string;
}

const subjectOf = (meta: FacturXMeta) => `${meta.number} (${meta.issueDate}), Factur-X EN 16931`;

/** One property of the Factur-X extension schema, as PDF/A requires it be described. */
const fxProperty = (name: string, description: string) => ({
  '@rdf:parseType': 'Resource',
  'pdfaProperty:name': name,
  'pdfaProperty:valueType': 'Text',
  'pdfaProperty:category': 'external',
  'pdfaProperty:description': description,
});

/** The XMP packet; `date` is the same instant as the Info dictionary's dates (PDF/A wants them equal). */
export function facturXXmp(meta: FacturXMeta, date: Date): string {
  const iso = date.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const alt = (value: string) => ({ 'rdf:Alt': { 'rdf:li': { '@xml:lang': 'x-default', '#': value } } });
  const description = (ns: Record<string, string>, body: object) => ({ '@rdf:about': '', ...Object.fromEntries(Object.entries(ns).map(([k, v]) => [`@xmlns:${k}`, v])), ...body });
  const rdf = {
    'rdf:Description': [
      description({ pdfaid: 'http://www.aiim.org/pdfa/ns/id/' }, { 'pdfaid:part': '3', 'pdfaid:conformance': 'B' }),
      description(
        { dc: 'http://purl.org/dc/elements/1.1/' },
        {
          'dc:format': 'application/pdf',
          'dc:title': alt(meta.title),
          'dc:creator': { 'rdf:Seq': { 'rdf:li': meta.sellerName } },
          'dc:description': alt(subjectOf(meta)),
        },
      ),
      description({ pdf: 'http://ns.adobe.com/pdf/1.3/' }, { 'pdf:Producer': PRODUCER }),
      description({ xmp: 'http://ns.adobe.com/xap/1.0/' }, { 'xmp:CreatorTool': PRODUCER, 'xmp:CreateDate': iso, 'xmp:ModifyDate': iso, 'xmp:MetadataDate': iso }),
      description(
        { fx: FX_NS },
        { 'fx:DocumentType': 'INVOICE', 'fx:DocumentFileName': FACTURX_FILE_NAME, 'fx:Version': '1.0', 'fx:ConformanceLevel': 'EN 16931' },
      ),
      description(
        {
          pdfaExtension: 'http://www.aiim.org/pdfa/ns/extension/',
          pdfaSchema: 'http://www.aiim.org/pdfa/ns/schema#',
          pdfaProperty: 'http://www.aiim.org/pdfa/ns/property#',
        },
        {
          'pdfaExtension:schemas': {
            'rdf:Bag': {
              'rdf:li': {
                '@rdf:parseType': 'Resource',
                'pdfaSchema:schema': 'Factur-X PDFA Extension Schema',
                'pdfaSchema:namespaceURI': FX_NS,
                'pdfaSchema:prefix': 'fx',
                'pdfaSchema:property': {
                  'rdf:Seq': {
                    'rdf:li': [
                      fxProperty('DocumentFileName', 'The name of the embedded XML document'),
                      fxProperty('DocumentType', 'The type of the hybrid document in capital letters, e.g. INVOICE or ORDER'),
                      fxProperty('Version', 'The actual version of the standard applying to the embedded XML document'),
                      fxProperty('ConformanceLevel', 'The conformance level of the embedded XML document'),
                    ],
                  },
                },
              },
            },
          },
        },
      ),
    ],
  };
  return create()
    .ins('xpacket', 'begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"')
    .ele({ 'x:xmpmeta': { '@xmlns:x': 'adobe:ns:meta/', 'rdf:RDF': { '@xmlns:rdf': 'http://www.w3.org/1999/02/22-rdf-syntax-ns#', ...rdf } } })
    .doc()
    .ins('xpacket', 'end="w"')
    .end({ headless: true, prettyPrint: true });
}

/** An sRGB output intent, which PDF/A needs to give device colours a meaning. */
function ensureOutputIntent(pdf: PDFDocument): void {
  const existing = pdf.catalog.lookupMaybe(PDFName.of('OutputIntents'), PDFArray);
  if (existing && existing.size() > 0) return;
  const profile = pdf.context.register(pdf.context.flateStream(srgbIccProfile(), { N: 3 }));
  const intent = pdf.context.obj({
    Type: 'OutputIntent',
    S: 'GTS_PDFA1',
    OutputConditionIdentifier: PDFString.of('sRGB IEC61966-2.1'),
    Info: PDFString.of('sRGB IEC61966-2.1'),
    DestOutputProfile: profile,
  });
  pdf.catalog.set(PDFName.of('OutputIntents'), pdf.context.obj([pdf.context.register(intent)]));
}

export async function embedFacturX(pdf: Uint8Array, xml: string, meta: FacturXMeta): Promise<Uint8Array> {
  // updateMetadata: false, or pdf-lib writes its own producer and dates that the XMP would not match.
  const doc = await PDFDocument.load(pdf, { updateMetadata: false });
  const date = new Date(Math.floor(Date.now() / 1000) * 1000); // whole seconds: the precision both formats keep

  // Alternative: the XML states the same invoice as the PDF (Factur-X allows Data or Alternative for EN 16931).
  await doc.attach(Buffer.from(xml, 'utf8'), FACTURX_FILE_NAME, {
    mimeType: 'text/xml',
    description: 'Factur-X invoice',
    creationDate: date,
    modificationDate: date,
    afRelationship: AFRelationship.Alternative,
  });

  // The source's Info and XMP are replaced, not merged: dropped so the file keeps no stale copy.
  for (const old of [doc.context.trailerInfo.Info, doc.catalog.get(PDFName.of('Metadata'))]) {
    if (old instanceof PDFRef) doc.context.delete(old);
  }

  // A new Info dictionary holding only what the XMP also says (PDF/A: the two must agree).
  doc.context.trailerInfo.Info = doc.context.register(
    doc.context.obj({
      Title: PDFHexString.fromText(meta.title),
      Author: PDFHexString.fromText(meta.sellerName),
      Subject: PDFHexString.fromText(subjectOf(meta)),
      Creator: PDFHexString.fromText(PRODUCER),
      Producer: PDFHexString.fromText(PRODUCER),
      CreationDate: PDFString.fromDate(date),
      ModDate: PDFString.fromDate(date),
    }),
  );
  // Left uncompressed, as XMP is meant to be (tools read it without parsing the PDF).
  const xmp = doc.context.stream(Buffer.from(facturXXmp(meta, date), 'utf8'), { Type: 'Metadata', Subtype: 'XML' });
  doc.catalog.set(PDFName.of('Metadata'), doc.context.register(xmp));
  ensureOutputIntent(doc);
  // PDF/A needs a file identifier; LibreOffice writes one, other producers may not.
  if (!doc.context.trailerInfo.ID) {
    const id = PDFHexString.of(randomBytes(16).toString('hex'));
    doc.context.trailerInfo.ID = doc.context.obj([id, id]);
  }
  return doc.save();
}
