/** Dotted paths (`legal.address.city`) of the leaves of a plain object: the fields a form owns. */
export function leafPaths(value: object, prefix = ''): string[] {
  return Object.entries(value).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    const isBranch = child !== null && typeof child === 'object' && !Array.isArray(child) && !(child instanceof Date);
    return isBranch ? leafPaths(child as object, path) : [path];
  });
}

export function getPath(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), value);
}
