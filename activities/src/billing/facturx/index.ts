export { buildCiiXml, FACTURX_EN16931_GUIDELINE } from './cii';
export { embedFacturX, FACTURX_FILE_NAME, type FacturXMeta } from './pdfa3';
export { pdfA3ConvertOptions, renderPdfA3, stopPdfRenderer } from './pdfa-export';
