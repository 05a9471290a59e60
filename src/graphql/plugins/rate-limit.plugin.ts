import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLContext } from '../context';
import type { AdmitOperation } from '../limits/operation-admission';

/**
 * Runs the operation admission (rate limits, list-item budget) once the HTTP operation is known and
 * before it executes: a refusal answers with its status (429 with `Retry-After`, or 400) and
 * error; every response carries the `RateLimit-*` headers.
 */
export function rateLimitPlugin(admit: AdmitOperation): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(requestContext) {
          if (!requestContext.operation) return;
          const admission = await admit({
            context: requestContext.contextValue,
            schema: requestContext.schema,
            document: requestContext.document,
            operation: requestContext.operation,
            variables: requestContext.request.variables ?? {},
          });
          for (const [name, value] of Object.entries(admission.headers)) requestContext.response.http.headers.set(name, value);
          if (admission.error) throw admission.error;
        },
      };
    },
  };
}
