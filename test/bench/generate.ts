import { createWriteStream } from 'fs';
import { once } from 'events';
import { prng } from '../support/prng';

const CITIES = [
  'Paris',
  'S%C3%A3o%20Paulo',
  'Z%C3%BCrich',
  'New%20York',
  'K%C3%B8benhavn',
  'Tokyo',
  'M%C3%BCnchen',
  'Lyon',
];
const TIERS = ['gold', 'silver', 'bronze', 'platinum'];
const CATEGORIES = ['shoes%2Cbags', 'home%20%26%20garden', 'books', 'sport%2B', 'toys'];

/**
 * Writes a valid batch file of `rows` rows keyed on thirdPartyId with eight attributes and
 * realistic percent-encoded values, about 98 bytes a row (500,000 rows make about 49 MB).
 */
export async function generateBatchFile(path: string, rows: number): Promise<{ bytes: number }> {
  const rand = prng(20250101);
  const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)];
  const out = createWriteStream(path);
  let bytes = 0;
  let buffer = 'batch=thirdPartyId,age,city,tier,visits,lastCategory,newsletter,score,segment\n';
  for (let i = 0; i < rows; i++) {
    const id = `cust-${(100000000 + i).toString(36)}-${Math.floor(rand() * 1e6)}%40mail.shopexample.com`;
    buffer += `${id},${18 + Math.floor(rand() * 60)},${pick(CITIES)},${pick(TIERS)},${Math.floor(rand() * 500)},${pick(CATEGORIES)},${rand() < 0.5 ? 'yes' : 'no'},${(rand() * 100).toFixed(2)},sg-${Math.floor(rand() * 40)}-promo\n`;
    if (buffer.length > 1 << 20 || i === rows - 1) {
      bytes += Buffer.byteLength(buffer);
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  if (rows === 0) {
    bytes += Buffer.byteLength(buffer);
    out.write(buffer);
  }
  out.end();
  await once(out, 'finish');
  return { bytes };
}
