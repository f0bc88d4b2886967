/** Workflow IDs are business IDs: `<kind>:<tenantId>:<entityId>`, so starting twice is not an error. */
export function workflowId(kind: string, tenantId: string, entityId: string): string {
  return `${kind}:${tenantId}:${entityId}`;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}
