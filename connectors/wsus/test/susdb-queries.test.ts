/** The SUSDB queries against the envelope schema: public views only, the schema's columns exactly, ids as text, a stable order. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as queries from '../susdb/queries';
import {
  APPROVALS,
  INSTALLATIONS,
  INSTALLATIONS_INCLUDING_NOT_APPLICABLE,
  ROW_SETS,
  UPDATE_PRODUCTS,
  UPDATES,
} from '../susdb/queries';

const schema = JSON.parse(readFileSync(join(__dirname, '../envelope.schema.json'), 'utf8'));
const rowSchemas: Record<string, any> = schema.properties.rows.properties;
const ID_REF = '#/definitions/id';
const TIME_REF = '#/definitions/time';

/** Every SQL text the module exports, by constant name. */
const ALL_SQL: Array<[string, string]> = Object.entries(queries as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string');

/** Splits at `separator` outside parentheses and quotes. */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'") quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') depth--;
    else if (!quoted && depth === 0 && ch === separator) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/** The SELECT list's items, each with the name it comes out as. */
function selectItems(sql: string): Array<{ expression: string; name: string }> {
  const head = /^\s*SELECT\s+(?:DISTINCT\s+)?/i.exec(sql);
  if (!head) throw new Error(`not a SELECT: ${sql.slice(0, 60)}`);
  const from = /\bFROM\b/i.exec(sql.slice(head[0].length));
  if (!from) throw new Error('no FROM');
  const list = sql.slice(head[0].length, head[0].length + from.index);
  return splitTopLevel(list, ',').map((item) => {
    // Anchored at the end, so the AS inside CAST(… AS type) is never taken for the alias.
    const aliased = /^([\s\S]+?)\s+AS\s+\[?(\w+)\]?$/i.exec(item);
    if (aliased) return { expression: aliased[1].trim(), name: aliased[2] };
    return { expression: item, name: item.split('.').pop()!.replace(/[[\]]/g, '') };
  });
}

const columns = (sql: string) => selectItems(sql).map((i) => i.name);
const sources = (sql: string) => [...sql.matchAll(/\b(?:FROM|JOIN)\s+([\w.[\]]+)/gi)].map((m) => m[1]);
const orderBy = (sql: string) => {
  const m = /\bORDER\s+BY\s+([\s\S]+)$/i.exec(sql);
  return m ? splitTopLevel(m[1], ',') : [];
};
const refOf = (property: any): string | undefined => property.$ref ?? property.anyOf?.find((a: any) => a.$ref)?.$ref;
const sorted = (names: string[]) => [...names].sort();

