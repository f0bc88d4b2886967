/** A column of <DataList>. */
export interface DataColumn<T> {
  name: string;
  /** i18n key of the header. */
  label: string;
  /** Where the value comes from (default: the property named like the column). */
  field?: keyof T | ((row: T) => unknown);
  /** Text shown in the cell and written to the CSV. */
  format?: (value: unknown, row: T) => string;
  /** Server-side sort on this column (`name` or `-name`). */
  sortable?: boolean;
  /** Sort key when it differs from the column name. */
  sortKey?: string;
  align?: 'left' | 'right' | 'center';
  /** Always shown: the column chooser cannot hide it. */
  required?: boolean;
  /** Hidden until the user picks it. */
  hidden?: boolean;
  /** false for columns of buttons: not in the CSV. */
  exportable?: boolean;
}

export const PAGE_SIZES = [10, 25, 50, 100, 200];

export function cellValue<T>(column: DataColumn<T>, row: T): unknown {
  const field = column.field ?? (column.name as keyof T);
  return typeof field === 'function' ? field(row) : row[field];
}

export function cellText<T>(column: DataColumn<T>, row: T): string {
  const value = cellValue(column, row);
  if (column.format) return column.format(value, row);
  return value === null || value === undefined ? '' : String(value);
}
