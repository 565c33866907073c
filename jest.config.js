// CommonJS Jest; @swc/jest also transforms the ESM-only packages (Nest 12, otplib, jose...)
// because Jest 30 cannot require() ESM below Node 24.9 (see shared TOOLCHAIN notes).
const esmPackages = [
  '@nestjs',
  'otplib',
  '@otplib',
  '@noble',
  '@scure',
  'file-type',
  'load-esm',
  'jose',
  'uid',
  'token-types',
  'strtok3',
  '@tokenizer',
  'uint8array-extras',
  // not ESM, but its OTLP exporter loads node:http with import(), which Jest's CommonJS VM refuses
  '@opentelemetry/otlp-exporter-base',
];

const swcTs = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    // swc rewrites the @mfa/* aliases itself, so globalSetup (which skips moduleNameMapper) resolves them too
    baseUrl: __dirname,
    paths: {
      '@mfa/*': ['libs/*/src'],
      '@mfa-platform/client': ['libs/client/src'],
      '@mfa-platform/client/*': ['libs/client/src/*'],
      '@test/support': ['test/support'],
    },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
const swcJs = { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } };

module.exports = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools', '<rootDir>/test'],
  modulePathIgnorePatterns: ['<rootDir>/libs/client/dist', '<rootDir>/dist'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', swcTs],
    '^.+\\.(m|c)?js$': ['@swc/jest', swcJs],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleNameMapper: {
    '^@mfa/([a-z-]+)$': '<rootDir>/libs/$1/src',
    '^@mfa-platform/client(/.*)?$': '<rootDir>/libs/client/src$1',
    '^@test/support$': '<rootDir>/test/support',
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 120000,
};
