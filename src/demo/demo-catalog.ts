import { pick, type Random } from './demo-random';

/**
 * Plausible names, products and places for the demo feed. Every e-mail address it writes ends in
 * `.demo.example` (`.example` is reserved by RFC 2606), which is how the customer feed recognises
 * the rows it owns: it never updates or deletes a row somebody typed in with psql.
 */
export const DEMO_EMAIL_SUFFIX = '.demo.example';
export const DEMO_EMAIL_DOMAINS = ['mail.demo.example', 'shop.demo.example', 'post.demo.example', 'work.demo.example'] as const;

const FIRST_NAMES = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Donald',
  'Margaret',
  'Dennis',
  'Frances',
  'Ken',
  'Radia',
  'Tim',
  'Hedy',
  'Linus',
  'Katherine',
  'John',
  'Sophie',
  'Niklaus',
  'Annie',
  'Claude',
] as const;
const LAST_NAMES = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Hamilton',
  'Ritchie',
  'Allen',
  'Thompson',
  'Perlman',
  'Berners-Lee',
  'Lamarr',
  'Torvalds',
  'Johnson',
  "O'Neil",
  'Wilson',
  'Wirth',
  'Easley',
  'Shannon',
] as const;

export interface Product {
  readonly sku: string;
  readonly name: string;
  readonly priceCents: number;
}

export const PRODUCTS: readonly Product[] = [
  { sku: 'MUG-CLASSIC', name: 'Classic mug', priceCents: 1250 },
  { sku: 'TEE-LOGO-M', name: 'Logo T-shirt (M)', priceCents: 2400 },
  { sku: 'TEE-LOGO-L', name: 'Logo T-shirt (L)', priceCents: 2400 },
  { sku: 'HOODIE-GRY', name: 'Grey hoodie', priceCents: 5900 },
  { sku: 'STICKER-PK', name: 'Sticker pack', priceCents: 399 },
  { sku: 'NOTEBOOK-A5', name: 'A5 notebook', priceCents: 875 },
  { sku: 'BOTTLE-750', name: 'Water bottle 750 ml', priceCents: 1999 },
  { sku: 'CAP-NAVY', name: 'Navy cap', priceCents: 1800 },
  { sku: 'TOTE-CANVAS', name: 'Canvas tote bag', priceCents: 1495 },
  { sku: 'PEN-SET-3', name: 'Pen set (3)', priceCents: 650 },
];

export const REGIONS = ['eu-west', 'eu-central', 'us-east', 'us-west', 'ap-southeast'] as const;
export const CARRIERS = ['DHL', 'UPS', 'FedEx', 'La Poste', 'PostNL'] as const;

export interface Person {
  readonly first: string;
  readonly last: string;
  readonly name: string;
}

export function randomPerson(random: Random): Person {
  const first = pick(random, FIRST_NAMES);
  const last = pick(random, LAST_NAMES);
  return { first, last, name: `${first} ${last}` };
}

/**
 * An e-mail address for a person at one of the demo domains, e.g. `grace.hopper42@shop.demo.example`.
 * `mixed-case` sometimes capitalizes it (`Grace.Hopper42@SHOP.DEMO.EXAMPLE`); `messy` also sometimes
 * pads it with spaces, as people type them (the customer spec trims and lower-cases e-mails; the
 * order spec only lower-cases them).
 */
export function demoEmail(random: Random, person: Pick<Person, 'first' | 'last'>, style: 'clean' | 'mixed-case' | 'messy' = 'clean'): string {
  const local = `${slug(person.first)}.${slug(person.last)}${Math.floor(random() * 1000)}`;
  const domain = pick(random, DEMO_EMAIL_DOMAINS);
  if (style === 'clean') return `${local}@${domain}`;
  const roll = random();
  if (roll < 0.2) return `${capitalize(local)}@${domain.toUpperCase()}`;
  if (style === 'messy' && roll < 0.3) return `  ${local}@${domain} `;
  return `${local}@${domain}`;
}

/**
 * The same address with its capitalisation changed, as when somebody re-types it
 * (`grace.hopper42@shop.demo.example` ↔ `Grace.Hopper42@SHOP.DEMO.EXAMPLE`): canonical e-mails are
 * lower-cased, so the order still points at the same customer.
 */
export function recaseEmail(random: Random, email: string): string {
  const [local = '', domain = ''] = email.toLowerCase().split('@');
  return random() < 0.5 ? `${capitalize(local)}@${domain.toUpperCase()}` : `${local}@${domain}`;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function capitalize(text: string): string {
  return text.replace(/(^|\.)([a-z])/g, (_, dot: string, letter: string) => dot + letter.toUpperCase());
}
