import { Initial1795425236634 } from './1795425236634-Initial';
// Migrations for sqlite, oldest first. scripts/generate-migration.ts appends new ones here.
export const SQLITE_MIGRATIONS: Function[] = [Initial1795425236634];
