// The bodies of the caching-and-compression lab's compression table: an HTML product page, a JSON
// list of orders and a plain-text log, each generated from a fixed seed, so every run (and every
// machine) compresses the same bytes and prints the same sizes.

import { seededRandom } from '../../src/base/index.ts';

const rnd = seededRandom('caching-and-compression bodies');
const pick = <T>(xs: readonly T[]): T => xs[rnd.int(0, xs.length - 1)] as T;

const ADJECTIVES = ['red', 'compact', 'wireless', 'steel', 'folding', 'quiet', 'heavy-duty', 'organic', 'vintage', 'smart', 'waterproof', 'ceramic'];
const NOUNS = ['kettle', 'router', 'backpack', 'desk lamp', 'headset', 'bicycle pump', 'tent', 'keyboard', 'teapot', 'drill', 'monitor arm', 'jacket'];
const CITIES = ['Lisbon', 'Oslo', 'Lyon', 'Porto', 'Ghent', 'Turin', 'Cork', 'Graz', 'Malmo', 'Brno'];
const STATUSES = ['paid', 'shipped', 'delivered', 'refunded', 'pending'];
const LEVELS = ['INFO', 'INFO', 'INFO', 'WARN', 'DEBUG', 'ERROR'];
const EVENTS = [
  'accepted connection from',
  'request completed for',
  'upstream responded slowly to',
  'cache entry refreshed for',
  'health check passed for',
  'closed idle connection to',
];

function html(): string {
  const rows: string[] = [];
  for (let i = 1; i <= 60; i++) {
    const name = `${pick(ADJECTIVES)} ${pick(NOUNS)}`;
    const price = `${rnd.int(5, 400)}.${String(rnd.int(0, 99)).padStart(2, '0')}`;
    rows.push(
      `    <tr class="product" data-id="${1000 + i}">\n` +
        `      <td class="name"><a href="/products/${1000 + i}">${name}</a></td>\n` +
        `      <td class="price">EUR ${price}</td>\n` +
        `      <td class="stock">${rnd.int(0, 80)} in stock</td>\n` +
        `      <td><button class="add-to-basket" data-id="${1000 + i}">Add to basket</button></td>\n` +
        '    </tr>\n',
    );
  }
  return (
    '<!doctype html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n  <title>Products - netlab shop</title>\n' +
    '  <link rel="stylesheet" href="/static/shop.css">\n</head>\n<body>\n  <nav><a href="/">Home</a> <a href="/products">Products</a> ' +
    '<a href="/basket">Basket</a></nav>\n  <table class="products">\n' +
    rows.join('') +
    '  </table>\n  <footer>netlab shop, a lab page</footer>\n</body>\n</html>\n'
  );
}

function json(): string {
  const orders = [];
  for (let i = 1; i <= 90; i++) {
    orders.push({
      id: 50_000 + i,
      customer: { id: rnd.int(1, 9999), city: pick(CITIES) },
      items: Array.from({ length: rnd.int(1, 3) }, () => ({
        sku: `SKU-${rnd.int(10_000, 99_999)}`,
        name: `${pick(ADJECTIVES)} ${pick(NOUNS)}`,
        qty: rnd.int(1, 4),
      })),
      status: pick(STATUSES),
      total: rnd.int(500, 90_000) / 100,
    });
  }
  return `${JSON.stringify({ orders }, null, 1)}\n`;
}

function text(): string {
  const lines: string[] = [];
  let t = 1_765_000_000;
  for (let i = 0; i < 160; i++) {
    t += rnd.int(0, 3);
    const ip = `10.${rnd.int(0, 3)}.${rnd.int(0, 255)}.${rnd.int(1, 254)}`;
    lines.push(
      `${new Date(t * 1000).toISOString()} ${pick(LEVELS)} proxy[${rnd.int(100, 999)}]: ${pick(EVENTS)} ${ip}:${rnd.int(1024, 65535)} in ${rnd.int(1, 900)} ms`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The three bodies (generated once, when the lab loads). */
export const BODIES: { readonly html: string; readonly json: string; readonly text: string } = { html: html(), json: json(), text: text() };
