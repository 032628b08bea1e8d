import type { Message } from 'kafkajs';
import { CARRIERS, demoEmail, PRODUCTS, randomPerson, recaseEmail, REGIONS } from './demo-catalog';
import { chance, formatCents, intBetween, pick, weighted, type Random } from './demo-random';
import { createMongoClock, createObjectIdGenerator, ejson, mongoChangeMessage, mongoTombstone, type MongoPosition } from './mongo-change-event';

/**
 * The demo shop's orders collection, simulated in memory, and the MongoDB-connector change events
 * its life produces: orders are placed (create), their lines edited while pending (full update:
 * `after` is the whole document, as with `capture.mode=change_streams_update_full`), paid, shipped,
 * delivered or cancelled and their e-mail's capitalisation corrected (partial updates: only
 * `updateDescription.updatedFields`, as with `capture.mode=change_streams`), and now and then
 * archived (delete + tombstone). Only orders placed by this generator are ever changed.
 *
 * Orders are placed by the buyers the caller passes (the demo customers of the PostgreSQL table),
 * so `order.customer.email` finds its `customer` and the relation `order.customer.account`
 * resolves; with no buyer given, a made-up person places the order.
 */

export type OrderStatus = 'pending' | 'paid' | 'shipped' | 'delivered' | 'cancelled';

export interface DemoOrderLine {
  readonly sku: string;
  readonly name: string;
  qty: number;
  readonly priceCents: number;
}

export interface DemoOrder {
  readonly objectId: string;
  readonly orderId: string;
  readonly customer: { email: string; readonly name: string };
  lines: DemoOrderLine[];
  status: OrderStatus;
  readonly region: string;
  readonly createdAtMs: number;
  updatedAtMs: number;
  shipping?: { readonly carrier: string; readonly trackingNumber: string };
  /** When the order reached each status after pending (`paidAt`, `shippedAt`...), epoch ms. */
  readonly milestones: Record<string, number>;
}

export type OrderAction = 'create' | 'edit-lines' | 'advance-status' | 'correct-email' | 'delete';

/** A customer who can place an order: the e-mail as the source row has it (trimmed), and the name. */
export interface DemoBuyer {
  readonly email: string;
  readonly name: string;
}

export interface OrderEvents {
  /** Kafka messages in order: change events, each delete followed by its tombstone. */
  readonly messages: Message[];
  /** Change events among them (tombstones excluded). */
  readonly changes: number;
  /** What each change event did, in order. */
  readonly actions: OrderAction[];
  /** ObjectIds of the orders these events touched. */
  readonly touched: string[];
}

export interface DemoOrdersOptions {
  readonly random: Random;
  readonly now?: () => number;
  /** Orders kept alive at most; at the limit the oldest finished order is archived (deleted). */
  readonly maxOrders?: number;
  readonly db?: string;
  readonly collection?: string;
  readonly serverName?: string;
}

export interface DemoOrders {
  /**
   * The next `count` change events of the shop (plus a tombstone after each delete); new orders
   * are placed by one of `buyers` (a made-up person when there is none).
   */
  next(count: number, buyers?: readonly DemoBuyer[]): OrderEvents;
  /**
   * Stops changing these orders: used when their events may not have reached Kafka, so the feed
   * never sends an update of an order whose create (or a delete) is in doubt.
   */
  forget(objectIds: readonly string[]): void;
  /** Orders currently alive. */
  readonly size: number;
}

const WEIGHTS: Readonly<Record<OrderAction, number>> = {
  create: 0.35,
  'advance-status': 0.35,
  'edit-lines': 0.14,
  'correct-email': 0.08,
  delete: 0.08,
};

const FINISHED: ReadonlySet<OrderStatus> = new Set(['delivered', 'cancelled']);

