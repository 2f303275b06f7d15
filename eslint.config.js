// ESLint's configuration lives in tools/lint (its own install: `npm run lint:install`).
export { default } from './tools/lint/eslint-config.js';
