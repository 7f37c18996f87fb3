// The whole suite runs once per database engine: a "sqlite" project and a "mariadb" project.
// On CI (CI=true) an unreachable MariaDB fails the run; elsewhere its half is skipped with a loud notice.
const mysql = require('mysql2/promise');

const MYSQL_URL = process.env.TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306/';

// ts-jest transpiles each file on its own (no type check: `npm run typecheck` does that) and keeps the
// decorator metadata type-graphql and TypeORM read.
const tsJest = [
  'ts-jest',
  { tsconfig: { ...require('./tsconfig.json').compilerOptions, isolatedModules: true, sourceMap: true }, diagnostics: false },
];

function project(engine) {
  return {
    displayName: engine,
    testEnvironment: 'node',
    transform: { '^.+\\.ts$': tsJest },
    // A connector's own tests live in its folder (connectors/<kind>/test/), beside the code they test.
    testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/connectors/**/*.test.ts'],
    setupFiles: [`<rootDir>/test/helpers/engine-${engine}.js`],
  };
}

async function mariadbAnswers() {
  try {
    const conn = await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 3000 });
    await conn.query('SELECT 1');
    await conn.end();
    return true;
  } catch (err) {
    return err;
  }
}

module.exports = async () => {
  const projects = [project('sqlite')];
  const answer = await mariadbAnswers();
  if (answer === true) {
    projects.push(project('mariadb'));
  } else if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`MariaDB at ${MYSQL_URL} did not answer (${answer.message}); on CI the MariaDB half of the suite is required.`);
  } else {
    const line = '!'.repeat(100);
    process.stderr.write(
      `\n${line}\n!! MariaDB at ${MYSQL_URL} did not answer (${answer.message}).\n` +
        `!! SKIPPING THE MARIADB HALF OF THE SUITE: only SQLite is tested in this run.\n` +
        `!! To run it, start MariaDB/MySQL and set TEST_MYSQL_URL=mysql://user:password@host:port/ if it is not the default.\n` +
        `${line}\n\n`,
    );
  }
  // One worker per core, not Jest's default of one fewer: most of a test's time is spent waiting on a database, a
  // server or a child process, and on the 2-core CI machine two workers run the suite in about half the time.
  return { projects, testTimeout: 60_000, maxWorkers: '100%', workerIdleMemoryLimit: '1GB' };
};
