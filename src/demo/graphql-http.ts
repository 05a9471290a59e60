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
  /** Where the key came from (or why there is none), named when the server refuses it. */
  keySource?: string;
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
      throw new GraphQLHttpError(
        `cannot reach mlplane at ${options.url} (${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}); start it with npm start`,
      );
    }
    const body = (await response.json().catch(() => null)) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] } | null;
    const said = body?.errors?.[0]?.message;
    if (response.status === 401) {
      const key = options.apiKey
        ? `the API key (from ${options.keySource ?? 'MLPLANE_API_KEY'})`
        : `a request without an API key (key: ${options.keySource ?? 'none'})`;
      throw new GraphQLHttpError(`mlplane refused ${key} with HTTP 401${said ? `: ${said}` : ''}; set MLPLANE_API_KEY to a valid key`, 'UNAUTHENTICATED');
    }
    if (response.status === 403) throw new GraphQLHttpError(`mlplane refused the request with HTTP 403${said ? `: ${said}` : ''}`, 'FORBIDDEN');
    if (!body) throw new GraphQLHttpError(`mlplane answered HTTP ${response.status} without a GraphQL body`);
    if (body.errors?.length) throw new GraphQLHttpError(body.errors[0].message, body.errors[0].extensions?.code);
    return body.data as T;
  };
}

export type GraphQLRequest = ReturnType<typeof graphqlHttp>;
