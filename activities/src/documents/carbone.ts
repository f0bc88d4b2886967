/**
 * Carbone, loaded once for every document the worker renders (quotes, invoices): its LibreOffice stays warm
 * between documents, and stopCarbone() ends it (worker shutdown, tests — a running LibreOffice keeps the
 * process alive, and a process killed without stopping it leaves LibreOffice behind).
 */

interface CarboneLib {
  render(template: string, data: object, options: object, cb: (err: unknown, result: Buffer) => void): void;
}
interface CarboneConverter {
  convertFile(input: string, format: string, filterOptions: string, output: string, cb: (err: unknown) => void): void;
  exit(cb: () => void): void;
}

export interface Carbone {
  /** Fills a template; `convertTo` has LibreOffice convert the result (e.g. 'pdf'). */
  render(template: string, data: object, options: { convertTo?: string; lang?: string }): Promise<Buffer>;
  /** LibreOffice conversion of a file with a FilterOptions string (what Carbone's render cannot pass). */
  convert(input: string, format: string, filterOptions: string, output: string): Promise<void>;
}

/** Carbone calls back with strings as errors. */
const toError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));

let loaded: { carbone: Carbone; converter: CarboneConverter } | undefined;

/**
 * Carbone finds LibreOffice through PATH when it is first loaded, and LibreOffice must run Debian's python3
 * (the one with uno): both directories go first. Callbacks are written here rather than util.promisify: the
 * converter only calls back a callback that is `instanceof Function` of its own realm, which a promisify
 * callback is not under Jest's module sandbox.
 */
export function carbone(): Carbone {
  if (!loaded) {
    process.env.PATH = `/usr/lib/libreoffice/program:/usr/bin:${process.env.PATH ?? ''}`;
    /* eslint-disable @typescript-eslint/no-require-imports */
    const lib = require('carbone') as CarboneLib;
    const converter = require('carbone/lib/converter') as CarboneConverter;
    /* eslint-enable @typescript-eslint/no-require-imports */
    loaded = {
      converter,
      carbone: {
        render: (template, data, options) => new Promise((resolve, reject) => lib.render(template, data, options, (err, result) => (err ? reject(toError(err)) : resolve(result)))),
        convert: (input, format, filterOptions, output) =>
          new Promise((resolve, reject) => converter.convertFile(input, format, filterOptions, output, (err) => (err ? reject(toError(err)) : resolve()))),
      },
    };
  }
  return loaded.carbone;
}

/** Stops LibreOffice if Carbone started it; the next render starts it again. */
export async function stopCarbone(): Promise<void> {
  if (loaded) await new Promise<void>((resolve) => loaded!.converter.exit(() => resolve()));
}
