/**
 * A compact sRGB ICC profile (v2, monitor class, matrix/TRC), built here so a PDF/A output intent needs
 * no binary asset and no system file. Values are those of IEC 61966-2-1, colorants adapted to D50.
 */

const D50: Xyz = [0.9642, 1.0, 0.8249];
const RED: Xyz = [0.4360747, 0.2225045, 0.0139322];
const GREEN: Xyz = [0.3850649, 0.7168786, 0.0971045];
const BLUE: Xyz = [0.1430804, 0.0606169, 0.7141733];
const TRC_POINTS = 256;

type Xyz = [number, number, number];

const ascii = (s: string) => Buffer.from(s, 'latin1');

function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, 4 * i));
  return b;
}

/** s15Fixed16Number, the ICC fixed-point type. */
const s15 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(Math.round(v * 65536));
  return b;
};

const xyzTag = (xyz: Xyz) => Buffer.concat([ascii('XYZ '), u32(0), ...xyz.map(s15)]);

const textTag = (s: string) => Buffer.concat([ascii('text'), u32(0), ascii(`${s}\0`)]);

/** textDescriptionType (v2): ASCII part, empty Unicode and ScriptCode parts. */
const descTag = (s: string) => Buffer.concat([ascii('desc'), u32(0, s.length + 1), ascii(`${s}\0`), u32(0, 0), Buffer.alloc(2 + 1 + 67)]);

/** The sRGB transfer curve (encoded value → linear light) as a sampled table. */
function curveTag(): Buffer {
  const table = Buffer.alloc(2 * TRC_POINTS);
  for (let i = 0; i < TRC_POINTS; i++) {
    const x = i / (TRC_POINTS - 1);
    const y = x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    table.writeUInt16BE(Math.round(y * 65535), 2 * i);
  }
  return Buffer.concat([ascii('curv'), u32(0, TRC_POINTS), table]);
}

const pad4 = (b: Buffer) => (b.length % 4 === 0 ? b : Buffer.concat([b, Buffer.alloc(4 - (b.length % 4))]));

let cached: Buffer | undefined;

export function srgbIccProfile(): Buffer {
  if (cached) return cached;
  const curve = curveTag();
  // [signature, data]; the three TRC tags share one curve (the ICC format allows shared tag data).
  const tags: [string, Buffer][] = [
    ['desc', descTag('sRGB IEC61966-2.1')],
    ['cprt', textTag('No copyright, use freely')],
    ['wtpt', xyzTag(D50)],
    ['rXYZ', xyzTag(RED)],
    ['gXYZ', xyzTag(GREEN)],
    ['bXYZ', xyzTag(BLUE)],
    ['rTRC', curve],
    ['gTRC', curve],
    ['bTRC', curve],
  ];
  const tableSize = 4 + 12 * tags.length;
  const entries: Buffer[] = [];
  const blobs: Buffer[] = [];
  const offsets = new Map<Buffer, number>();
  let offset = 128 + tableSize;
  for (const [signature, data] of tags) {
    if (!offsets.has(data)) {
      offsets.set(data, offset);
      blobs.push(pad4(data));
      offset += pad4(data).length;
    }
    entries.push(Buffer.concat([ascii(signature), u32(offsets.get(data)!, data.length)]));
  }
  const header = Buffer.concat([
    u32(offset, 0, 0x02100000), // size, preferred CMM, version 2.1
    ascii('mntrRGB XYZ '),
    Buffer.from([0x07, 0xea, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]), // creation date 2026-01-01 00:00:00
    ascii('acsp'),
    u32(0, 0, 0, 0, 0, 0, 0), // platform, flags, manufacturer, model, attributes (8 bytes), rendering intent
    ...D50.map(s15), // PCS illuminant
    Buffer.alloc(4 + 16 + 28), // creator, profile ID, reserved
  ]);
  cached = Buffer.concat([header, u32(tags.length), ...entries, ...blobs]);
  return cached;
}
