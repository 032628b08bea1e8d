import { externalPostgresDir } from '../../../infra/stack/postgres-files';

describe('where the local PostgreSQL keeps its files outside the stack directory', () => {
  it('is one directory per stack directory under the postgres user home, keyed by the absolute path', () => {
    const a = externalPostgresDir('/root/work/canonql/.stack', '/var/lib/postgresql');
    expect(a).toMatch(/^\/var\/lib\/postgresql\/canonql\/canonql-[0-9a-f]{12}$/);
    expect(externalPostgresDir('/root/work/canonql/.stack', '/var/lib/postgresql')).toBe(a);
    expect(externalPostgresDir('/root/work/canonql/x/../.stack', '/var/lib/postgresql')).toBe(a);
    expect(externalPostgresDir('/tmp/tmp.Xy z/canonql/.stack', '/var/lib/postgresql')).not.toBe(a);
    expect(externalPostgresDir('/tmp/tmp.Xy z/my clone/.stack', '/h')).toMatch(/^\/h\/canonql\/my_clone-[0-9a-f]{12}$/);
  });
});
