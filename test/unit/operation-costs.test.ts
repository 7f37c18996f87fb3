import { buildSchema, GraphQLError, parse } from 'graphql';
import { costLimitPlugin } from '../../src/graphql/limits';
import { OperationCosts } from '../../src/graphql/operation-costs';

const schema = buildSchema(`
  type Query { things(first: Int): ThingConnection }
  type ThingConnection { nodes: [Thing!]! }
  type Thing { id: ID! children: [Thing!]! }
`);
const LIMITS = { maxQueryCost: 10_000, defaultPageSize: 50, maxPageSize: 500 };
const QUERY = 'query Page($first: Int) { things(first: $first) { nodes { id children { id children { id } } } } }';

/** The plugin's answer to one request: its cost error's code and cost, or null when the request may run. */
async function refusal(plugin: ReturnType<typeof costLimitPlugin>, document: ReturnType<typeof parse>, variables: Record<string, unknown>): Promise<unknown> {
  const operation = document.definitions[0];
  const hooks = (await plugin.requestDidStart!({} as never)) as { didResolveOperation(ctx: unknown): Promise<void> };
  try {
    await hooks.didResolveOperation({ request: { operationName: 'Page', variables }, document, operation });
    return null;
  } catch (err) {
    return err instanceof GraphQLError ? { code: err.extensions.code, cost: err.extensions.cost } : err;
  }
}

describe('operation costs', () => {
  it('are kept per document object, operation name and variables', () => {
    const costs = new OperationCosts();
    const document = parse(QUERY);
    costs.set(document, 'Page', { first: 10 }, 42);
    expect(costs.get(document, 'Page', { first: 10 })).toBe(42);
    expect(costs.get(document, 'Page', { first: 11 })).toBeUndefined();
    expect(costs.get(document, 'Other', { first: 10 })).toBeUndefined();
    expect(costs.get(document, undefined, { first: 10 })).toBeUndefined();
    expect(costs.get(parse(QUERY), 'Page', { first: 10 })).toBeUndefined();
  });

  it('keep no long variables and a bounded number per document', () => {
    const costs = new OperationCosts();
    const document = parse(QUERY);
    costs.set(document, 'Page', { filter: 'x'.repeat(2_000) }, 1);
    expect(costs.get(document, 'Page', { filter: 'x'.repeat(2_000) })).toBeUndefined();
    for (let first = 0; first < 65; first++) costs.set(document, 'Page', { first }, first);
    expect(costs.get(document, 'Page', { first: 0 })).toBeUndefined();
    expect(costs.get(document, 'Page', { first: 64 })).toBe(64);
  });

  it('estimate a document once per variables, and still refuse its costly variables', async () => {
    const plugin = costLimitPlugin(schema, LIMITS);
    const document = parse(QUERY);
    // The estimate reads each field's type; the variables' check never does.
    const things = schema.getQueryType()!.getFields().things;
    let reads = 0;
    const type = things.type;
    Object.defineProperty(things, 'type', { get: () => (reads++, type), configurable: true });
    try {
      expect(await refusal(plugin, document, { first: 5 })).toBeNull();
      const once = reads;
      expect(once).toBeGreaterThan(0);
      expect(await refusal(plugin, document, { first: 5 })).toBeNull();
      expect(reads).toBe(once);
      const costly = await refusal(plugin, document, { first: 500 });
      expect(costly).toEqual({ code: 'QUERY_TOO_COMPLEX', cost: expect.any(Number) });
      expect((costly as { cost: number }).cost).toBeGreaterThan(LIMITS.maxQueryCost);
      const twice = reads;
      expect(twice).toBeGreaterThan(once);
      expect(await refusal(plugin, document, { first: 500 })).toEqual(costly);
      expect(reads).toBe(twice);
      expect(await refusal(plugin, document, { first: 5 })).toBeNull();
    } finally {
      Object.defineProperty(things, 'type', { value: type, configurable: true, writable: true });
    }
  });
});
