import { readFileSync } from 'node:fs';
import { printPatchgraphSchema, schemaFilePath } from '../../src/graphql/schema';

describe('schema/schema.graphql', () => {
  it('matches the schema the code builds (run `npm run schema` and commit the file when this fails)', () => {
    expect(readFileSync(schemaFilePath(), 'utf8')).toBe(printPatchgraphSchema());
  });

  it('describes every type, field and argument', () => {
    const sdl = printPatchgraphSchema();
    // A field or argument line directly preceded by another field line (not a description) lacks a description.
    const lines = sdl.split('\n');
    const undescribed = lines.filter((line, i) => {
      const isMember = /^\s{2,4}\w+[(:]/.test(line);
      const prev = lines[i - 1]?.trim() ?? '';
      return isMember && !prev.endsWith('"""') && !/^".*"$/.test(prev);
    });
    expect(undescribed).toEqual([]);
  });
});
