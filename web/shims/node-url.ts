/** node:url for the page: a URL's text stands in for a file path (used in messages only). */
export function fileURLToPath(url: string | URL): string {
  return String(url);
}

export default { fileURLToPath };