describe('SUSDB queries', () => {
  it('exports one query per row set, in the envelope order, plus the product rows and the not-applicable variant', () => {
    expect(Object.keys(ROW_SETS)).toEqual(Object.keys(rowSchemas));
    expect(Object.keys(ROW_SETS)).toEqual(schema.properties.rows.required);
    expect(sorted(ALL_SQL.map(([name]) => name))).toEqual(
      sorted(['COMPUTER_TARGETS', 'TARGET_GROUPS', 'GROUP_MEMBERSHIPS', 'UPDATES', 'UPDATE_PRODUCTS', 'INSTALLATIONS', 'INSTALLATIONS_INCLUDING_NOT_APPLICABLE', 'APPROVALS']),
    );
  });

  describe.each(ALL_SQL)('%s', (_name, sql) => {
    it('reads PUBLIC_VIEWS views only, never the cross-joined vUpdateInstallationInfo', () => {
      const views = sources(sql);
      expect(views.length).toBeGreaterThan(0);
      for (const view of views) expect(view).toMatch(/^PUBLIC_VIEWS\.v[A-Za-z]+$/);
      expect(sql).not.toMatch(/vUpdateInstallationInfo(?!Basic)/i);
      expect(sql).not.toMatch(/\bdbo\.|\btb[A-Z]\w*/);
    });

    it('only reads: one SELECT, no statement that writes, no semicolon to stop OFFSET/FETCH being appended', () => {
      expect(sql).toMatch(/^SELECT\b/);
      expect(sql).not.toMatch(/\b(INSERT|UPDATE|DELETE|MERGE|EXEC|EXECUTE|CREATE|ALTER|DROP|TRUNCATE|GRANT|INTO|OPENROWSET|OPENQUERY)\b/i);
      expect(sql).not.toMatch(/;|--|\/\*/);
      expect(sql.match(/\bSELECT\b/gi)).toHaveLength(1);
    });

    it('names every column explicitly and ends in an ORDER BY', () => {
      for (const item of selectItems(sql)) expect(item.expression).not.toBe(item.name);
      expect(new Set(columns(sql)).size).toBe(columns(sql).length);
      expect(orderBy(sql).length).toBeGreaterThan(0);
      expect(sql).toMatch(/\bORDER\s+BY\s+[\w.]+(\s*,\s*[\w.]+)*$/);
    });
  });

  describe.each(Object.entries(ROW_SETS))('row set %s', (rowSet, sql) => {
    const rowSchema = rowSchemas[rowSet].items;

    it("selects exactly the schema's columns", () => {
      if (rowSet === 'installations') {
        // Triples: the order of the SELECT list is the order of the array.
        expect(rowSchema.type).toBe('array');
        expect(rowSchema.items).toHaveLength(3);
        expect(columns(sql)).toEqual(['ComputerTargetId', 'UpdateId', 'State']);
        return;
      }
      const expected = Object.keys(rowSchema.properties);
      const selected = rowSet === 'updates' ? [...columns(sql), 'ProductTitles'] : columns(sql);
      expect(sorted(selected)).toEqual(sorted(expected));
      for (const required of rowSchema.required) expect(selected).toContain(required);
    });

    it('returns ids as text and datetimes as they are', () => {
      const items = selectItems(sql);
      const idColumns =
        rowSet === 'installations'
          ? ['ComputerTargetId', 'UpdateId']
          : Object.entries(rowSchema.properties).filter(([, p]) => refOf(p) === ID_REF).map(([c]) => c);
      expect(idColumns.length).toBeGreaterThan(0);
      for (const column of idColumns) {
        const item = items.find((i) => i.name === column)!;
        expect(item.expression).toMatch(new RegExp(`^CONVERT\\(varchar\\(36\\), \\w+\\.${column}\\)$`));
      }
      if (rowSet === 'installations') return;
      const timeColumns = Object.entries(rowSchema.properties).filter(([, p]) => refOf(p) === TIME_REF).map(([c]) => c);
      for (const column of timeColumns) {
        expect(items.find((i) => i.name === column)!.expression).toMatch(new RegExp(`^\\w+\\.${column}$`));
      }
    });
  });

  it('orders every row set by ids that are unique for its rows', () => {
    expect(orderBy(ROW_SETS.computerTargets)).toEqual(['ct.ComputerTargetId']);
    expect(orderBy(ROW_SETS.targetGroups)).toEqual(['g.ComputerTargetGroupId']);
    expect(orderBy(ROW_SETS.groupMemberships)).toEqual(['m.ComputerTargetId', 'm.ComputerTargetGroupId']);
    expect(orderBy(ROW_SETS.updates)).toEqual(['u.UpdateId', 'u.RevisionNumber']);
    expect(orderBy(ROW_SETS.installations)).toEqual(['i.ComputerTargetId', 'i.UpdateId']);
    expect(orderBy(ROW_SETS.approvals)).toEqual(['a.UpdateApprovalId']);
    // DISTINCT allows only selected columns in ORDER BY: these are the aliases.
    expect(orderBy(UPDATE_PRODUCTS)).toEqual(['UpdateId', 'ProductTitle']);
  });

  it('takes ClassificationTitle from vClassification, without losing updates that have none', () => {
    expect(sources(UPDATES)).toEqual(['PUBLIC_VIEWS.vUpdate', 'PUBLIC_VIEWS.vClassification']);
    expect(UPDATES).toMatch(/\bLEFT JOIN PUBLIC_VIEWS\.vClassification AS c ON c\.ClassificationId = u\.ClassificationId\b/);
    expect(selectItems(UPDATES).find((i) => i.name === 'ClassificationTitle')!.expression).toBe('c.DefaultTitle');
  });

  it('gives ProductTitles as (UpdateId, ProductTitle) rows of product categories', () => {
    expect(columns(UPDATE_PRODUCTS)).toEqual(['UpdateId', 'ProductTitle']);
    expect(sources(UPDATE_PRODUCTS)).toEqual(['PUBLIC_VIEWS.vUpdateInCategory', 'PUBLIC_VIEWS.vCategory']);
    expect(UPDATE_PRODUCTS).toMatch(/\bWHERE c\.CategoryType = N'Product'\s/);
    expect(UPDATE_PRODUCTS).toMatch(/^SELECT DISTINCT\b/);
  });

  it('leaves State 1 (not applicable) out by default, and only that', () => {
    expect(INSTALLATIONS).toMatch(/\nWHERE i\.State <> 1\n/);
    expect(INSTALLATIONS_INCLUDING_NOT_APPLICABLE).not.toMatch(/\bWHERE\b/);
    expect(INSTALLATIONS.replace(/\nWHERE i\.State <> 1\n/, '\n')).toBe(INSTALLATIONS_INCLUDING_NOT_APPLICABLE);
    expect(sources(INSTALLATIONS)).toEqual(['PUBLIC_VIEWS.vUpdateInstallationInfoBasic']);
  });

  it('selects AdministratorName as a typed NULL, since vUpdateApproval has no such column', () => {
    expect(selectItems(APPROVALS).find((i) => i.name === 'AdministratorName')!.expression).toBe('CAST(NULL AS nvarchar(255))');
    expect(APPROVALS).not.toMatch(/\w\.AdministratorName/);
  });
});
