/** A minimal client of mlplane's public GraphQL API over HTTP, for the demo. */
export class GraphQLHttpError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface GraphQLHttpOptions {
  /** `http://host:port/graphql` */
  url: string;
  /** Sent as `Authorization: Bearer <key>` when set. */
  apiKey?: string;
}

export function graphqlHttp(options: GraphQLHttpOptions) {
  return async function request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
    } catch (error) {
      throw new GraphQLHttpError(`cannot reach mlplane at ${options.url} (${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}); start it with npm start`);
    }
    if (response.status === 401 || response.status === 403) throw new GraphQLHttpError(`mlplane refused the API key (HTTP ${response.status}); set MLPLANE_API_KEY`, 'UNAUTHENTICATED');
    const body = (await response.json().catch(() => null)) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] } | null;
    if (!body) throw new GraphQLHttpError(`mlplane answered HTTP ${response.status} without a GraphQL body`);
    if (body.errors?.length) throw new GraphQLHttpError(body.errors[0].message, body.errors[0].extensions?.code);
    return body.data as T;
  };
}

export type GraphQLRequest = ReturnType<typeof graphqlHttp>;
