import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderPermissionMatrix } from '../auth/permissions';
import { emitSchemaFile } from '../graphql/schema';
import { projectRoot } from '../util/project-root';

const MATRIX_START = '<!-- permission-matrix:start -->';
const MATRIX_END = '<!-- permission-matrix:end -->';

/** Writes schema/schema.graphql and the README's permission matrix from the code; commit both. */
export function schema(): void {
  const path = emitSchemaFile();
  process.stdout.write(`wrote ${path}\n`);
  const readme = join(projectRoot(), 'README.md');
  const text = readFileSync(readme, 'utf8');
  const start = text.indexOf(MATRIX_START);
  const end = text.indexOf(MATRIX_END);
  if (start < 0 || end < start) return;
  writeFileSync(readme, `${text.slice(0, start)}${MATRIX_START}\n${renderPermissionMatrix()}\n${text.slice(end)}`);
  process.stdout.write(`wrote the permission matrix into ${readme}\n`);
}
