// Migrations for mysql, oldest first. scripts/generate-migration.ts appends new ones here.
import { Initial1795425959374 } from './1795425959374-Initial';
export const MYSQL_MIGRATIONS: Function[] = [Initial1795425959374];
