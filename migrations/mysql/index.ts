import { Initial1795425236634 } from './1795425236634-Initial';
// Migrations for mysql, oldest first. scripts/generate-migration.ts appends new ones here.
export const MYSQL_MIGRATIONS: Function[] = [Initial1795425236634];
