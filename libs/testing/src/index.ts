// app-free test helpers only: what boots or knows an app lives in test/support (@test/support)
export * from './test-env';
export * from './wait-for';
