process.env.TEST_ENGINE = 'sqlite';
// The libraries in their production mode, as the CLI runs them (src/cli/node-env.ts): graphql-js, for one, checks
// every type test against a second copy of itself otherwise, which took a third of the isolation walk's time.
process.env.NODE_ENV = 'production';
