/**
 * `path` under a base URL's own path, the base's query kept and its fragment dropped:
 * `http://proxy/lh/api?x=1` + `ready` is `http://proxy/lh/api/ready?x=1`. (`new URL("/ready", base)`
 * would ask at the server's root, and appending to the whole string would put the path in the query.)
 */
export function urlUnder(base: string, path: string): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
  url.hash = "";
  return url;
}
