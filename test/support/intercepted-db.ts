import type { Collection, Db, Document } from 'mongodb';

/**
 * A database handle whose collection `name` is seen through `wrap`, every other collection as it
 * is: for tests that watch or fail one collection's calls against the real store.
 */
export function withCollection(db: Db, name: string, wrap: (collection: Collection<Document>) => Collection<Document>): Db {
  return new Proxy(db, {
    get(real, property, receiver) {
      if (property !== 'collection') return Reflect.get(real, property, receiver);
      return (named: string) => (named === name ? wrap(real.collection(named)) : real.collection(named));
    },
  });
}

/**
 * A database handle whose collection `name` answers `method` with what `replace` makes of the
 * collection's own method (bound to it): to fail a call, or to see its arguments before passing
 * them on.
 */
export function interceptMethod(
  db: Db,
  name: string,
  method: keyof Collection<Document>,
  replace: (own: (...args: unknown[]) => Promise<unknown>) => (...args: never[]) => unknown,
): Db {
  return withCollection(
    db,
    name,
    (collection) =>
      new Proxy(collection, {
        get(real, key, receiver) {
          if (key !== method) return Reflect.get(real, key, receiver);
          return replace((real[method] as (...args: unknown[]) => Promise<unknown>).bind(real));
        },
      }),
  );
}