export function createDemoOrders(options: DemoOrdersOptions): DemoOrders {
  const { random } = options;
  const now = options.now ?? Date.now;
  const maxOrders = options.maxOrders ?? 100;
  const db = options.db ?? 'shop';
  const collection = options.collection ?? 'orders';
  const serverName = options.serverName ?? 'demo';
  const nextPosition = createMongoClock(now);
  const nextObjectId = createObjectIdGenerator(random, now);
  // Insertion order is age order: the first entries are the oldest orders.
  const orders = new Map<string, DemoOrder>();

  const event = (op: 'c' | 'u' | 'd', order: DemoOrder, position: MongoPosition, extra: { after?: boolean; updatedFields?: Record<string, unknown> }) =>
    mongoChangeMessage({
      op,
      objectId: order.objectId,
      position,
      ...(extra.after ? { after: toDocument(order) } : {}),
      ...(extra.updatedFields ? { updatedFields: extra.updatedFields } : {}),
      db,
      collection,
      serverName,
      processedAtMs: now(),
    });

  const choose = (): { action: OrderAction; order: DemoOrder | null } => {
    if (orders.size === 0) return { action: 'create', order: null };
    if (orders.size >= maxOrders) return { action: 'delete', order: oldest(orders, (o) => FINISHED.has(o.status)) ?? orders.values().next().value! };
    const action = weighted(random, WEIGHTS);
    const all = [...orders.values()];
    const eligible = (test: (o: DemoOrder) => boolean) => {
      const candidates = all.filter(test);
      return candidates.length === 0 ? null : pick(random, candidates);
    };
    let order: DemoOrder | null = null;
    switch (action) {
      case 'create':
        return { action, order: null };
      case 'advance-status':
      case 'correct-email':
        order = eligible((o) => !FINISHED.has(o.status));
        break;
      case 'edit-lines':
        order = eligible((o) => o.status === 'pending');
        break;
      case 'delete':
        // Mostly finished orders are archived; rarely one still in progress is removed.
        order = eligible((o) => FINISHED.has(o.status)) ?? (chance(random, 0.2) ? pick(random, all) : null);
        break;
    }
    return order === null ? { action: 'create', order: null } : { action, order };
  };

  return {
    get size() {
      return orders.size;
    },
    forget(objectIds) {
      for (const id of objectIds) orders.delete(id);
    },
    next(count, buyers = []) {
      const messages: Message[] = [];
      const actions: OrderAction[] = [];
      const touched = new Set<string>();
      for (let i = 0; i < count; i += 1) {
        const { action, order: chosen } = choose();
        const position = nextPosition();
        const at = now();
        actions.push(action);
        if (action === 'create') {
          const order = newOrder(random, nextObjectId(), at, buyers.length > 0 ? pick(random, buyers) : null);
          orders.set(order.objectId, order);
          touched.add(order.objectId);
          messages.push(event('c', order, position, { after: true }));
          continue;
        }
        const order = chosen!;
        touched.add(order.objectId);
        order.updatedAtMs = Math.max(order.updatedAtMs, at);
        switch (action) {
          case 'edit-lines': {
            editLines(random, order);
            // A full update: the whole document, plus what changed.
            messages.push(event('u', order, position, { after: true, updatedFields: linesFields(order) }));
            break;
          }
          case 'advance-status':
            messages.push(event('u', order, position, { updatedFields: advanceStatus(random, order) }));
            break;
          case 'correct-email': {
            order.customer.email = recaseEmail(random, order.customer.email);
            messages.push(event('u', order, position, { updatedFields: { 'customer.email': order.customer.email, updatedAt: ejson.date(order.updatedAtMs) } }));
            break;
          }
          case 'delete':
            orders.delete(order.objectId);
            messages.push(event('d', order, position, {}), mongoTombstone(order.objectId));
            break;
        }
      }
      return { messages, changes: count, actions, touched: [...touched] };
    },
  };
}

