import { modelObject } from '../../../src/catalog/field-model';
import { changeMatches } from '../../../src/graphql/subscription-fields';
import { compileWhere } from '../../../src/graphql/subject/where-filter';

const fields = modelObject({ type: 'object', properties: { region: { type: 'string' } } });
const where = compileWhere({ region: { eq: 'EU' } }, fields);
const change = (op: 'CREATE' | 'UPDATE' | 'DELETE', before: string | null, after: string | null) => ({
  op,
  key: 'k1',
  before: before === null ? null : { region: before },
  after: after === null ? null : { region: after },
});

describe('which changes a filtered subscription receives', () => {
  it('an entity entering, staying in or leaving the filter; never one outside it before and after', () => {
    expect(changeMatches(where, change('CREATE', null, 'EU'))).toBe(true);
    expect(changeMatches(where, change('UPDATE', 'US', 'EU'))).toBe(true);
    expect(changeMatches(where, change('UPDATE', 'EU', 'EU'))).toBe(true);
    // It leaves: sent, so a client holding the matching set learns it is no longer in it.
    expect(changeMatches(where, change('UPDATE', 'EU', 'US'))).toBe(true);
    expect(changeMatches(where, change('UPDATE', 'US', 'APAC'))).toBe(false);
    expect(changeMatches(where, change('CREATE', null, 'US'))).toBe(false);
    expect(changeMatches(where, change('DELETE', 'EU', null))).toBe(true);
    expect(changeMatches(where, change('DELETE', 'US', null))).toBe(false);
  });
});
