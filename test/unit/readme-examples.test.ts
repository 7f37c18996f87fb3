/**
 * The rules test/e2e/readme.test.ts holds README.md's examples to (scripts/readme-examples.js): what counts as an
 * example, which values may differ between runs, and that a difference is reported by its path.
 */
import { compareAnswer, extractExamples, formatAnswer, resolveVariables } from '../../scripts/readme-examples';
import { ENGINE } from '../helpers/database';

const describeOnSqlite = ENGINE === 'sqlite' ? describe : describe.skip;
const fence = '```';

describeOnSqlite('README example rules', () => {
  it('takes each graphql block with its answer, and the variables block between them', () => {
    const markdown = [
      'Intro', '', `${fence}graphql`, '{ tenants { totalCount } }', fence, `${fence}json`, '{"data": {"tenants": {"totalCount": 3}}}', fence, '',
      `${fence}sh`, 'npm start', fence, '',
      `${fence}graphql`, 'mutation ($id: ID!) { x(id: $id) }', fence, '', `${fence}json variables`, '{"id": "<createTenant.id>"}', fence, `${fence}json`, '{"data": {"x": true}}', fence,
    ].join('\n');
    const examples = extractExamples(markdown);
    expect(examples.map((e) => [e.line, e.query, e.variables, e.expected])).toEqual([
      [3, '{ tenants { totalCount } }', undefined, { data: { tenants: { totalCount: 3 } } }],
      [14, 'mutation ($id: ID!) { x(id: $id) }', { id: '<createTenant.id>' }, { data: { x: true } }],
    ]);
  });

  it('refuses an example without its answer, naming the line', () => {
    expect(() => extractExamples(['', `${fence}graphql`, '{ a }', fence, 'Some prose.', `${fence}json`, '{}', fence].join('\n'))).toThrow(/^README\.md:2: a graphql example must be followed directly by the ```json answer/);
  });

  it('fills a variable from the latest earlier answer that has its first field, by position, field or nested field', () => {
    const answers = [
      { data: { tenants: { nodes: [{ id: 't1', name: 'Contoso' }, { id: 't2', name: 'Northwind Dental' }] } } },
      { data: { connectorInstances: { nodes: [{ id: 'c1', tenant: { name: 'Fabrikam' } }, { id: 'c2', tenant: { name: 'Contoso' } }] } } },
      { data: { createTenant: { id: 'new' } } },
    ];
    const example = (variables: Record<string, unknown>) => ({ line: 9, query: '', expected: {}, variables });
    expect(resolveVariables(example({ a: '<tenants.nodes[name=Northwind Dental].id>', b: '<connectorInstances.nodes[tenant.name=Contoso].id>', c: '<createTenant.id>', d: '<tenants.nodes[0].id>', e: 'plain' }), answers))
      .toEqual({ a: 't2', b: 'c2', c: 'new', d: 't1', e: 'plain' });
    expect(() => resolveVariables(example({ a: '<tenants.nodes[name=Woodgrove].id>' }), answers)).toThrow('README.md:9 : the variable <tenants.nodes[name=Woodgrove].id> names nothing in the earlier answers');
  });

  it('lets ids, cursors, times, simulator ports and UUIDs in text differ, and nothing else', () => {
    const shown = { data: { node: { id: 'VGVuYW50OmE', tenantId: 'a', createdAt: '2026-11-23T09:44:03.472Z', cursor: 'x', name: 'Contoso',
      settings: { apiUrl: 'http://127.0.0.1:45033' }, message: 'instance 9e203b1e-5a6d-4f2e-99eb-4be0b09c4c12 failed' } } };
    const answered = { data: { node: { id: 'VGVuYW50OmI', tenantId: 'b', createdAt: '2026-11-02T10:00:00.000Z', cursor: 'y', name: 'Contoso',
      settings: { apiUrl: 'http://127.0.0.1:38211' }, message: 'instance 0fcc98a3-e2f9-4544-acf4-ef9309761821 failed' } } };
    expect(compareAnswer(shown, answered)).toEqual([]);
    expect(compareAnswer(shown, { data: { node: { ...answered.data.node, name: 'Fabrikam', createdAt: 'yesterday', settings: { apiUrl: 'http://10.0.0.1:1' } } } })).toEqual([
      '.data.node.createdAt: README shows "2026-11-23T09:44:03.472Z", the answer has "yesterday" (a run\'s time: any ISO date-time matches, but both must be one)',
      '.data.node.name: README shows "Contoso", the answer has "Fabrikam"',
      '.data.node.settings.apiUrl: README shows "http://127.0.0.1:45033", the answer has "http://10.0.0.1:1"',
    ]);
  });

  it('reports missing and extra keys by path', () => {
    expect(compareAnswer({ data: { a: 1, b: { c: 2 } } }, { data: { a: 1, b: { d: 2 } } })).toEqual([
      '.data.b.c: README shows 2, the answer has no such key',
      '.data.b.d: the answer has this key (2), the README does not',
    ]);
  });

  it('matches list items whatever their order, and points a changed item at the closest answered one', () => {
    const item = (kb: string, state: string) => ({ state, update: { kb } });
    const shown = { data: { states: [item('KB1', 'MISSING'), item('KB2', 'FAILED'), item('KB3', 'MISSING')] } };
    expect(compareAnswer(shown, { data: { states: [item('KB3', 'MISSING'), item('KB1', 'MISSING'), item('KB2', 'FAILED')] } })).toEqual([]);
    expect(compareAnswer(shown, { data: { states: [item('KB3', 'MISSING'), item('KB2', 'INSTALLED'), item('KB1', 'MISSING')] } })).toEqual([
      '.data.states[1].state: README shows "FAILED", the answer has "INSTALLED"',
    ]);
    expect(compareAnswer(shown, { data: { states: [item('KB3', 'MISSING'), item('KB1', 'MISSING'), item('KB4', 'FAILED'), item('KB5', 'MISSING')] } })).toEqual([
      '.data.states: README shows 3 items, the answer has 4',
      '.data.states[1→2].update.kb: README shows "KB2", the answer has "KB4"',
      '.data.states[3]: the answer has this item, the README does not: {"state":"MISSING","update":{"kb":"KB5"}}',
    ]);
  });

  it('lays an answer out within the README width, and it reads back as the same JSON', () => {
    const answer = { data: { assets: { nodes: Array.from({ length: 3 }, (_, i) => ({ hostname: `CAT-LT-00${i}`, sources: [{ connector: { name: 'Microsoft Intune (demo Graph simulator)' }, matchedBy: { rule: 'NEW', values: [] } }] })) } } };
    const text = formatAnswer(answer);
    expect(JSON.parse(text)).toEqual(answer);
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(120);
    expect(formatAnswer({ data: { tenants: { totalCount: 3 } } })).toBe('{"data": {"tenants": {"totalCount": 3}}}');
  });
});
