import { emitSchemaFile } from '../graphql/schema';

/** Writes schema/schema.graphql from the code; commit the result. */
export function schema(): void {
  const path = emitSchemaFile();
  process.stdout.write(`wrote ${path}\n`);
}
