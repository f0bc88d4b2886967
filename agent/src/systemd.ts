/**
 * systemd unit names as they arrive from policies and commands. They end up as arguments to systemctl, so a
 * name is checked against systemd's own character set first: nothing that could be read as an option (`-…`),
 * no path, no glob.
 */

const UNIT_TYPES = ['service', 'socket', 'device', 'mount', 'automount', 'swap', 'target', 'path', 'timer', 'slice', 'scope'];
/** systemd's unit name characters, backslash included (its escapes, e.g. `dev-disk-by\\x2duuid-…`). */
const UNIT_NAME = /^[A-Za-z0-9_:][A-Za-z0-9_:.@\\-]{0,254}$/;

export function isValidUnitName(name: string): boolean {
  return UNIT_NAME.test(name) && !name.includes('..');
}

/** `nginx` → `nginx.service`; a name that already has a unit type keeps it. Throws on an invalid name. */
export function normalizeUnit(name: string): string {
  if (!isValidUnitName(name)) throw new RangeError(`invalid systemd unit name: ${JSON.stringify(name)}`);
  const suffix = name.slice(name.lastIndexOf('.') + 1);
  return name.includes('.') && UNIT_TYPES.includes(suffix) ? name : `${name}.service`;
}
