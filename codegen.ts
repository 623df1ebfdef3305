import type { CodegenConfig } from '@graphql-codegen/cli';

/** Typed documents for the operations the tests send, checked against the printed schema. */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: 'test/operations/*.graphql',
  generates: {
    'test/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', ID: 'string' },
        avoidOptionals: { field: true, inputValue: false, object: true },
      },
    },
  },
};

export default config;
