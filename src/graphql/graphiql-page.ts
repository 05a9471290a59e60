import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

const DEFAULT_QUERY = `# mlplane: queries and mutations go over HTTP, subscriptions over graphql-ws on this same URL.
query Health {
  health {
    status
    database
    version
    backend
    uptimeSeconds
  }
}
`;

let cached: { endpoint: string; html: string } | undefined;

/**
 * The GraphiQL page for `endpoint`: a self-contained document (about 9 MB: scripts, styles,
 * editor workers and icon inlined), so it works with no network beyond this server.
 * Subscriptions use graphql-ws on the endpoint's `ws://` twin.
 */
export function graphiqlPage(endpoint: string): string {
  if (cached?.endpoint !== endpoint) {
    cached = {
      endpoint,
      html: renderGraphiQL({
        endpoint,
        subscriptionsProtocol: 'WS',
        title: 'mlplane GraphiQL',
        defaultQuery: DEFAULT_QUERY,
      }),
    };
  }
  return cached.html;
}