function newOrder(random: Random, objectId: string, atMs: number, buyer: DemoBuyer | null): DemoOrder {
  const person = randomPerson(random);
  const customer = buyer ? { email: buyer.email, name: buyer.name } : { email: demoEmail(random, person, 'mixed-case'), name: person.name };
  const lineCount = intBetween(random, 1, 4);
  const products = [...PRODUCTS];
  const lines: DemoOrderLine[] = [];
  for (let i = 0; i < lineCount; i += 1) {
    const [product] = products.splice(Math.floor(random() * products.length), 1);
    lines.push({ sku: product!.sku, name: product!.name, qty: intBetween(random, 1, 3), priceCents: product!.priceCents });
  }
  const day = new Date(atMs).toISOString().slice(0, 10).replace(/-/g, '');
  return {
    objectId,
    orderId: `ORD-${day}-${objectId.slice(-8).toUpperCase()}`,
    customer,
    lines,
    status: 'pending',
    region: pick(random, REGIONS),
    createdAtMs: atMs,
    updatedAtMs: atMs,
    milestones: {},
  };
}

/** Changes a quantity, adds a product or drops a line (never the last one). */
function editLines(random: Random, order: DemoOrder): void {
  const missing = PRODUCTS.filter((p) => !order.lines.some((l) => l.sku === p.sku));
  const roll = random();
  if (roll < 0.4 && missing.length > 0) {
    const product = pick(random, missing);
    order.lines = [...order.lines, { sku: product.sku, name: product.name, qty: intBetween(random, 1, 2), priceCents: product.priceCents }];
  } else if (roll < 0.6 && order.lines.length > 1) {
    const drop = Math.floor(random() * order.lines.length);
    order.lines = order.lines.filter((_, i) => i !== drop);
  } else {
    const line = pick(random, order.lines);
    line.qty = line.qty >= 5 ? line.qty - 1 : line.qty + 1;
  }
}

/** Moves an order on (pending → paid or cancelled → shipped → delivered); returns the fields set. */
function advanceStatus(random: Random, order: DemoOrder): Record<string, unknown> {
  const updatedAt = ejson.date(order.updatedAtMs);
  const milestone = (status: OrderStatus) => {
    order.status = status;
    order.milestones[`${status}At`] = order.updatedAtMs;
    return { status, [`${status}At`]: updatedAt, updatedAt };
  };
  switch (order.status) {
    case 'pending':
      return milestone(chance(random, 0.12) ? 'cancelled' : 'paid');
    case 'paid': {
      const carrier = pick(random, CARRIERS);
      order.shipping = { carrier, trackingNumber: `${carrier.replace(/\W/g, '').slice(0, 3).toUpperCase()}${intBetween(random, 100000000, 999999999)}` };
      return { ...milestone('shipped'), shipping: { ...order.shipping } };
    }
    default:
      return milestone('delivered');
  }
}

function linesFields(order: DemoOrder): Record<string, unknown> {
  const document = toDocument(order);
  return { items: document.items, total: document.total, updatedAt: document.updatedAt };
}

/** The order as the MongoDB document the connector would send, in canonical Extended JSON. */
export function toDocument(order: DemoOrder): Record<string, unknown> {
  const totalCents = order.lines.reduce((sum, line) => sum + line.qty * line.priceCents, 0);
  return {
    _id: ejson.oid(order.objectId),
    orderId: order.orderId,
    customer: { email: order.customer.email, name: order.customer.name },
    items: order.lines.map((line) => ({
      sku: line.sku,
      name: line.name,
      qty: ejson.int(line.qty),
      price: ejson.decimal(formatCents(line.priceCents)),
    })),
    total: ejson.decimal(formatCents(totalCents)),
    currency: 'USD',
    status: order.status,
    region: order.region,
    ...(order.shipping ? { shipping: { ...order.shipping } } : {}),
    createdAt: ejson.date(order.createdAtMs),
    ...Object.fromEntries(Object.entries(order.milestones).map(([field, ms]) => [field, ejson.date(ms)])),
    updatedAt: ejson.date(order.updatedAtMs),
  };
}

function oldest(orders: ReadonlyMap<string, DemoOrder>, test: (order: DemoOrder) => boolean): DemoOrder | undefined {
  for (const order of orders.values()) if (test(order)) return order;
  return undefined;
}
