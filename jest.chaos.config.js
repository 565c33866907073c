// The fault and bad-input suite: real service processes from dist/ (run `npm run build`
// first; `npm run test:chaos` does). Same database/Redis set-up as the other tests.
const base = require('./jest.config.js');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/chaos'],
  testRegex: '.*\\.chaos-spec\\.ts$',
  // needs a Redis Cluster: `npm run test:cluster` runs it (jest.cluster.config.js)
  testPathIgnorePatterns: ['/node_modules/', 'cluster-failover'],
  testTimeout: 300000,
};
