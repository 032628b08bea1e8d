import { parse } from 'graphql';
import { ANONYMOUS, type Principal } from '../../../src/graphql/access';
import { buildApiSchema } from '../../../src/graphql/build-api-schema';
import { checkOperation, DEFAULT_OPERATION_LIMITS } from '../../../src/graphql/limits/operation-limits';

/**
 * Admin-only fields are refused before execution, like mutations: 401 without a credential, 403
 * with a reader's, whatever else the operation selects, through fragments and variables too.
 */
const schema = buildApiSchema([]);
const ADMIN: Principal = { role: 'admin', authenticated: true };
const READER: Principal = { role: 'reader', authenticated: true };

const check = (query: string, principal: Principal, options: { variables?: Record<string, unknown>; operationName?: string } = {}) => {
  const error = checkOperation(
    { schema, document: parse(query), variables: options.variables ?? null, operationName: options.operationName ?? null, principal },
    DEFAULT_OPERATION_LIMITS,
  );
  return error && { code: error.code, message: error.message };
};

describe('admin-only fields, checked before execution', () => {
  it('refuses catalog { deadLetters } without a credential (UNAUTHENTICATED) and to a reader (FORBIDDEN), naming the field', () => {
    const query = '{ metric(name: "m", window: hour) { count } catalog { subjects { name } deadLetters { id } } }';
    expect(check(query, ANONYMOUS)).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'Catalog.deadLetters needs an admin credential (Authorization: Bearer <admin key>)',
    });
    expect(check(query, READER)).toEqual({ code: 'FORBIDDEN', message: 'Catalog.deadLetters needs the admin role' });
    expect(check(query, ADMIN)).toBeNull();
  });

  it('finds it at the deprecated root alias and through fragments', () => {
    expect(check('{ deadLetters { id } }', READER)).toMatchObject({ code: 'FORBIDDEN', message: 'Query.deadLetters needs the admin role' });
    expect(check('{ catalog { ...A } } fragment A on Catalog { ...B } fragment B on Catalog { deadLetters { id } }', READER)).toMatchObject({
      code: 'FORBIDDEN',
    });
  });

  it('refuses schemaSubjects only with includeDeleted: true, literal or variable', () => {
    expect(check('{ catalog { schemaSubjects { subject } } }', ANONYMOUS)).toBeNull();
    expect(check('{ catalog { schemaSubjects(includeDeleted: false) { subject } } }', ANONYMOUS)).toBeNull();
    expect(check('{ catalog { schemaSubjects(includeDeleted: true) { subject } } }', ANONYMOUS)).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringMatching(/^Catalog\.schemaSubjects\(includeDeleted: true\) needs an admin credential/),
    });
    const withVariable = 'query($d: Boolean!) { catalog { schemaSubjects(includeDeleted: $d) { subject } } }';
    expect(check(withVariable, READER, { variables: { d: true } })).toMatchObject({ code: 'FORBIDDEN' });
    expect(check(withVariable, READER, { variables: { d: false } })).toBeNull();
  });

  it('judges only the operation that runs', () => {
    const document = 'query Open { catalog { subjects { name } } } query Admin { catalog { deadLetters { id } } }';
    expect(check(document, READER, { operationName: 'Open' })).toBeNull();
    expect(check(document, READER, { operationName: 'Admin' })).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses every mutation to a non-admin, as before', () => {
    expect(check('mutation { deactivateMappingSpec(id: "x") }', ANONYMOUS)).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(check('mutation { deactivateMappingSpec(id: "x") }', READER)).toMatchObject({ code: 'FORBIDDEN' });
  });

  it("judges one parsed document anew for each caller and each request's variables (what is kept per document is only where admin fields are)", () => {
    // Apollo hands the same parsed document to every request of a repeated query.
    const document = parse(
      'query($d: Boolean!, $e: Boolean!) { catalog { subjects { name } schemaSubjects(includeDeleted: $d) { subject } ...F } } fragment F on Catalog { again: schemaSubjects(includeDeleted: $e) { subject } }',
    );
    const checkParsed = (principal: Principal, variables: Record<string, unknown>) =>
      checkOperation({ schema, document, variables, principal }, DEFAULT_OPERATION_LIMITS)?.message ?? null;
    expect(checkParsed(READER, { d: false, e: false })).toBeNull();
    expect(checkParsed(READER, { d: true, e: false })).toBe('Catalog.schemaSubjects(includeDeleted: true) needs the admin role');
    expect(checkParsed(READER, { d: false, e: true })).toBe('Catalog.schemaSubjects(includeDeleted: true) needs the admin role');
    expect(checkParsed(ANONYMOUS, { d: false, e: true })).toMatch(/needs an admin credential/);
    expect(checkParsed(ADMIN, { d: true, e: true })).toBeNull();
    expect(checkParsed(READER, { d: false, e: false })).toBeNull();
    // A field that always needs the role decides, whatever the variables.
    const always = parse('query($d: Boolean!) { catalog { schemaSubjects(includeDeleted: $d) { subject } deadLetters { id } } }');
    const checkAlways = (principal: Principal, variables: Record<string, unknown>) =>
      checkOperation({ schema, document: always, variables, principal }, DEFAULT_OPERATION_LIMITS)?.message ?? null;
    expect(checkAlways(READER, { d: false })).toBe('Catalog.deadLetters needs the admin role');
    expect(checkAlways(READER, { d: true })).toBe('Catalog.schemaSubjects(includeDeleted: true) needs the admin role');
    expect(checkAlways(ADMIN, { d: true })).toBeNull();
    expect(checkAlways(READER, { d: false })).toBe('Catalog.deadLetters needs the admin role');
  });
});
